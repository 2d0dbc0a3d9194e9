import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from reviewguard.ingest.v1 import review_pb2 as _review_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubmitReviewsRequest(_message.Message):
    __slots__ = ("tenant_id", "reviews")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    reviews: _containers.RepeatedCompositeFieldContainer[_review_pb2.Review]
    def __init__(self, tenant_id: _Optional[str] = ..., reviews: _Optional[_Iterable[_Union[_review_pb2.Review, _Mapping]]] = ...) -> None: ...

class SubmittedReview(_message.Message):
    __slots__ = ("id", "created", "updated")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    id: str
    created: bool
    updated: bool
    def __init__(self, id: _Optional[str] = ..., created: _Optional[bool] = ..., updated: _Optional[bool] = ...) -> None: ...

class SubmitReviewsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SubmittedReview]
    def __init__(self, results: _Optional[_Iterable[_Union[SubmittedReview, _Mapping]]] = ...) -> None: ...

class GetReviewRequest(_message.Message):
    __slots__ = ("tenant_id", "review_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    review_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., review_id: _Optional[str] = ...) -> None: ...

class RemoveReviewsRequest(_message.Message):
    __slots__ = ("tenant_id", "platform", "external_ids")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_IDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    platform: str
    external_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., platform: _Optional[str] = ..., external_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ReviewVersion(_message.Message):
    __slots__ = ("review", "changed_fields", "recorded_at")
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    review: _review_pb2.Review
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, review: _Optional[_Union[_review_pb2.Review, _Mapping]] = ..., changed_fields: _Optional[_Iterable[str]] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReviewHistory(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[ReviewVersion]
    def __init__(self, versions: _Optional[_Iterable[_Union[ReviewVersion, _Mapping]]] = ...) -> None: ...

class ListRatingChangesRequest(_message.Message):
    __slots__ = ("tenant_id", "direction", "since", "page_size", "page_token", "review_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    direction: str
    since: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    review_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., direction: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., review_id: _Optional[str] = ...) -> None: ...

class RatingChange(_message.Message):
    __slots__ = ("review_id", "platform", "product_id", "from_version", "to_version", "old_rating", "new_rating", "changed_at")
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    OLD_RATING_FIELD_NUMBER: _ClassVar[int]
    NEW_RATING_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    review_id: str
    platform: str
    product_id: str
    from_version: int
    to_version: int
    old_rating: int
    new_rating: int
    changed_at: _timestamp_pb2.Timestamp
    def __init__(self, review_id: _Optional[str] = ..., platform: _Optional[str] = ..., product_id: _Optional[str] = ..., from_version: _Optional[int] = ..., to_version: _Optional[int] = ..., old_rating: _Optional[int] = ..., new_rating: _Optional[int] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListRatingChangesResponse(_message.Message):
    __slots__ = ("changes", "next_page_token")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[RatingChange]
    next_page_token: str
    def __init__(self, changes: _Optional[_Iterable[_Union[RatingChange, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ImportStart(_message.Message):
    __slots__ = ("tenant_id", "format", "mapping", "mapping_json", "file_name", "encoding", "competitor", "live")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    MAPPING_FIELD_NUMBER: _ClassVar[int]
    MAPPING_JSON_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    COMPETITOR_FIELD_NUMBER: _ClassVar[int]
    LIVE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    format: str
    mapping: str
    mapping_json: str
    file_name: str
    encoding: str
    competitor: bool
    live: bool
    def __init__(self, tenant_id: _Optional[str] = ..., format: _Optional[str] = ..., mapping: _Optional[str] = ..., mapping_json: _Optional[str] = ..., file_name: _Optional[str] = ..., encoding: _Optional[str] = ..., competitor: _Optional[bool] = ..., live: _Optional[bool] = ...) -> None: ...

class ImportChunk(_message.Message):
    __slots__ = ("start", "data")
    START_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    start: ImportStart
    data: bytes
    def __init__(self, start: _Optional[_Union[ImportStart, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class ImportRowError(_message.Message):
    __slots__ = ("line", "reason")
    LINE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    line: int
    reason: str
    def __init__(self, line: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class ImportJob(_message.Message):
    __slots__ = ("id", "tenant_id", "status", "format", "mapping", "file_name", "bytes", "encoding", "rows_read", "rows_good", "rows_bad", "created", "updated", "errors", "error", "created_at", "finished_at", "competitor")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    MAPPING_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    ROWS_READ_FIELD_NUMBER: _ClassVar[int]
    ROWS_GOOD_FIELD_NUMBER: _ClassVar[int]
    ROWS_BAD_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPETITOR_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    status: str
    format: str
    mapping: str
    file_name: str
    bytes: int
    encoding: str
    rows_read: int
    rows_good: int
    rows_bad: int
    created: int
    updated: int
    errors: _containers.RepeatedCompositeFieldContainer[ImportRowError]
    error: str
    created_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    competitor: bool
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., status: _Optional[str] = ..., format: _Optional[str] = ..., mapping: _Optional[str] = ..., file_name: _Optional[str] = ..., bytes: _Optional[int] = ..., encoding: _Optional[str] = ..., rows_read: _Optional[int] = ..., rows_good: _Optional[int] = ..., rows_bad: _Optional[int] = ..., created: _Optional[int] = ..., updated: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[ImportRowError, _Mapping]]] = ..., error: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., competitor: _Optional[bool] = ...) -> None: ...

class GetImportRequest(_message.Message):
    __slots__ = ("tenant_id", "import_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    IMPORT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    import_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., import_id: _Optional[str] = ...) -> None: ...

class Source(_message.Message):
    __slots__ = ("id", "tenant_id", "kind", "name", "competitor", "backfill_days", "poll_interval_seconds", "status", "last_error", "next_poll_at", "last_success_at", "settings_keys", "has_webhook_secret", "webhook_path", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    COMPETITOR_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_DAYS_FIELD_NUMBER: _ClassVar[int]
    POLL_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    NEXT_POLL_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESS_AT_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_KEYS_FIELD_NUMBER: _ClassVar[int]
    HAS_WEBHOOK_SECRET_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_PATH_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    kind: str
    name: str
    competitor: bool
    backfill_days: int
    poll_interval_seconds: int
    status: str
    last_error: str
    next_poll_at: _timestamp_pb2.Timestamp
    last_success_at: _timestamp_pb2.Timestamp
    settings_keys: _containers.RepeatedScalarFieldContainer[str]
    has_webhook_secret: bool
    webhook_path: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., kind: _Optional[str] = ..., name: _Optional[str] = ..., competitor: _Optional[bool] = ..., backfill_days: _Optional[int] = ..., poll_interval_seconds: _Optional[int] = ..., status: _Optional[str] = ..., last_error: _Optional[str] = ..., next_poll_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_success_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., settings_keys: _Optional[_Iterable[str]] = ..., has_webhook_secret: _Optional[bool] = ..., webhook_path: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateSourceRequest(_message.Message):
    __slots__ = ("tenant_id", "kind", "name", "settings_json", "webhook_secret", "competitor", "backfill_days", "poll_interval_seconds")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_JSON_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_SECRET_FIELD_NUMBER: _ClassVar[int]
    COMPETITOR_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_DAYS_FIELD_NUMBER: _ClassVar[int]
    POLL_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    kind: str
    name: str
    settings_json: str
    webhook_secret: str
    competitor: bool
    backfill_days: int
    poll_interval_seconds: int
    def __init__(self, tenant_id: _Optional[str] = ..., kind: _Optional[str] = ..., name: _Optional[str] = ..., settings_json: _Optional[str] = ..., webhook_secret: _Optional[str] = ..., competitor: _Optional[bool] = ..., backfill_days: _Optional[int] = ..., poll_interval_seconds: _Optional[int] = ...) -> None: ...

class UpdateSourceRequest(_message.Message):
    __slots__ = ("tenant_id", "source_id", "fields", "name", "settings_json", "webhook_secret", "competitor", "backfill_days", "poll_interval_seconds", "status")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_JSON_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_SECRET_FIELD_NUMBER: _ClassVar[int]
    COMPETITOR_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_DAYS_FIELD_NUMBER: _ClassVar[int]
    POLL_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    source_id: str
    fields: _containers.RepeatedScalarFieldContainer[str]
    name: str
    settings_json: str
    webhook_secret: str
    competitor: bool
    backfill_days: int
    poll_interval_seconds: int
    status: str
    def __init__(self, tenant_id: _Optional[str] = ..., source_id: _Optional[str] = ..., fields: _Optional[_Iterable[str]] = ..., name: _Optional[str] = ..., settings_json: _Optional[str] = ..., webhook_secret: _Optional[str] = ..., competitor: _Optional[bool] = ..., backfill_days: _Optional[int] = ..., poll_interval_seconds: _Optional[int] = ..., status: _Optional[str] = ...) -> None: ...

class GetSourceRequest(_message.Message):
    __slots__ = ("tenant_id", "source_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    source_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., source_id: _Optional[str] = ...) -> None: ...

class ListSourcesRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class ListSourcesResponse(_message.Message):
    __slots__ = ("sources",)
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    sources: _containers.RepeatedCompositeFieldContainer[Source]
    def __init__(self, sources: _Optional[_Iterable[_Union[Source, _Mapping]]] = ...) -> None: ...

class DeleteSourceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WebhookRequest(_message.Message):
    __slots__ = ("kind", "source_id", "body", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KIND_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    kind: str
    source_id: str
    body: bytes
    headers: _containers.ScalarMap[str, str]
    def __init__(self, kind: _Optional[str] = ..., source_id: _Optional[str] = ..., body: _Optional[bytes] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class WebhookResponse(_message.Message):
    __slots__ = ("accepted", "removed", "ids")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    removed: int
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, accepted: _Optional[int] = ..., removed: _Optional[int] = ..., ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetCaptureLagRequest(_message.Message):
    __slots__ = ("tenant_id", "window_seconds")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    window_seconds: int
    def __init__(self, tenant_id: _Optional[str] = ..., window_seconds: _Optional[int] = ...) -> None: ...

class LagStat(_message.Message):
    __slots__ = ("platform", "channel", "source_id", "reviews", "p50_seconds", "p95_seconds", "max_seconds")
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    P50_SECONDS_FIELD_NUMBER: _ClassVar[int]
    P95_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_SECONDS_FIELD_NUMBER: _ClassVar[int]
    platform: str
    channel: str
    source_id: str
    reviews: int
    p50_seconds: float
    p95_seconds: float
    max_seconds: float
    def __init__(self, platform: _Optional[str] = ..., channel: _Optional[str] = ..., source_id: _Optional[str] = ..., reviews: _Optional[int] = ..., p50_seconds: _Optional[float] = ..., p95_seconds: _Optional[float] = ..., max_seconds: _Optional[float] = ...) -> None: ...

class CaptureLag(_message.Message):
    __slots__ = ("window_seconds", "stats")
    WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    window_seconds: int
    stats: _containers.RepeatedCompositeFieldContainer[LagStat]
    def __init__(self, window_seconds: _Optional[int] = ..., stats: _Optional[_Iterable[_Union[LagStat, _Mapping]]] = ...) -> None: ...
