from reviewguard.nlp.v1 import analysis_pb2 as _analysis_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TranslationSettings(_message.Message):
    __slots__ = ("settings_json",)
    SETTINGS_JSON_FIELD_NUMBER: _ClassVar[int]
    settings_json: str
    def __init__(self, settings_json: _Optional[str] = ...) -> None: ...

class GetTranslationSettingsRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class PutTranslationSettingsRequest(_message.Message):
    __slots__ = ("tenant_id", "settings_json")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_JSON_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    settings_json: str
    def __init__(self, tenant_id: _Optional[str] = ..., settings_json: _Optional[str] = ...) -> None: ...

class TenantSettings(_message.Message):
    __slots__ = ("aspect_tags_json", "competitor_brands", "version", "marketplaces", "extra_languages", "detection_languages")
    ASPECT_TAGS_JSON_FIELD_NUMBER: _ClassVar[int]
    COMPETITOR_BRANDS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MARKETPLACES_FIELD_NUMBER: _ClassVar[int]
    EXTRA_LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    DETECTION_LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    aspect_tags_json: str
    competitor_brands: _containers.RepeatedScalarFieldContainer[str]
    version: int
    marketplaces: _containers.RepeatedScalarFieldContainer[str]
    extra_languages: _containers.RepeatedScalarFieldContainer[str]
    detection_languages: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, aspect_tags_json: _Optional[str] = ..., competitor_brands: _Optional[_Iterable[str]] = ..., version: _Optional[int] = ..., marketplaces: _Optional[_Iterable[str]] = ..., extra_languages: _Optional[_Iterable[str]] = ..., detection_languages: _Optional[_Iterable[str]] = ...) -> None: ...

class GetTenantSettingsRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class PutTenantSettingsRequest(_message.Message):
    __slots__ = ("tenant_id", "aspect_tags_json", "competitor_brands", "extra_languages")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ASPECT_TAGS_JSON_FIELD_NUMBER: _ClassVar[int]
    COMPETITOR_BRANDS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    aspect_tags_json: str
    competitor_brands: _containers.RepeatedScalarFieldContainer[str]
    extra_languages: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant_id: _Optional[str] = ..., aspect_tags_json: _Optional[str] = ..., competitor_brands: _Optional[_Iterable[str]] = ..., extra_languages: _Optional[_Iterable[str]] = ...) -> None: ...

class GetAnalysisRequest(_message.Message):
    __slots__ = ("tenant_id", "review_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    review_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., review_id: _Optional[str] = ...) -> None: ...

class TextInput(_message.Message):
    __slots__ = ("text", "language")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    text: str
    language: str
    def __init__(self, text: _Optional[str] = ..., language: _Optional[str] = ...) -> None: ...

class AnalyzeTextRequest(_message.Message):
    __slots__ = ("texts",)
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    texts: _containers.RepeatedCompositeFieldContainer[TextInput]
    def __init__(self, texts: _Optional[_Iterable[_Union[TextInput, _Mapping]]] = ...) -> None: ...

class AnalyzeTextResponse(_message.Message):
    __slots__ = ("analyses",)
    ANALYSES_FIELD_NUMBER: _ClassVar[int]
    analyses: _containers.RepeatedCompositeFieldContainer[_analysis_pb2.Analysis]
    def __init__(self, analyses: _Optional[_Iterable[_Union[_analysis_pb2.Analysis, _Mapping]]] = ...) -> None: ...
