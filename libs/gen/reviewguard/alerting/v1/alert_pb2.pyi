import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_NORMAL: _ClassVar[Severity]
    SEVERITY_HIGH: _ClassVar[Severity]
    SEVERITY_CRITICAL: _ClassVar[Severity]

class AlertStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_STATUS_UNSPECIFIED: _ClassVar[AlertStatus]
    ALERT_STATUS_FIRING: _ClassVar[AlertStatus]
    ALERT_STATUS_ACKNOWLEDGED: _ClassVar[AlertStatus]
    ALERT_STATUS_RESOLVED: _ClassVar[AlertStatus]
SEVERITY_UNSPECIFIED: Severity
SEVERITY_NORMAL: Severity
SEVERITY_HIGH: Severity
SEVERITY_CRITICAL: Severity
ALERT_STATUS_UNSPECIFIED: AlertStatus
ALERT_STATUS_FIRING: AlertStatus
ALERT_STATUS_ACKNOWLEDGED: AlertStatus
ALERT_STATUS_RESOLVED: AlertStatus

class Alert(_message.Message):
    __slots__ = ("id", "tenant_id", "rule", "severity", "status", "review_id", "platform", "marketplace", "product_id", "reasons", "labels", "fired_at", "scope", "summary", "day", "case_id", "acknowledged_at", "acknowledged_by", "resolved_at")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    MARKETPLACE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    FIRED_AT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_AT_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_BY_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    rule: str
    severity: Severity
    status: AlertStatus
    review_id: str
    platform: str
    marketplace: str
    product_id: str
    reasons: _containers.RepeatedScalarFieldContainer[str]
    labels: _containers.ScalarMap[str, str]
    fired_at: _timestamp_pb2.Timestamp
    scope: str
    summary: str
    day: str
    case_id: str
    acknowledged_at: _timestamp_pb2.Timestamp
    acknowledged_by: str
    resolved_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., rule: _Optional[str] = ..., severity: _Optional[_Union[Severity, str]] = ..., status: _Optional[_Union[AlertStatus, str]] = ..., review_id: _Optional[str] = ..., platform: _Optional[str] = ..., marketplace: _Optional[str] = ..., product_id: _Optional[str] = ..., reasons: _Optional[_Iterable[str]] = ..., labels: _Optional[_Mapping[str, str]] = ..., fired_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scope: _Optional[str] = ..., summary: _Optional[str] = ..., day: _Optional[str] = ..., case_id: _Optional[str] = ..., acknowledged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., acknowledged_by: _Optional[str] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
