import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from reviewguard.alerting.v1 import alert_pb2 as _alert_pb2
from reviewguard.ingest.v1 import review_pb2 as _review_pb2
from reviewguard.nlp.v1 import analysis_pb2 as _analysis_pb2
from reviewguard.resolution.v1 import case_pb2 as _case_pb2
from reviewguard.resolution.v1 import resolution_pb2 as _resolution_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReviewIngested(_message.Message):
    __slots__ = ("review",)
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ...) -> None: ...

class ReviewAnalyzed(_message.Message):
    __slots__ = ("review", "analysis")
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    ANALYSIS_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    analysis: _analysis_pb2.Analysis
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ..., analysis: _Optional[_Union[_analysis_pb2.Analysis, _Mapping]] = ...) -> None: ...

class AlertFired(_message.Message):
    __slots__ = ("alert",)
    ALERT_FIELD_NUMBER: _ClassVar[int]
    alert: _alert_pb2.Alert
    def __init__(self, alert: _Optional[_Union[_alert_pb2.Alert, _Mapping]] = ...) -> None: ...

class CaseOpened(_message.Message):
    __slots__ = ("case",)
    CASE_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("stream", "stream_sequence", "consumer", "subject", "data", "headers", "reason", "deliveries")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    STREAM_FIELD_NUMBER: _ClassVar[int]
    STREAM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    stream: str
    stream_sequence: int
    consumer: str
    subject: str
    data: bytes
    headers: _containers.ScalarMap[str, str]
    reason: str
    deliveries: int
    def __init__(self, stream: _Optional[str] = ..., stream_sequence: _Optional[int] = ..., consumer: _Optional[str] = ..., subject: _Optional[str] = ..., data: _Optional[bytes] = ..., headers: _Optional[_Mapping[str, str]] = ..., reason: _Optional[str] = ..., deliveries: _Optional[int] = ...) -> None: ...

class CaseUpdated(_message.Message):
    __slots__ = ("case", "event")
    CASE_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    event: _case_pb2.CaseEvent
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ..., event: _Optional[_Union[_case_pb2.CaseEvent, _Mapping]] = ...) -> None: ...

class CaseSlaNotice(_message.Message):
    __slots__ = ("case", "sla", "stage", "noticed_at_unix_ms")
    CASE_FIELD_NUMBER: _ClassVar[int]
    SLA_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    NOTICED_AT_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    sla: str
    stage: str
    noticed_at_unix_ms: int
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ..., sla: _Optional[str] = ..., stage: _Optional[str] = ..., noticed_at_unix_ms: _Optional[int] = ...) -> None: ...

class ReviewUpdated(_message.Message):
    __slots__ = ("review", "previous_version", "changed_fields", "old_rating", "new_rating", "old_status", "new_status", "changed_at")
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    OLD_RATING_FIELD_NUMBER: _ClassVar[int]
    NEW_RATING_FIELD_NUMBER: _ClassVar[int]
    OLD_STATUS_FIELD_NUMBER: _ClassVar[int]
    NEW_STATUS_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    previous_version: int
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    old_rating: int
    new_rating: int
    old_status: str
    new_status: str
    changed_at: _timestamp_pb2.Timestamp
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ..., previous_version: _Optional[int] = ..., changed_fields: _Optional[_Iterable[str]] = ..., old_rating: _Optional[int] = ..., new_rating: _Optional[int] = ..., old_status: _Optional[str] = ..., new_status: _Optional[str] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReviewTranslated(_message.Message):
    __slots__ = ("tenant_id", "review_id", "review_version", "text", "target_language", "provider")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEW_VERSION_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TARGET_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    review_id: str
    review_version: int
    text: str
    target_language: str
    provider: str
    def __init__(self, tenant_id: _Optional[str] = ..., review_id: _Optional[str] = ..., review_version: _Optional[int] = ..., text: _Optional[str] = ..., target_language: _Optional[str] = ..., provider: _Optional[str] = ...) -> None: ...

class ReplyPublishRequested(_message.Message):
    __slots__ = ("tenant_id", "reply_id", "case_id", "review_id", "platform", "review_external_id", "text", "action", "revision", "private")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    REVIEW_EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    reply_id: str
    case_id: str
    review_id: str
    platform: str
    review_external_id: str
    text: str
    action: str
    revision: int
    private: bool
    def __init__(self, tenant_id: _Optional[str] = ..., reply_id: _Optional[str] = ..., case_id: _Optional[str] = ..., review_id: _Optional[str] = ..., platform: _Optional[str] = ..., review_external_id: _Optional[str] = ..., text: _Optional[str] = ..., action: _Optional[str] = ..., revision: _Optional[int] = ..., private: _Optional[bool] = ...) -> None: ...

class ReplyPublished(_message.Message):
    __slots__ = ("tenant_id", "reply_id", "revision", "action", "platform_reply_id", "published_at")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    reply_id: str
    revision: int
    action: str
    platform_reply_id: str
    published_at: _timestamp_pb2.Timestamp
    def __init__(self, tenant_id: _Optional[str] = ..., reply_id: _Optional[str] = ..., revision: _Optional[int] = ..., action: _Optional[str] = ..., platform_reply_id: _Optional[str] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReplyPublishFailed(_message.Message):
    __slots__ = ("tenant_id", "reply_id", "revision", "action", "reason")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    reply_id: str
    revision: int
    action: str
    reason: str
    def __init__(self, tenant_id: _Optional[str] = ..., reply_id: _Optional[str] = ..., revision: _Optional[int] = ..., action: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReviewRequestSendRequested(_message.Message):
    __slots__ = ("tenant_id", "request_id", "order_id", "platform", "marketplace", "customer_id", "language", "text", "channels", "delivered_at")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    MARKETPLACE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    request_id: str
    order_id: str
    platform: str
    marketplace: str
    customer_id: str
    language: str
    text: str
    channels: _containers.RepeatedScalarFieldContainer[str]
    delivered_at: _timestamp_pb2.Timestamp
    def __init__(self, tenant_id: _Optional[str] = ..., request_id: _Optional[str] = ..., order_id: _Optional[str] = ..., platform: _Optional[str] = ..., marketplace: _Optional[str] = ..., customer_id: _Optional[str] = ..., language: _Optional[str] = ..., text: _Optional[str] = ..., channels: _Optional[_Iterable[str]] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReviewRequestOutcome(_message.Message):
    __slots__ = ("tenant_id", "request_id", "outcome", "route", "reason", "platform_request_id", "at", "not_before")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    request_id: str
    outcome: str
    route: str
    reason: str
    platform_request_id: str
    at: _timestamp_pb2.Timestamp
    not_before: _timestamp_pb2.Timestamp
    def __init__(self, tenant_id: _Optional[str] = ..., request_id: _Optional[str] = ..., outcome: _Optional[str] = ..., route: _Optional[str] = ..., reason: _Optional[str] = ..., platform_request_id: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., not_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SourceNeedsAttention(_message.Message):
    __slots__ = ("tenant_id", "source_id", "kind", "name", "reason", "at")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    source_id: str
    kind: str
    name: str
    reason: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, tenant_id: _Optional[str] = ..., source_id: _Optional[str] = ..., kind: _Optional[str] = ..., name: _Optional[str] = ..., reason: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderSubmitted(_message.Message):
    __slots__ = ("tenant_id", "order")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    order: _resolution_pb2.Order
    def __init__(self, tenant_id: _Optional[str] = ..., order: _Optional[_Union[_resolution_pb2.Order, _Mapping]] = ...) -> None: ...
