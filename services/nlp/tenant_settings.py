"""A tenant's NLP settings: aspect tags, competitor brands, extra languages, and the sealed
translation settings (validated, checked against the outbound policy, the key never read back)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import asyncpg
from pydantic import TypeAdapter, ValidationError

from libs.crypto import SecretBox
from libs.errors import FieldViolation, InvalidArgument, Unavailable, require_uuid, violations_of
from libs.outbound import OutboundPolicy, OutboundRefused
from reviewguard.nlp.v1 import nlp_pb2
from services.nlp import repository
from services.nlp.aspects import TenantTag
from services.nlp.translation.config import TranslationSettings

log = logging.getLogger(__name__)
TENANT_TAGS = TypeAdapter(list[TenantTag])


class TenantSettingsService:
    """Reads and replaces a tenant's settings; the analysis reads them per batch (service.py)."""

    def __init__(
        self, *, pool: asyncpg.Pool, box: SecretBox | None, outbound: OutboundPolicy, languages: list[str],
        detection_languages: Callable[[asyncpg.Record], list[str]], on_translations_queued: Callable[[], None],
    ) -> None:  # fmt: skip
        self._pool = pool
        self._box = box
        # NOTE: a provider's base_url is checked against the outbound policy when saved (and on every request).
        self._outbound = outbound
        self._languages = languages
        self._detection_languages = detection_languages
        self._on_translations_queued = on_translations_queued

    async def get_settings(self, tenant_id: str) -> nlp_pb2.TenantSettings:
        tenant = require_uuid(tenant_id, field="tenant_id")
        async with self._pool.acquire() as conn:
            row = await repository.get_tenant_settings(conn, tenant)
        if row is None:
            return nlp_pb2.TenantSettings(aspect_tags_json="[]", detection_languages=self._languages)
        return nlp_pb2.TenantSettings(
            aspect_tags_json=row["aspect_tags"], competitor_brands=json.loads(row["competitor_brands"]),
            version=row["version"], marketplaces=row["marketplaces"], extra_languages=row["extra_languages"],
            detection_languages=self._detection_languages(row),
        )

    async def put_settings(
        self, tenant_id: str, *, aspect_tags_json: str, competitor_brands: list[str], extra_languages: list[str] = ()
    ) -> nlp_pb2.TenantSettings:
        """Replaces the tenant's tags, brands and extra languages; they apply from the next batch."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        try:
            tags = TENANT_TAGS.validate_json(aspect_tags_json or "[]")
        except ValidationError as error:
            raise InvalidArgument("invalid aspect tags; nothing was changed", violations_of(error, prefix="aspect_tags")) from None
        brands = [b.strip() for b in competitor_brands if b.strip()]
        if any(len(b) > 100 for b in brands) or len(brands) > 500:
            raise InvalidArgument("too many or too long competitor brands", [FieldViolation("competitor_brands", "at most 500 of 100 characters")])
        languages = sorted({code.strip().lower() for code in extra_languages if code.strip()})
        unknown = [code for code in languages if code not in self._languages]
        if unknown:
            raise InvalidArgument(
                f"cannot detect {', '.join(unknown)}; nothing was changed",
                [FieldViolation("extra_languages", f"this deployment detects only {', '.join(self._languages)}")],
            )
        async with self._pool.acquire() as conn:
            await repository.put_tenant_settings(
                conn, tenant, aspect_tags=[t.model_dump(mode="json") for t in tags], competitor_brands=brands,
                extra_languages=languages,
            )
        return await self.get_settings(tenant_id)

    async def get_translation_settings(self, tenant_id: str) -> nlp_pb2.TranslationSettings:
        tenant = require_uuid(tenant_id, field="tenant_id")
        async with self._pool.acquire() as conn:
            row = await repository.get_tenant_settings(conn, tenant)
        stored = self._open_translation(row)
        return nlp_pb2.TranslationSettings(settings_json=json.dumps(_redacted(stored or TranslationSettings())))

    async def put_translation_settings(self, tenant_id: str, settings_json: str) -> nlp_pb2.TranslationSettings:
        """Validates, seals and stores a tenant's translation settings; an invalid body changes nothing."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        if self._box is None:
            raise Unavailable("no encryption key configured (REVIEWGUARD_SECRET_KEYS); translation settings cannot be stored")
        try:
            body = json.loads(settings_json or "{}")
        except ValueError:
            raise InvalidArgument("settings are not JSON", [FieldViolation("body", "a JSON object")]) from None
        async with self._pool.acquire() as conn:
            stored = self._open_translation(await repository.get_tenant_settings(conn, tenant))
            provider = body.get("provider") if isinstance(body, dict) else None
            if (
                isinstance(provider, dict) and "api_key" not in provider and stored is not None and stored.provider is not None
                and stored.provider.provider == provider.get("provider") and getattr(stored.provider, "api_key", None)
            ):
                # NOTE: a client edits settings it read, and reads never include the key: keep the stored one.
                provider["api_key"] = stored.provider.api_key.get_secret_value()
            try:
                settings = TranslationSettings.model_validate(body)
            except ValidationError as error:
                raise InvalidArgument("invalid translation settings; nothing was changed", violations_of(error, default="body")) from None
            base_url = getattr(settings.provider, "base_url", None) if settings.provider is not None else None
            if base_url:
                try:
                    await self._outbound.check_url(base_url)
                except OutboundRefused as refused:
                    raise InvalidArgument(
                        "provider destination refused by the outbound policy; nothing was changed",
                        [FieldViolation("provider.base_url", refused.reason)],
                    ) from None
            if settings.enabled and settings.provider is None:
                raise InvalidArgument(
                    "translation cannot be enabled without a provider; nothing was changed",
                    [FieldViolation("provider", "deepl, google or libretranslate settings")],
                )
            async with conn.transaction():
                await repository.put_translation_settings(conn, tenant, self._box.seal(_revealed(settings)))
                backfilled = 0
                if settings.enabled:
                    backfilled = await repository.backfill_translations(conn, tenant, settings.target, settings.backfill_days)
        if backfilled:
            log.info("tenant %s: %d recent reviews queued for translation into %s", tenant, backfilled, settings.target)
            self._on_translations_queued()
        return nlp_pb2.TranslationSettings(settings_json=json.dumps(_redacted(settings)))

    def _open_translation(self, row: asyncpg.Record | None) -> TranslationSettings | None:
        if row is None or row["translation"] is None:
            return None
        if self._box is None:
            raise Unavailable("no encryption key configured (REVIEWGUARD_SECRET_KEYS)")
        return TranslationSettings.model_validate(self._box.open(row["translation"]))


def _revealed(settings: TranslationSettings) -> dict:
    """The settings with the key in clear, for sealing only (never for logs or answers)."""
    data = settings.model_dump(mode="json")
    if settings.provider is not None and getattr(settings.provider, "api_key", None) is not None:
        data["provider"]["api_key"] = settings.provider.api_key.get_secret_value()
    return data


def _redacted(settings: TranslationSettings) -> dict:
    data = settings.model_dump(mode="json")
    if data.get("provider") is not None:
        data["provider"]["api_key_set"] = data["provider"].pop("api_key", None) is not None
    return data
