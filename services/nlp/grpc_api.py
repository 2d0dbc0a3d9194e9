"""gRPC adapter of the NLP service."""

from __future__ import annotations

import grpc

from libs.errors import FieldViolation, InvalidArgument
from reviewguard.nlp.v1 import analysis_pb2, nlp_pb2, nlp_pb2_grpc
from services.nlp.service import NlpService

MAX_TEXTS = 1000
MAX_TEXT_CHARS = 20_000


class NlpServicer(nlp_pb2_grpc.NlpServiceServicer):
    def __init__(self, service: NlpService) -> None:
        self._service = service

    async def GetAnalysis(self, request: nlp_pb2.GetAnalysisRequest, context: grpc.aio.ServicerContext) -> analysis_pb2.Analysis:
        return await self._service.get(request.tenant_id, request.review_id)

    async def AnalyzeText(self, request: nlp_pb2.AnalyzeTextRequest, context: grpc.aio.ServicerContext):
        if not 1 <= len(request.texts) <= MAX_TEXTS:
            raise InvalidArgument(f"give 1 to {MAX_TEXTS} texts", [FieldViolation("texts", f"1 to {MAX_TEXTS} texts")])
        too_long = [
            FieldViolation(f"texts[{i}].text", f"at most {MAX_TEXT_CHARS} characters")
            for i, t in enumerate(request.texts)
            if len(t.text) > MAX_TEXT_CHARS
        ]
        if too_long:
            raise InvalidArgument("text too long", too_long)
        analyses = await self._service.analyze_texts([t.text for t in request.texts])
        return nlp_pb2.AnalyzeTextResponse(analyses=analyses)

    async def GetTenantSettings(self, request: nlp_pb2.GetTenantSettingsRequest, context) -> nlp_pb2.TenantSettings:
        return await self._service.tenant_settings.get_settings(request.tenant_id)

    async def PutTenantSettings(self, request: nlp_pb2.PutTenantSettingsRequest, context) -> nlp_pb2.TenantSettings:
        return await self._service.tenant_settings.put_settings(
            request.tenant_id, aspect_tags_json=request.aspect_tags_json, competitor_brands=list(request.competitor_brands),
            extra_languages=list(request.extra_languages),
        )

    async def GetTranslationSettings(self, request: nlp_pb2.GetTranslationSettingsRequest, context) -> nlp_pb2.TranslationSettings:
        return await self._service.tenant_settings.get_translation_settings(request.tenant_id)

    async def PutTranslationSettings(self, request: nlp_pb2.PutTranslationSettingsRequest, context) -> nlp_pb2.TranslationSettings:
        return await self._service.tenant_settings.put_translation_settings(request.tenant_id, request.settings_json)
