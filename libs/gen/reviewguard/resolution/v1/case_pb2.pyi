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
CASE_STATUS_UNSPECIFIED: CaseStatus
CASE_STATUS_NEW: CaseStatus
CASE_STATUS_ASSIGNED: CaseStatus
CASE_STATUS_RESOLVED: CaseStatus

class Case(_message.Message):
    __slots__ = ("id", "tenant_id", "alert_id", "review_id", "severity", "status", "owner", "opened_at", "due_at", "first_response_due_at", "product_id", "marketplace")
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
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., alert_id: _Optional[str] = ..., review_id: _Optional[str] = ..., severity: _Optional[_Union[_alert_pb2.Severity, str]] = ..., status: _Optional[_Union[CaseStatus, str]] = ..., owner: _Optional[str] = ..., opened_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., first_response_due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., product_id: _Optional[str] = ..., marketplace: _Optional[str] = ...) -> None: ...
