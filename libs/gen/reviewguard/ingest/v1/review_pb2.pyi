import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Reviewer(_message.Message):
    __slots__ = ("id", "name")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class Review(_message.Message):
    __slots__ = ("id", "tenant_id", "platform", "marketplace", "store_id", "external_id", "product_id", "product_line", "order_id", "reviewer", "rating", "title", "body", "language", "posted_at", "captured_at", "verified_purchase", "media_urls", "reply_state", "version", "competitor", "status", "syndication_group", "syndicated_from", "source_id", "history")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    MARKETPLACE_FIELD_NUMBER: _ClassVar[int]
    STORE_ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_LINE_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    POSTED_AT_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AT_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_PURCHASE_FIELD_NUMBER: _ClassVar[int]
    MEDIA_URLS_FIELD_NUMBER: _ClassVar[int]
    REPLY_STATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    COMPETITOR_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SYNDICATION_GROUP_FIELD_NUMBER: _ClassVar[int]
    SYNDICATED_FROM_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant_id: str
    platform: str
    marketplace: str
    store_id: str
    external_id: str
    product_id: str
    product_line: str
    order_id: str
    reviewer: Reviewer
    rating: int
    title: str
    body: str
    language: str
    posted_at: _timestamp_pb2.Timestamp
    captured_at: _timestamp_pb2.Timestamp
    verified_purchase: bool
    media_urls: _containers.RepeatedScalarFieldContainer[str]
    reply_state: str
    version: int
    competitor: bool
    status: str
    syndication_group: str
    syndicated_from: str
    source_id: str
    history: bool
    def __init__(self, id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., platform: _Optional[str] = ..., marketplace: _Optional[str] = ..., store_id: _Optional[str] = ..., external_id: _Optional[str] = ..., product_id: _Optional[str] = ..., product_line: _Optional[str] = ..., order_id: _Optional[str] = ..., reviewer: _Optional[_Union[Reviewer, _Mapping]] = ..., rating: _Optional[int] = ..., title: _Optional[str] = ..., body: _Optional[str] = ..., language: _Optional[str] = ..., posted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., captured_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., verified_purchase: _Optional[bool] = ..., media_urls: _Optional[_Iterable[str]] = ..., reply_state: _Optional[str] = ..., version: _Optional[int] = ..., competitor: _Optional[bool] = ..., status: _Optional[str] = ..., syndication_group: _Optional[str] = ..., syndicated_from: _Optional[str] = ..., source_id: _Optional[str] = ..., history: _Optional[bool] = ...) -> None: ...
