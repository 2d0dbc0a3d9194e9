from reviewguard.alerting.v1 import alert_pb2 as _alert_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AlertActionRequest(_message.Message):
    __slots__ = ("tenant_id", "alert_id", "actor")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    alert_id: str
    actor: str
    def __init__(self, tenant_id: _Optional[str] = ..., alert_id: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class GetPolicyRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class PutPolicyRequest(_message.Message):
    __slots__ = ("tenant_id", "policy_json")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_JSON_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    policy_json: str
    def __init__(self, tenant_id: _Optional[str] = ..., policy_json: _Optional[str] = ...) -> None: ...

class Policy(_message.Message):
    __slots__ = ("tenant_id", "policy_json", "version")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_JSON_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    policy_json: str
    version: int
    def __init__(self, tenant_id: _Optional[str] = ..., policy_json: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class EvaluateTrendsRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class EvaluateTrendsResponse(_message.Message):
    __slots__ = ("alerts_fired",)
    ALERTS_FIRED_FIELD_NUMBER: _ClassVar[int]
    alerts_fired: int
    def __init__(self, alerts_fired: _Optional[int] = ...) -> None: ...

class ListAlertsRequest(_message.Message):
    __slots__ = ("tenant_id", "review_id", "page_size", "page_token", "rule", "status", "labels")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    review_id: str
    page_size: int
    page_token: str
    rule: str
    status: _alert_pb2.AlertStatus
    labels: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., review_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., rule: _Optional[str] = ..., status: _Optional[_Union[_alert_pb2.AlertStatus, str]] = ..., labels: _Optional[_Iterable[str]] = ...) -> None: ...

class ListAlertsResponse(_message.Message):
    __slots__ = ("alerts", "next_page_token")
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[_alert_pb2.Alert]
    next_page_token: str
    def __init__(self, alerts: _Optional[_Iterable[_Union[_alert_pb2.Alert, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetAlertRequest(_message.Message):
    __slots__ = ("tenant_id", "alert_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    alert_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., alert_id: _Optional[str] = ...) -> None: ...
