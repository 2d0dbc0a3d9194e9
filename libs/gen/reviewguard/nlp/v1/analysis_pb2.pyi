import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RiskTerm(_message.Message):
    __slots__ = ("term", "category", "language")
    TERM_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    term: str
    category: str
    language: str
    def __init__(self, term: _Optional[str] = ..., category: _Optional[str] = ..., language: _Optional[str] = ...) -> None: ...

class Analysis(_message.Message):
    __slots__ = ("review_id", "tenant_id", "language", "language_confidence", "risk_terms", "malicious_candidate", "predicted_stars", "star_probs", "negative_score", "aspects", "suspicion", "suspicion_reasons", "analyzer_version", "analyzed_at", "translation", "duplicate_cluster_id", "duplicate_cluster_size", "malicious", "malicious_reasons")
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    RISK_TERMS_FIELD_NUMBER: _ClassVar[int]
    MALICIOUS_CANDIDATE_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_STARS_FIELD_NUMBER: _ClassVar[int]
    STAR_PROBS_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_SCORE_FIELD_NUMBER: _ClassVar[int]
    ASPECTS_FIELD_NUMBER: _ClassVar[int]
    SUSPICION_FIELD_NUMBER: _ClassVar[int]
    SUSPICION_REASONS_FIELD_NUMBER: _ClassVar[int]
    ANALYZER_VERSION_FIELD_NUMBER: _ClassVar[int]
    ANALYZED_AT_FIELD_NUMBER: _ClassVar[int]
    TRANSLATION_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_CLUSTER_SIZE_FIELD_NUMBER: _ClassVar[int]
    MALICIOUS_FIELD_NUMBER: _ClassVar[int]
    MALICIOUS_REASONS_FIELD_NUMBER: _ClassVar[int]
    review_id: str
    tenant_id: str
    language: str
    language_confidence: float
    risk_terms: _containers.RepeatedCompositeFieldContainer[RiskTerm]
    malicious_candidate: bool
    predicted_stars: int
    star_probs: _containers.RepeatedScalarFieldContainer[float]
    negative_score: float
    aspects: _containers.RepeatedScalarFieldContainer[str]
    suspicion: float
    suspicion_reasons: _containers.RepeatedScalarFieldContainer[str]
    analyzer_version: str
    analyzed_at: _timestamp_pb2.Timestamp
    translation: Translation
    duplicate_cluster_id: str
    duplicate_cluster_size: int
    malicious: bool
    malicious_reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, review_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., language: _Optional[str] = ..., language_confidence: _Optional[float] = ..., risk_terms: _Optional[_Iterable[_Union[RiskTerm, _Mapping]]] = ..., malicious_candidate: _Optional[bool] = ..., predicted_stars: _Optional[int] = ..., star_probs: _Optional[_Iterable[float]] = ..., negative_score: _Optional[float] = ..., aspects: _Optional[_Iterable[str]] = ..., suspicion: _Optional[float] = ..., suspicion_reasons: _Optional[_Iterable[str]] = ..., analyzer_version: _Optional[str] = ..., analyzed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., translation: _Optional[_Union[Translation, _Mapping]] = ..., duplicate_cluster_id: _Optional[str] = ..., duplicate_cluster_size: _Optional[int] = ..., malicious: _Optional[bool] = ..., malicious_reasons: _Optional[_Iterable[str]] = ...) -> None: ...

class Translation(_message.Message):
    __slots__ = ("text", "source_language", "target_language", "provider", "status", "error")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TARGET_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    text: str
    source_language: str
    target_language: str
    provider: str
    status: str
    error: str
    def __init__(self, text: _Optional[str] = ..., source_language: _Optional[str] = ..., target_language: _Optional[str] = ..., provider: _Optional[str] = ..., status: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...
