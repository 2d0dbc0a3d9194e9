"""Translates queued reviews with each tenant's own provider, outside the analysis path.

The NLP consumer queues a translation in the transaction that stores the analysis; this worker
leases due rows, translates them in batches per (tenant, source language) and stores the result.
A provider that is slow, rate-limited or down therefore never holds up analysis or alerts, and a
worker that dies mid-call leaves its leased rows due again when the lease ends: nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence

import asyncpg
import httpx
from pydantic import ValidationError

from libs import outbox, topology
from libs.crypto import SecretBox
from libs.errors import violations_of
from libs.loops import run_every
from libs.telemetry import current_traceparent
from reviewguard.events.v1 import events_pb2
from services.nlp import repository
from services.nlp.translation.base import Translator
from services.nlp.translation.config import TranslationSettings
from services.nlp.translation.errors import TranslationAuthError, TranslationError, TranslationQuotaError, TranslationUnavailable
from services.nlp.translation.factory import build_translator

log = logging.getLogger(__name__)

CLAIM_LIMIT = 100
# Texts per provider call (DeepL takes 50; LibreTranslate is called per text anyway).
CHUNK = 25
LEASE_SECONDS = 300.0
# NOTE: an outage or a used-up quota is waited out: 30 s, 1 min, 2 min … capped at an hour, up
# to a day and a half of attempts; a refused key or request fails until the tenant changes settings.
MAX_ATTEMPTS = 40
BACKOFF_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 3600.0
# NOTE: the outbox itself (add, claim, relay) is libs/outbox.py; this is nlp's NOTIFY channel.
OUTBOX_CHANNEL = "nlp_outbox"


def _announcements(tenant: uuid.UUID, target: str, rows: Sequence[asyncpg.Record], translations) -> list[outbox.Event]:
    """reviews.translated for the inbox's search, one per review version (its id de-duplicates a re-publish)."""
    headers = current_traceparent()
    return [
        outbox.Event(
            topology.REVIEW_TRANSLATED, f"translated:{row['review_id']}:v{row['review_version']}",
            events_pb2.ReviewTranslated(
                tenant_id=str(tenant), review_id=str(row["review_id"]), review_version=row["review_version"], text=t.text,
                target_language=target, provider=t.provider,
            ).SerializeToString(),
            headers,
        )
        for row, t in zip(rows, translations)
    ]


def backoff(attempts: int) -> float:
    return min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2 ** max(0, attempts - 1))


class TranslationWorker:
    def __init__(self, *, pool: asyncpg.Pool, box: SecretBox | None, http: httpx.AsyncClient) -> None:
        self._pool = pool
        self._box = box
        self._http = http
        self.wake = asyncio.Event()
        # tenant -> (the sealed settings it was built from, translator or None when off)
        self._translators: dict[uuid.UUID, tuple[bytes | None, Translator | None]] = {}

    async def run(self, stop: asyncio.Event, *, poll_seconds: float) -> None:
        """Works until `stop`; woken by new work, else looks for due retries every `poll_seconds`."""
        # NOTE: a round that took rows goes again at once; a failed one loses nothing (leased rows come back).
        await run_every(self.translate_due, interval_seconds=poll_seconds, stop=stop, name="translation round", more=bool, wake=self.wake)

    async def translate_due(self) -> int:
        """One round: translates what is due (up to CLAIM_LIMIT); returns how many rows it took."""
        async with self._pool.acquire() as conn:
            rows = await repository.claim_translations(conn, limit=CLAIM_LIMIT, lease_seconds=LEASE_SECONDS)
        groups: dict[tuple[uuid.UUID, str, str], list[asyncpg.Record]] = defaultdict(list)
        for row in rows:
            groups[(row["tenant_id"], row["source_language"], row["target_language"])].append(row)
        for (tenant, source, target), group in groups.items():
            for start in range(0, len(group), CHUNK):
                await self._translate(tenant, source, target, group[start:start + CHUNK])
        return len(rows)

    async def _translate(self, tenant: uuid.UUID, source: str, target: str, rows: Sequence[asyncpg.Record]) -> None:
        ids = [row["review_id"] for row in rows]
        try:
            translator = await self._translator(tenant)
        except ValueError as error:
            await self._record(ids, f"settings cannot be read: {error}", None)
            return
        if translator is None:
            await self._record(ids, "translation is turned off for this tenant", None)
            return
        try:
            # NOTE: "und" means detection could not tell; the provider detects it then.
            translations = await translator.translate(
                [row["text"] for row in rows], target, None if source == "und" else source
            )
        except (TranslationUnavailable, TranslationQuotaError) as error:
            attempts = min(row["attempts"] for row in rows)
            await self._record(ids, str(error), backoff(attempts) if attempts < MAX_ATTEMPTS else None)
            return
        except TranslationAuthError as error:
            await self._record(ids, f"{error} (fix the key in the translation settings)", None)
            return
        except TranslationError as error:
            await self._record(ids, str(error), None)
            return
        async with self._pool.acquire() as conn, conn.transaction():
            await repository.finish_translations(
                conn,
                [(row["review_id"], row["review_version"], t.text, t.provider) for row, t in zip(rows, translations)],
            )
            # NOTE: announced in the same transaction (libs/outbox.py): a bus that is away when the
            # text is stored delays the inbox's copy, never loses it.
            await outbox.add(conn, _announcements(tenant, target, rows, translations), channel=OUTBOX_CHANNEL)
        log.info("translated %d review(s)", len(rows), extra={"fields": {"tenant": str(tenant), "source": source}})

    async def _record(self, review_ids: list[uuid.UUID], error: str, delay: float | None) -> None:
        log.warning("translation %s: %s", "postponed" if delay is not None else "failed", error,
                    extra={"fields": {"reviews": len(review_ids)}})
        async with self._pool.acquire() as conn:
            await repository.retry_translations(conn, review_ids, error=error, delay_seconds=delay)

    async def _translator(self, tenant: uuid.UUID) -> Translator | None:
        async with self._pool.acquire() as conn:
            row = await repository.get_tenant_settings(conn, tenant)
        sealed = row["translation"] if row is not None else None
        cached = self._translators.get(tenant)
        if cached is not None and cached[0] == sealed:
            return cached[1]
        translator = None
        if sealed is not None:
            if self._box is None:
                raise ValueError("no secret keys configured (REVIEWGUARD_SECRET_KEYS)")
            try:
                settings = TranslationSettings.model_validate(self._box.open(sealed))
            except ValidationError as error:
                # NOTE: fields and problems only: pydantic's own text quotes the input, API key included.
                raise ValueError("; ".join(f"{v.field}: {v.description}" for v in violations_of(error, default="settings"))) from None
            translator = build_translator(settings, http=self._http)
        self._translators[tenant] = (sealed, translator)
        return translator
