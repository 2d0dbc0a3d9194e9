import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from reviewguard.alerting.v1 import alert_pb2 as _alert_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RoutingFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTING_FORMAT_UNSPECIFIED: _ClassVar[RoutingFormat]
    ROUTING_FORMAT_ALERTMANAGER: _ClassVar[RoutingFormat]
ROUTING_FORMAT_UNSPECIFIED: RoutingFormat
ROUTING_FORMAT_ALERTMANAGER: RoutingFormat

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

class ExportRoutingRequest(_message.Message):
    __slots__ = ("tenant_id", "format")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    format: RoutingFormat
    def __init__(self, tenant_id: _Optional[str] = ..., format: _Optional[_Union[RoutingFormat, str]] = ...) -> None: ...

class ImportRoutingRequest(_message.Message):
    __slots__ = ("tenant_id", "format", "config")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    format: RoutingFormat
    config: str
    def __init__(self, tenant_id: _Optional[str] = ..., format: _Optional[_Union[RoutingFormat, str]] = ..., config: _Optional[str] = ...) -> None: ...

class RoutingConfig(_message.Message):
    __slots__ = ("tenant_id", "format", "config", "version")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    format: RoutingFormat
    config: str
    version: int
    def __init__(self, tenant_id: _Optional[str] = ..., format: _Optional[_Union[RoutingFormat, str]] = ..., config: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

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

class ListBacklogRequest(_message.Message):
    __slots__ = ("tenant_id", "page_size", "page_token")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    page_size: int
    page_token: str
    def __init__(self, tenant_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class BacklogItem(_message.Message):
    __slots__ = ("review_id", "platform", "marketplace", "product_id", "rating", "posted_at", "severity", "summary", "reasons", "labels")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    MARKETPLACE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    POSTED_AT_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    review_id: str
    platform: str
    marketplace: str
    product_id: str
    rating: int
    posted_at: _timestamp_pb2.Timestamp
    severity: _alert_pb2.Severity
    summary: str
    reasons: _containers.RepeatedScalarFieldContainer[str]
    labels: _containers.ScalarMap[str, str]
    def __init__(self, review_id: _Optional[str] = ..., platform: _Optional[str] = ..., marketplace: _Optional[str] = ..., product_id: _Optional[str] = ..., rating: _Optional[int] = ..., posted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., severity: _Optional[_Union[_alert_pb2.Severity, str]] = ..., summary: _Optional[str] = ..., reasons: _Optional[_Iterable[str]] = ..., labels: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListBacklogResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[BacklogItem]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[BacklogItem, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PromoteBacklogRequest(_message.Message):
    __slots__ = ("tenant_id", "review_ids", "actor")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEW_IDS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    review_ids: _containers.RepeatedScalarFieldContainer[str]
    actor: str
    def __init__(self, tenant_id: _Optional[str] = ..., review_ids: _Optional[_Iterable[str]] = ..., actor: _Optional[str] = ...) -> None: ...

class PromoteBacklogResponse(_message.Message):
    __slots__ = ("alerts",)
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[_alert_pb2.Alert]
    def __init__(self, alerts: _Optional[_Iterable[_Union[_alert_pb2.Alert, _Mapping]]] = ...) -> None: ...

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

class Receiver(_message.Message):
    __slots__ = ("name", "kind", "config_json", "quiet_hours_json")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_JSON_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: str
    config_json: str
    quiet_hours_json: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[str] = ..., config_json: _Optional[str] = ..., quiet_hours_json: _Optional[str] = ...) -> None: ...

class PutReceiverRequest(_message.Message):
    __slots__ = ("tenant_id", "name", "config_json", "quiet_hours_json")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_JSON_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    name: str
    config_json: str
    quiet_hours_json: str
    def __init__(self, tenant_id: _Optional[str] = ..., name: _Optional[str] = ..., config_json: _Optional[str] = ..., quiet_hours_json: _Optional[str] = ...) -> None: ...

class ListReceiversRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class ListReceiversResponse(_message.Message):
    __slots__ = ("receivers",)
    RECEIVERS_FIELD_NUMBER: _ClassVar[int]
    receivers: _containers.RepeatedCompositeFieldContainer[Receiver]
    def __init__(self, receivers: _Optional[_Iterable[_Union[Receiver, _Mapping]]] = ...) -> None: ...

class DeleteReceiverRequest(_message.Message):
    __slots__ = ("tenant_id", "name")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    name: str
    def __init__(self, tenant_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class DeleteReceiverResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Silence(_message.Message):
    __slots__ = ("id", "matchers", "starts_at", "ends_at", "weekly_json", "comment", "created_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    MATCHERS_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    WEEKLY_JSON_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    id: str
    matchers: _containers.RepeatedScalarFieldContainer[str]
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    weekly_json: str
    comment: str
    created_by: str
    def __init__(self, id: _Optional[str] = ..., matchers: _Optional[_Iterable[str]] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., weekly_json: _Optional[str] = ..., comment: _Optional[str] = ..., created_by: _Optional[str] = ...) -> None: ...

class CreateSilenceRequest(_message.Message):
    __slots__ = ("tenant_id", "silence")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SILENCE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    silence: Silence
    def __init__(self, tenant_id: _Optional[str] = ..., silence: _Optional[_Union[Silence, _Mapping]] = ...) -> None: ...

class ListSilencesRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class ListSilencesResponse(_message.Message):
    __slots__ = ("silences",)
    SILENCES_FIELD_NUMBER: _ClassVar[int]
    silences: _containers.RepeatedCompositeFieldContainer[Silence]
    def __init__(self, silences: _Optional[_Iterable[_Union[Silence, _Mapping]]] = ...) -> None: ...

class ExpireSilenceRequest(_message.Message):
    __slots__ = ("tenant_id", "silence_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SILENCE_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    silence_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., silence_id: _Optional[str] = ...) -> None: ...

class ExpireSilenceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Delivery(_message.Message):
    __slots__ = ("id", "receiver", "kind", "alert_ids", "status", "attempts", "last_error", "created_at", "delivered_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ALERT_IDS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    receiver: str
    kind: str
    alert_ids: _containers.RepeatedScalarFieldContainer[str]
    status: str
    attempts: int
    last_error: str
    created_at: _timestamp_pb2.Timestamp
    delivered_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., receiver: _Optional[str] = ..., kind: _Optional[str] = ..., alert_ids: _Optional[_Iterable[str]] = ..., status: _Optional[str] = ..., attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListDeliveriesRequest(_message.Message):
    __slots__ = ("tenant_id", "alert_id", "page_size")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    alert_id: str
    page_size: int
    def __init__(self, tenant_id: _Optional[str] = ..., alert_id: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries",)
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[Delivery]
    def __init__(self, deliveries: _Optional[_Iterable[_Union[Delivery, _Mapping]]] = ...) -> None: ...
