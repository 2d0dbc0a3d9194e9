"""/v1/nlp-settings: a tenant's aspect tags and competitor brands, applied from the next batch."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from reviewguard.nlp.v1 import nlp_pb2
from services.gateway.dependencies import BackendsDep, TenantDep

router = APIRouter(tags=["nlp"])


class NlpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aspect_tags: list[dict[str, Any]] = Field(
        default_factory=list,
        examples=[[{"name": "heatwave", "language": "de", "keywords": ["hitzewelle"], "patterns": [], "negatable": False}]],
        description="tags per language ('*' for all): keywords and regular expressions; a base aspect's name adds to it",
    )
    competitor_brands: list[str] = Field(default_factory=list, examples=[["KettleKing"]])


class NlpSettingsRead(NlpSettings):
    version: int


def _read(settings: nlp_pb2.TenantSettings) -> NlpSettingsRead:
    return NlpSettingsRead(
        aspect_tags=json.loads(settings.aspect_tags_json or "[]"),
        competitor_brands=list(settings.competitor_brands),
        version=settings.version,
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
        )
    )
    return _read(stored)
