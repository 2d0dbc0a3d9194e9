import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from reviewguard.alerting.v1 import alert_pb2 as _alert_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CaseStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CASE_STATUS_UNSPECIFIED: _ClassVar[CaseStatus]
    CASE_STATUS_NEW: _ClassVar[CaseStatus]
    CASE_STATUS_ASSIGNED: _ClassVar[CaseStatus]
    CASE_STATUS_RESOLVED: _ClassVar[CaseStatus]
    CASE_STATUS_CONTACTED: _ClassVar[CaseStatus]
    CASE_STATUS_AWAITING_CUSTOMER: _ClassVar[CaseStatus]
    CASE_STATUS_COMPENSATION_OFFERED: _ClassVar[CaseStatus]
    CASE_STATUS_APPEALED: _ClassVar[CaseStatus]
    CASE_STATUS_APPEAL_ACCEPTED: _ClassVar[CaseStatus]
    CASE_STATUS_APPEAL_REJECTED: _ClassVar[CaseStatus]
    CASE_STATUS_ESCALATED: _ClassVar[CaseStatus]

class ResolutionReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESOLUTION_REASON_UNSPECIFIED: _ClassVar[ResolutionReason]
    RESOLUTION_REASON_REVIEW_UPDATED: _ClassVar[ResolutionReason]
    RESOLUTION_REASON_CUSTOMER_SATISFIED: _ClassVar[ResolutionReason]
    RESOLUTION_REASON_NO_RESPONSE: _ClassVar[ResolutionReason]
CASE_STATUS_UNSPECIFIED: CaseStatus
CASE_STATUS_NEW: CaseStatus
CASE_STATUS_ASSIGNED: CaseStatus
CASE_STATUS_RESOLVED: CaseStatus
CASE_STATUS_CONTACTED: CaseStatus
CASE_STATUS_AWAITING_CUSTOMER: CaseStatus
CASE_STATUS_COMPENSATION_OFFERED: CaseStatus
CASE_STATUS_APPEALED: CaseStatus
CASE_STATUS_APPEAL_ACCEPTED: CaseStatus
CASE_STATUS_APPEAL_REJECTED: CaseStatus
CASE_STATUS_ESCALATED: CaseStatus
RESOLUTION_REASON_UNSPECIFIED: ResolutionReason
RESOLUTION_REASON_REVIEW_UPDATED: ResolutionReason
RESOLUTION_REASON_CUSTOMER_SATISFIED: ResolutionReason
RESOLUTION_REASON_NO_RESPONSE: ResolutionReason

class Case(_message.Message):
    __slots__ = ("id", "tenant_id", "alert_id", "review_id", "severity", "status", "owner", "opened_at", "due_at", "first_response_due_at", "product_id", "marketplace", "resolution_reason", "platform", "language", "issue_type", "team_id", "owner_agent_id", "customer_id", "order_id", "first_response_at", "resolved_at", "updated_at", "summary")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    OPENED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONSE_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    MARKETPLACE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_REASON_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TYPE_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONSE_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    alert_id: str
    review_id: str
    severity: _alert_pb2.Severity
    status: CaseStatus
    owner: str
    opened_at: _timestamp_pb2.Timestamp
    due_at: _timestamp_pb2.Timestamp
    first_response_due_at: _timestamp_pb2.Timestamp
    product_id: str
    marketplace: str
    resolution_reason: ResolutionReason
    platform: str
    language: str
    issue_type: str
    team_id: str
    owner_agent_id: str
    customer_id: str
    order_id: str
    first_response_at: _timestamp_pb2.Timestamp
    resolved_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    summary: str
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., alert_id: _Optional[str] = ..., review_id: _Optional[str] = ..., severity: _Optional[_Union[_alert_pb2.Severity, str]] = ..., status: _Optional[_Union[CaseStatus, str]] = ..., owner: _Optional[str] = ..., opened_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., first_response_due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., product_id: _Optional[str] = ..., marketplace: _Optional[str] = ..., resolution_reason: _Optional[_Union[ResolutionReason, str]] = ..., platform: _Optional[str] = ..., language: _Optional[str] = ..., issue_type: _Optional[str] = ..., team_id: _Optional[str] = ..., owner_agent_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., order_id: _Optional[str] = ..., first_response_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class CaseEvent(_message.Message):
    __slots__ = ("id", "case_id", "tenant_id", "kind", "from_status", "to_status", "actor", "detail_json", "at")
    ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    DETAIL_JSON_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    case_id: str
    tenant_id: str
    kind: str
    from_status: CaseStatus
    to_status: CaseStatus
    actor: str
    detail_json: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., case_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., kind: _Optional[str] = ..., from_status: _Optional[_Union[CaseStatus, str]] = ..., to_status: _Optional[_Union[CaseStatus, str]] = ..., actor: _Optional[str] = ..., detail_json: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
