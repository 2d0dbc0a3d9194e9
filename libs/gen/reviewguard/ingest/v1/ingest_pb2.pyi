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
