import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SearchReviewsRequest(_message.Message):
    __slots__ = ("tenant_id", "platform", "marketplace", "store_id", "product_id", "product_line", "language", "rating_gte", "rating_lte", "sentiment", "aspect", "risk", "malicious", "competitor", "has_case", "case_status", "posted_from", "posted_to", "q", "sort", "page_size", "page_token")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    MARKETPLACE_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_LINE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    RATING_GTE_FIELD_NUMBER: _ClassVar[int]
    RATING_LTE_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_FIELD_NUMBER: _ClassVar[int]
    ASPECT_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    MALICIOUS_FIELD_NUMBER: _ClassVar[int]
    COMPETITOR_FIELD_NUMBER: _ClassVar[int]
    HAS_CASE_FIELD_NUMBER: _ClassVar[int]
    CASE_STATUS_FIELD_NUMBER: _ClassVar[int]
    POSTED_FROM_FIELD_NUMBER: _ClassVar[int]
    POSTED_TO_FIELD_NUMBER: _ClassVar[int]
    Q_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    platform: _containers.RepeatedScalarFieldContainer[str]
    marketplace: _containers.RepeatedScalarFieldContainer[str]
    store_id: _containers.RepeatedScalarFieldContainer[str]
    product_id: _containers.RepeatedScalarFieldContainer[str]
    product_line: _containers.RepeatedScalarFieldContainer[str]
    language: _containers.RepeatedScalarFieldContainer[str]
    rating_gte: int
    rating_lte: int
    sentiment: str
    aspect: str
    risk: str
    malicious: bool
    competitor: bool
    has_case: bool
    case_status: str
    posted_from: _timestamp_pb2.Timestamp
    posted_to: _timestamp_pb2.Timestamp
    q: str
    sort: str
    page_size: int
    page_token: str
    def __init__(self, tenant_id: _Optional[str] = ..., platform: _Optional[_Iterable[str]] = ..., marketplace: _Optional[_Iterable[str]] = ..., store_id: _Optional[_Iterable[str]] = ..., product_id: _Optional[_Iterable[str]] = ..., product_line: _Optional[_Iterable[str]] = ..., language: _Optional[_Iterable[str]] = ..., rating_gte: _Optional[int] = ..., rating_lte: _Optional[int] = ..., sentiment: _Optional[str] = ..., aspect: _Optional[str] = ..., risk: _Optional[str] = ..., malicious: _Optional[bool] = ..., competitor: _Optional[bool] = ..., has_case: _Optional[bool] = ..., case_status: _Optional[str] = ..., posted_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., posted_to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., q: _Optional[str] = ..., sort: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class InboxReview(_message.Message):
    __slots__ = ("id", "platform", "marketplace", "store_id", "product_id", "product_line", "language", "rating", "title", "body", "translation", "sentiment", "negative_score", "aspects", "risk_categories", "malicious", "competitor", "posted_at", "case_id", "case_status")
    ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    MARKETPLACE_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_LINE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    TRANSLATION_FIELD_NUMBER: _ClassVar[int]
    SENTIMENT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_SCORE_FIELD_NUMBER: _ClassVar[int]
    ASPECTS_FIELD_NUMBER: _ClassVar[int]
    RISK_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    MALICIOUS_FIELD_NUMBER: _ClassVar[int]
    COMPETITOR_FIELD_NUMBER: _ClassVar[int]
    POSTED_AT_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_STATUS_FIELD_NUMBER: _ClassVar[int]
    id: str
    platform: str
    marketplace: str
    store_id: str
    product_id: str
    product_line: str
    language: str
    rating: int
    title: str
    body: str
    translation: str
    sentiment: str
    negative_score: float
    aspects: _containers.RepeatedScalarFieldContainer[str]
    risk_categories: _containers.RepeatedScalarFieldContainer[str]
    malicious: bool
    competitor: bool
    posted_at: _timestamp_pb2.Timestamp
    case_id: str
    case_status: str
    def __init__(self, id: _Optional[str] = ..., platform: _Optional[str] = ..., marketplace: _Optional[str] = ..., store_id: _Optional[str] = ..., product_id: _Optional[str] = ..., product_line: _Optional[str] = ..., language: _Optional[str] = ..., rating: _Optional[int] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., translation: _Optional[str] = ..., sentiment: _Optional[str] = ..., negative_score: _Optional[float] = ..., aspects: _Optional[_Iterable[str]] = ..., risk_categories: _Optional[_Iterable[str]] = ..., malicious: _Optional[bool] = ..., competitor: _Optional[bool] = ..., posted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., case_id: _Optional[str] = ..., case_status: _Optional[str] = ...) -> None: ...

class SearchReviewsResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[InboxReview]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[InboxReview, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ReportWindow(_message.Message):
    __slots__ = ("starts_at", "ends_at", "grain", "time_zone")
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    GRAIN_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    grain: str
    time_zone: str
    def __init__(self, starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., grain: _Optional[str] = ..., time_zone: _Optional[str] = ...) -> None: ...

class RatingsReportRequest(_message.Message):
    __slots__ = ("tenant_id", "window", "group_by")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    window: ReportWindow
    group_by: str
    def __init__(self, tenant_id: _Optional[str] = ..., window: _Optional[_Union[ReportWindow, _Mapping]] = ..., group_by: _Optional[str] = ...) -> None: ...

class AspectsReportRequest(_message.Message):
    __slots__ = ("tenant_id", "window", "rows", "cols")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    COLS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    window: ReportWindow
    rows: str
    cols: str
    def __init__(self, tenant_id: _Optional[str] = ..., window: _Optional[_Union[ReportWindow, _Mapping]] = ..., rows: _Optional[str] = ..., cols: _Optional[str] = ...) -> None: ...

class CompetitorsReportRequest(_message.Message):
    __slots__ = ("tenant_id", "window", "group_by")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    window: ReportWindow
    group_by: str
    def __init__(self, tenant_id: _Optional[str] = ..., window: _Optional[_Union[ReportWindow, _Mapping]] = ..., group_by: _Optional[str] = ...) -> None: ...

class ReportCell(_message.Message):
    __slots__ = ("period", "key", "reviews", "negative", "mean_rating", "negative_share", "baseline_mean_rating", "alerts", "top_aspects")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_FIELD_NUMBER: _ClassVar[int]
    MEAN_RATING_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_SHARE_FIELD_NUMBER: _ClassVar[int]
    BASELINE_MEAN_RATING_FIELD_NUMBER: _ClassVar[int]
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    TOP_ASPECTS_FIELD_NUMBER: _ClassVar[int]
    period: str
    key: _containers.RepeatedScalarFieldContainer[str]
    reviews: int
    negative: int
    mean_rating: float
    negative_share: float
    baseline_mean_rating: float
    alerts: int
    top_aspects: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, period: _Optional[str] = ..., key: _Optional[_Iterable[str]] = ..., reviews: _Optional[int] = ..., negative: _Optional[int] = ..., mean_rating: _Optional[float] = ..., negative_share: _Optional[float] = ..., baseline_mean_rating: _Optional[float] = ..., alerts: _Optional[int] = ..., top_aspects: _Optional[_Iterable[str]] = ...) -> None: ...

class ReportTable(_message.Message):
    __slots__ = ("keys", "cells")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[str]
    cells: _containers.RepeatedCompositeFieldContainer[ReportCell]
    def __init__(self, keys: _Optional[_Iterable[str]] = ..., cells: _Optional[_Iterable[_Union[ReportCell, _Mapping]]] = ...) -> None: ...

class DrilldownRequest(_message.Message):
    __slots__ = ("tenant_id", "dimension", "value", "window", "limit")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DIMENSION_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    dimension: str
    value: str
    window: ReportWindow
    limit: int
    def __init__(self, tenant_id: _Optional[str] = ..., dimension: _Optional[str] = ..., value: _Optional[str] = ..., window: _Optional[_Union[ReportWindow, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class Count(_message.Message):
    __slots__ = ("value", "reviews", "negative")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_FIELD_NUMBER: _ClassVar[int]
    value: str
    reviews: int
    negative: int
    def __init__(self, value: _Optional[str] = ..., reviews: _Optional[int] = ..., negative: _Optional[int] = ...) -> None: ...

class DrilldownResponse(_message.Message):
    __slots__ = ("reviews", "negative", "mean_rating", "top_aspects", "top_products", "examples")
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_FIELD_NUMBER: _ClassVar[int]
    MEAN_RATING_FIELD_NUMBER: _ClassVar[int]
    TOP_ASPECTS_FIELD_NUMBER: _ClassVar[int]
    TOP_PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    reviews: int
    negative: int
    mean_rating: float
    top_aspects: _containers.RepeatedCompositeFieldContainer[Count]
    top_products: _containers.RepeatedCompositeFieldContainer[Count]
    examples: _containers.RepeatedCompositeFieldContainer[InboxReview]
    def __init__(self, reviews: _Optional[int] = ..., negative: _Optional[int] = ..., mean_rating: _Optional[float] = ..., top_aspects: _Optional[_Iterable[_Union[Count, _Mapping]]] = ..., top_products: _Optional[_Iterable[_Union[Count, _Mapping]]] = ..., examples: _Optional[_Iterable[_Union[InboxReview, _Mapping]]] = ...) -> None: ...

class DepartmentReportRequest(_message.Message):
    __slots__ = ("tenant_id", "window", "group_by", "limit")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    window: ReportWindow
    group_by: str
    limit: int
    def __init__(self, tenant_id: _Optional[str] = ..., window: _Optional[_Union[ReportWindow, _Mapping]] = ..., group_by: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class PeriodCount(_message.Message):
    __slots__ = ("period", "complaints")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    COMPLAINTS_FIELD_NUMBER: _ClassVar[int]
    period: str
    complaints: int
    def __init__(self, period: _Optional[str] = ..., complaints: _Optional[int] = ...) -> None: ...

class Quote(_message.Message):
    __slots__ = ("review_id", "rating", "title", "body", "language", "marketplace")
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    MARKETPLACE_FIELD_NUMBER: _ClassVar[int]
    review_id: str
    rating: int
    title: str
    body: str
    language: str
    marketplace: str
    def __init__(self, review_id: _Optional[str] = ..., rating: _Optional[int] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., language: _Optional[str] = ..., marketplace: _Optional[str] = ...) -> None: ...

class Defect(_message.Message):
    __slots__ = ("aspect", "complaints", "complaint_share", "previous_complaints", "trend", "quotes")
    ASPECT_FIELD_NUMBER: _ClassVar[int]
    COMPLAINTS_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_SHARE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_COMPLAINTS_FIELD_NUMBER: _ClassVar[int]
    TREND_FIELD_NUMBER: _ClassVar[int]
    QUOTES_FIELD_NUMBER: _ClassVar[int]
    aspect: str
    complaints: int
    complaint_share: float
    previous_complaints: int
    trend: _containers.RepeatedCompositeFieldContainer[PeriodCount]
    quotes: _containers.RepeatedCompositeFieldContainer[Quote]
    def __init__(self, aspect: _Optional[str] = ..., complaints: _Optional[int] = ..., complaint_share: _Optional[float] = ..., previous_complaints: _Optional[int] = ..., trend: _Optional[_Iterable[_Union[PeriodCount, _Mapping]]] = ..., quotes: _Optional[_Iterable[_Union[Quote, _Mapping]]] = ...) -> None: ...

class ProductDefects(_message.Message):
    __slots__ = ("product_id", "reviews", "negative", "mean_rating", "defects")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_FIELD_NUMBER: _ClassVar[int]
    MEAN_RATING_FIELD_NUMBER: _ClassVar[int]
    DEFECTS_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    reviews: int
    negative: int
    mean_rating: float
    defects: _containers.RepeatedCompositeFieldContainer[Defect]
    def __init__(self, product_id: _Optional[str] = ..., reviews: _Optional[int] = ..., negative: _Optional[int] = ..., mean_rating: _Optional[float] = ..., defects: _Optional[_Iterable[_Union[Defect, _Mapping]]] = ...) -> None: ...

class ProductReportResponse(_message.Message):
    __slots__ = ("products",)
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    products: _containers.RepeatedCompositeFieldContainer[ProductDefects]
    def __init__(self, products: _Optional[_Iterable[_Union[ProductDefects, _Mapping]]] = ...) -> None: ...

class LogisticsRow(_message.Message):
    __slots__ = ("period", "value", "reviews", "delay_complaints", "delay_rate", "damage_complaints", "damage_rate")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    DELAY_COMPLAINTS_FIELD_NUMBER: _ClassVar[int]
    DELAY_RATE_FIELD_NUMBER: _ClassVar[int]
    DAMAGE_COMPLAINTS_FIELD_NUMBER: _ClassVar[int]
    DAMAGE_RATE_FIELD_NUMBER: _ClassVar[int]
    period: str
    value: str
    reviews: int
    delay_complaints: int
    delay_rate: float
    damage_complaints: int
    damage_rate: float
    def __init__(self, period: _Optional[str] = ..., value: _Optional[str] = ..., reviews: _Optional[int] = ..., delay_complaints: _Optional[int] = ..., delay_rate: _Optional[float] = ..., damage_complaints: _Optional[int] = ..., damage_rate: _Optional[float] = ...) -> None: ...

class LogisticsReportResponse(_message.Message):
    __slots__ = ("group_by", "rows")
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    group_by: str
    rows: _containers.RepeatedCompositeFieldContainer[LogisticsRow]
    def __init__(self, group_by: _Optional[str] = ..., rows: _Optional[_Iterable[_Union[LogisticsRow, _Mapping]]] = ...) -> None: ...

class ServiceRow(_message.Message):
    __slots__ = ("period", "cases", "responded", "mean_response_hours", "median_response_hours", "response_rate_24h", "sla_met_share", "compensation_usd", "ratings_raised", "mean_rating_change")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    CASES_FIELD_NUMBER: _ClassVar[int]
    RESPONDED_FIELD_NUMBER: _ClassVar[int]
    MEAN_RESPONSE_HOURS_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_RESPONSE_HOURS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_RATE_24H_FIELD_NUMBER: _ClassVar[int]
    SLA_MET_SHARE_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_USD_FIELD_NUMBER: _ClassVar[int]
    RATINGS_RAISED_FIELD_NUMBER: _ClassVar[int]
    MEAN_RATING_CHANGE_FIELD_NUMBER: _ClassVar[int]
    period: str
    cases: int
    responded: int
    mean_response_hours: float
    median_response_hours: float
    response_rate_24h: float
    sla_met_share: float
    compensation_usd: float
    ratings_raised: int
    mean_rating_change: float
    def __init__(self, period: _Optional[str] = ..., cases: _Optional[int] = ..., responded: _Optional[int] = ..., mean_response_hours: _Optional[float] = ..., median_response_hours: _Optional[float] = ..., response_rate_24h: _Optional[float] = ..., sla_met_share: _Optional[float] = ..., compensation_usd: _Optional[float] = ..., ratings_raised: _Optional[int] = ..., mean_rating_change: _Optional[float] = ...) -> None: ...

class ServiceReportResponse(_message.Message):
    __slots__ = ("rows",)
    ROWS_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[ServiceRow]
    def __init__(self, rows: _Optional[_Iterable[_Union[ServiceRow, _Mapping]]] = ...) -> None: ...

class ExportReportRequest(_message.Message):
    __slots__ = ("ratings", "aspects", "competitors", "drilldown", "product", "logistics", "service", "format")
    RATINGS_FIELD_NUMBER: _ClassVar[int]
    ASPECTS_FIELD_NUMBER: _ClassVar[int]
    COMPETITORS_FIELD_NUMBER: _ClassVar[int]
    DRILLDOWN_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    LOGISTICS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    ratings: RatingsReportRequest
    aspects: AspectsReportRequest
    competitors: CompetitorsReportRequest
    drilldown: DrilldownRequest
    product: DepartmentReportRequest
    logistics: DepartmentReportRequest
    service: DepartmentReportRequest
    format: str
    def __init__(self, ratings: _Optional[_Union[RatingsReportRequest, _Mapping]] = ..., aspects: _Optional[_Union[AspectsReportRequest, _Mapping]] = ..., competitors: _Optional[_Union[CompetitorsReportRequest, _Mapping]] = ..., drilldown: _Optional[_Union[DrilldownRequest, _Mapping]] = ..., product: _Optional[_Union[DepartmentReportRequest, _Mapping]] = ..., logistics: _Optional[_Union[DepartmentReportRequest, _Mapping]] = ..., service: _Optional[_Union[DepartmentReportRequest, _Mapping]] = ..., format: _Optional[str] = ...) -> None: ...

class ReportFile(_message.Message):
    __slots__ = ("filename", "media_type", "content")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    filename: str
    media_type: str
    content: bytes
    def __init__(self, filename: _Optional[str] = ..., media_type: _Optional[str] = ..., content: _Optional[bytes] = ...) -> None: ...

class ReportSchedule(_message.Message):
    __slots__ = ("id", "tenant_id", "kind", "params_json", "grain", "formats", "receiver", "recipients", "time_zone", "send_time", "day", "next_send_at", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    GRAIN_FIELD_NUMBER: _ClassVar[int]
    FORMATS_FIELD_NUMBER: _ClassVar[int]
    RECEIVER_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    SEND_TIME_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    NEXT_SEND_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    kind: str
    params_json: str
    grain: str
    formats: _containers.RepeatedScalarFieldContainer[str]
    receiver: str
    recipients: _containers.RepeatedScalarFieldContainer[str]
    time_zone: str
    send_time: str
    day: int
    next_send_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., kind: _Optional[str] = ..., params_json: _Optional[str] = ..., grain: _Optional[str] = ..., formats: _Optional[_Iterable[str]] = ..., receiver: _Optional[str] = ..., recipients: _Optional[_Iterable[str]] = ..., time_zone: _Optional[str] = ..., send_time: _Optional[str] = ..., day: _Optional[int] = ..., next_send_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListReportSchedulesRequest(_message.Message):
    __slots__ = ("tenant_id", "page_size", "page_token")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    page_size: int
    page_token: str
    def __init__(self, tenant_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReportSchedulesResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ReportSchedule]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[ReportSchedule, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteReportScheduleRequest(_message.Message):
    __slots__ = ("tenant_id", "id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    id: str
    def __init__(self, tenant_id: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class DeleteReportScheduleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetReportSettingsRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class ReportSettings(_message.Message):
    __slots__ = ("tenant_id", "time_zone")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    time_zone: str
    def __init__(self, tenant_id: _Optional[str] = ..., time_zone: _Optional[str] = ...) -> None: ...
