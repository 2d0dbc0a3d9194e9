"""/v1/nlp-settings and /v1/translation-settings: what a tenant tunes in the NLP service.

nlp-settings: aspect tags, competitor brands and extra detection languages, applied from the next
batch. translation-settings: the machine-translation provider (off by default); keys are sealed
by the NLP service and never returned.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from reviewguard.nlp.v1 import nlp_pb2
from services.gateway.dependencies import BackendsDep, TenantDep
from services.gateway.schemas import ERROR_RESPONSES
from services.gateway.edge import JsonObject, RequestModel

router = APIRouter(tags=["nlp"], responses=ERROR_RESPONSES)


class NlpSettings(RequestModel):
    aspect_tags: list[dict[str, Any]] = Field(
        default_factory=list,
        examples=[[{"name": "heatwave", "language": "de", "keywords": ["hitzewelle"], "patterns": [], "negatable": False}]],
        description="tags per language ('*' for all): keywords and regular expressions; a base aspect's name adds to it",
    )
    competitor_brands: list[str] = Field(default_factory=list, examples=[["KettleKing"]])
    extra_languages: list[str] = Field(
        default_factory=list, examples=[["it"]],
        description="ISO 639-1 codes detected besides the languages of the marketplaces the tenant sells on",
    )


class NlpSettingsRead(NlpSettings):
    version: int
    marketplaces: list[str] = Field(description="marketplaces seen in the tenant's reviews")
    detection_languages: list[str] = Field(description="what language detection chooses among for this tenant")


def _read(settings: nlp_pb2.TenantSettings) -> NlpSettingsRead:
    return NlpSettingsRead(
        aspect_tags=json.loads(settings.aspect_tags_json or "[]"),
        competitor_brands=list(settings.competitor_brands),
        extra_languages=list(settings.extra_languages),
        version=settings.version,
        marketplaces=list(settings.marketplaces),
        detection_languages=list(settings.detection_languages),
    )


@router.get("/v1/nlp-settings", response_model=NlpSettingsRead)
async def get_nlp_settings(tenant: TenantDep, backends: BackendsDep) -> NlpSettingsRead:
    return _read(await backends.nlp.GetTenantSettings(nlp_pb2.GetTenantSettingsRequest(tenant_id=str(tenant))))


@router.put("/v1/nlp-settings", response_model=NlpSettingsRead)
async def put_nlp_settings(tenant: TenantDep, backends: BackendsDep, body: Annotated[NlpSettings, Body()]) -> NlpSettingsRead:
    """Replaces the tenant's tags and brands; an invalid tag is refused (422) and nothing changes."""
    stored = await backends.nlp.PutTenantSettings(
        nlp_pb2.PutTenantSettingsRequest(
            tenant_id=str(tenant),
            aspect_tags_json=json.dumps(body.aspect_tags, ensure_ascii=False),
            competitor_brands=body.competitor_brands,
            extra_languages=body.extra_languages,
        )
    )
    return _read(stored)


TRANSLATION_EXAMPLE = {
    "enabled": True,
    "target": "zh",
    "provider": {"provider": "deepl", "api_key": "your-key:fx", "plan": "auto"},
}


class RetryRead(BaseModel):
    max_attempts: int
    initial_wait_s: float
    max_wait_s: float
    jitter_s: float
    max_retry_after_s: float


class TranslationSettingsRead(BaseModel):
    """The settings as stored, the provider's key replaced by `api_key_set`."""

    enabled: bool
    target: str = Field(examples=["zh"])
    provider: dict[str, Any] | None = Field(
        examples=[{"provider": "deepl", "plan": "auto", "base_url": None, "english": "EN-US", "api_key_set": True}],
        description="deepl, google or libretranslate settings (`provider` names it), without the key; null when none",
    )
    timeout_s: float
    retry: RetryRead
    backfill_days: int


@router.get("/v1/translation-settings", response_model=TranslationSettingsRead)
async def get_translation_settings(tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """The tenant's translation settings; `provider.api_key_set` tells whether a key is stored."""
    stored = await backends.nlp.GetTranslationSettings(nlp_pb2.GetTranslationSettingsRequest(tenant_id=str(tenant)))
    return json.loads(stored.settings_json)


@router.put("/v1/translation-settings", response_model=TranslationSettingsRead)
async def put_translation_settings(
    tenant: TenantDep,
    backends: BackendsDep,
    body: Annotated[JsonObject, Body(examples=[TRANSLATION_EXAMPLE])],
) -> dict[str, Any]:
    """Turns translation on or off and picks the provider: deepl (api_key, plan free/pro/auto),
    google (api_key; Cloud Translation v2) or libretranslate (base_url, optional api_key).
    Reviews analysed from then on in another language than `target` are translated, and so are
    those analysed in the last `backfill_days` days (default 7, 0 to skip); the original
    text is always kept. An omitted api_key keeps the stored key of the same provider. Invalid
    settings are refused (422) and nothing changes."""
    stored = await backends.nlp.PutTranslationSettings(
        nlp_pb2.PutTranslationSettingsRequest(tenant_id=str(tenant), settings_json=json.dumps(body, ensure_ascii=False))
    )
    return json.loads(stored.settings_json)
