"""Sources: pull connectors and webhook senders, their encrypted credentials, and the scheduler.

A source is one account on one platform (a Trustpilot business unit, a Judge.me shop, an eBay
seller). Its settings (credentials included) and webhook secret are sealed with SecretBox and never
leave the service; its polling state is `connectors.schedule.SourceState` kept as JSON in the row,
checkpointed after every stored page. The scheduler leases due sources (so replicas do not poll
the same one), polls them with `poll_source` and stores through IngestService.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg
import httpx

from libs.crypto import SecretBox
from libs.db import get_for_tenant
from libs.errors import Conflict, DomainError, FieldViolation, InvalidArgument, NotFound, Unavailable, require_uuid
from libs.loops import run_every
from libs.outbound import OutboundPolicy, OutboundRefused
from reviewguard.ingest.v1 import ingest_pb2, review_pb2
from services.ingest import models, webhooks
from services.ingest.connectors import RetryPolicy, SourceState, build_connector
from services.ingest.connectors.registry import KINDS as PULL_KINDS
from services.ingest.connectors.registry import SEND_KINDS, parse_config
from services.ingest.connectors.schedule import MAX_INTERVAL, PollPolicy, after_failure, poll_source, resume
from services.ingest.service import IngestService
from services.ingest.sources import repository
from services.ingest.sources.attention import NEEDS_ATTENTION

log = logging.getLogger(__name__)

KINDS = tuple(sorted({*PULL_KINDS, *SEND_KINDS, *webhooks.KINDS}))
# NOTE: sources nobody polls: webhook senders, and accounts used only to send (Amazon's Solicitations).
_UNPOLLED = {"webhook", "send_only"}
DEFAULT_INTERVAL_SECONDS = 120
MIN_INTERVAL_SECONDS = 10
# Fields a webhook needs from the settings to map reviews, per kind.
_WEBHOOK_NEEDS = {"shopify": ("marketplace",), "judgeme": ("marketplace",), "trustpilot": ("business_unit_id",)}
_UPDATABLE = ("name", "settings_json", "webhook_secret", "competitor", "backfill_days", "poll_interval_seconds", "status")


def webhook_path(kind: str, source_id: str) -> str:
    return f"/v1/webhooks/{kind}/{source_id}"


def to_proto(row: asyncpg.Record) -> ingest_pb2.Source:
    """The public view of a source: which settings are set, never their values."""
    state = SourceState.from_json(json.loads(row["cursor"]))
    source = ingest_pb2.Source(
        id=str(row["id"]), tenant_id=str(row["tenant_id"]), kind=row["kind"], name=row["name"], competitor=row["competitor"],
        backfill_days=row["backfill_days"], poll_interval_seconds=row["poll_interval_seconds"], status=row["status"],
        last_error=row["last_error"], settings_keys=list(row["settings_keys"]), has_webhook_secret=row["webhook_secret"] is not None,
        webhook_path=webhook_path(row["kind"], str(row["id"])) if row["webhook_secret"] is not None else "",
    )  # fmt: skip
    if row["next_poll_at"] is not None:
        source.next_poll_at.FromDatetime(row["next_poll_at"])
    if state.last_success_at is not None:
        source.last_success_at.FromDatetime(state.last_success_at)
    source.created_at.FromDatetime(row["created_at"])
    return source


class SourceService:
    """Source CRUD, webhook receipt and the polling scheduler of the ingest service."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        ingest: IngestService,
        box: SecretBox | None,
        client: httpx.AsyncClient,
        retry: RetryPolicy = RetryPolicy(),
        outbound: OutboundPolicy | None = None,
        webhook_tolerance: timedelta = timedelta(minutes=5),
        webhook_retention: timedelta = timedelta(days=7),
        lease: timedelta = timedelta(minutes=10),
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._pool = pool
        self._ingest = ingest
        self._box = box
        self._client = client
        # NOTE: URLs in settings (base_url) are checked against the outbound policy when saved;
        # `client` (from libs.outbound.outbound_client) checks every connection again.
        self._outbound = outbound or OutboundPolicy()
        self._retry = retry
        self._tolerance = webhook_tolerance
        self._retention = webhook_retention
        self._lease = lease
        self._clock = clock

    def _require_box(self) -> SecretBox:
        if self._box is None:
            raise Unavailable("sources need an encryption key: set REVIEWGUARD_SECRET_KEYS")
        return self._box

    # CRUD ---------------------------------------------------------------------------------------

    def _check_settings(self, kind: str, settings: dict[str, Any], webhook: bool) -> None:
        if kind in PULL_KINDS or kind in SEND_KINDS:
            parse_config(kind, settings)
        if webhook:
            missing = [f for f in _WEBHOOK_NEEDS.get(kind, ()) if not settings.get(f)]
            if kind not in webhooks.KINDS:
                raise InvalidArgument(f"{kind} sources take no webhooks", [FieldViolation("webhook_secret", f"only for {', '.join(webhooks.KINDS)}")])
            if missing:
                raise InvalidArgument(f"a {kind} webhook needs {', '.join(missing)}", [FieldViolation(f"settings.{m}", "required") for m in missing])
        elif kind not in PULL_KINDS and kind not in SEND_KINDS:
            raise InvalidArgument(f"a {kind} source receives webhooks only: give a webhook_secret", [FieldViolation("webhook_secret", "required")])

    async def _check_urls(self, settings: dict[str, Any]) -> None:
        bad = []
        for key, value in settings.items():
            if isinstance(value, str) and "://" in value:
                try:
                    await self._outbound.check_url(value)
                except OutboundRefused as refused:
                    bad.append(FieldViolation(f"settings.{key}", refused.reason))
        if bad:
            raise InvalidArgument("destination refused by the outbound policy; nothing was stored", bad)

    @staticmethod
    def _parse_settings(settings_json: str) -> dict[str, Any]:
        try:
            settings = json.loads(settings_json) if settings_json.strip() else {}
        except ValueError as error:
            raise InvalidArgument("settings are not JSON", [FieldViolation("settings", str(error))]) from None
        if not isinstance(settings, dict):
            raise InvalidArgument("settings must be a JSON object", [FieldViolation("settings", "a JSON object")])
        return settings

    @staticmethod
    def _check_numbers(backfill_days: int, interval: int) -> None:
        bad = []
        if not 0 <= backfill_days <= 3650:
            bad.append(FieldViolation("backfill_days", "0 to 3650"))
        if not MIN_INTERVAL_SECONDS <= interval < MAX_INTERVAL.total_seconds():
            bad.append(FieldViolation("poll_interval_seconds", f"{MIN_INTERVAL_SECONDS} to {int(MAX_INTERVAL.total_seconds()) - 1} (reviews are captured within 5 minutes)"))
        if bad:
            raise InvalidArgument(f"{len(bad)} invalid field(s); nothing was stored", bad)

    async def create(self, *, request: ingest_pb2.CreateSourceRequest) -> ingest_pb2.Source:
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        if request.kind not in KINDS:
            raise InvalidArgument(f"unknown source kind {request.kind!r}", [FieldViolation("kind", f"one of {', '.join(KINDS)}")])
        name = request.name.strip()
        if not 1 <= len(name) <= 100:
            raise InvalidArgument("a source needs a name of 1 to 100 characters", [FieldViolation("name", "1 to 100 characters")])
        interval = request.poll_interval_seconds or DEFAULT_INTERVAL_SECONDS
        self._check_numbers(request.backfill_days, interval)
        settings = self._parse_settings(request.settings_json)
        self._check_settings(request.kind, settings, bool(request.webhook_secret))
        await self._check_urls(settings)
        box = self._require_box()
        values = {
            "kind": request.kind, "name": name, "settings": box.seal(settings) if settings else None,
            "settings_keys": sorted(settings), "webhook_secret": box.seal(request.webhook_secret) if request.webhook_secret else None,
            "competitor": request.competitor, "backfill_days": request.backfill_days, "poll_interval_seconds": interval,
            "status": "active" if request.kind in PULL_KINDS else "send_only" if request.kind in SEND_KINDS else "webhook", "now": self._clock(),
        }  # fmt: skip
        try:
            async with self._pool.acquire() as conn:
                row = await repository.insert_source(conn, tenant, values)
        except asyncpg.UniqueViolationError:
            raise Conflict(f"a source named {name!r} exists already", [FieldViolation("name", "must be unique")]) from None
        log.info("source created", extra={"fields": {"tenant": str(tenant), "source": str(row["id"]), "kind": request.kind}})
        return to_proto(row)

    async def update(self, *, request: ingest_pb2.UpdateSourceRequest) -> ingest_pb2.Source:
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        source_id = require_uuid(request.source_id, field="source_id")
        unknown = sorted(set(request.fields) - set(_UPDATABLE))
        if unknown:
            raise InvalidArgument(f"cannot update {unknown}", [FieldViolation("fields", f"only {', '.join(_UPDATABLE)}")])
        async with self._pool.acquire() as conn, conn.transaction():
            row = await get_for_tenant(
                conn, repository.get_source, tenant_id=tenant, item_id=source_id, field="source_id", missing=f"source {request.source_id} not found"
            )
            fields = set(request.fields)
            values: dict[str, Any] = {}
            box = self._require_box() if fields & {"settings_json", "webhook_secret"} else self._box
            if "name" in fields:
                if not 1 <= len(request.name.strip()) <= 100:
                    raise InvalidArgument("a source needs a name of 1 to 100 characters", [FieldViolation("name", "1 to 100 characters")])
                values["name"] = request.name.strip()
            if "competitor" in fields:
                values["competitor"] = request.competitor
            backfill = request.backfill_days if "backfill_days" in fields else row["backfill_days"]
            interval = request.poll_interval_seconds if "poll_interval_seconds" in fields else row["poll_interval_seconds"]
            self._check_numbers(backfill, interval)
            values["backfill_days"], values["poll_interval_seconds"] = backfill, interval
            secret_set = request.webhook_secret != "" if "webhook_secret" in fields else row["webhook_secret"] is not None
            if "webhook_secret" in fields:
                values["webhook_secret"] = box.seal(request.webhook_secret) if request.webhook_secret else None
            if "settings_json" in fields or "webhook_secret" in fields:
                settings = (
                    self._parse_settings(request.settings_json)
                    if "settings_json" in fields
                    else (box.open(row["settings"]) if row["settings"] is not None else {})
                )
                self._check_settings(row["kind"], settings, secret_set)
                await self._check_urls(settings)
                values["settings"], values["settings_keys"] = (box.seal(settings) if settings else None), sorted(settings)
            if "status" in fields and row["status"] not in _UNPOLLED:
                if request.status not in ("active", "paused"):
                    raise InvalidArgument("status must be active or paused", [FieldViolation("status", "active or paused")])
                values["status"] = request.status
                state = SourceState.from_json(json.loads(row["cursor"]))
                if request.status == "active":
                    # NOTE: resuming clears the pause and failure count and polls at once.
                    state = resume(state, self._clock())
                    values["last_error"], values["next_poll_at"] = "", state.next_poll_at
                else:
                    values["next_poll_at"] = None
                values["cursor"] = state.to_json()
            if "settings_json" in fields and row["status"] in ("paused", NEEDS_ATTENTION) and "status" not in fields:
                # NOTE: new credentials are the usual fix for a pause or a refused credential; try them right away.
                values["status"], values["next_poll_at"], values["last_error"] = "active", self._clock(), ""
                values["cursor"] = resume(SourceState.from_json(json.loads(row["cursor"])), self._clock()).to_json()
            if values.get("status") in ("active", "paused"):
                # NOTE: only pull kinds reply, so only they are ever marked needs_attention.
                values["attention_reason"], values["attention_since"] = "", None
            try:
                updated = await repository.update_source(conn, tenant, source_id, values)
            except asyncpg.UniqueViolationError:
                raise Conflict(f"a source named {request.name!r} exists already", [FieldViolation("name", "must be unique")]) from None
        return to_proto(updated)

    async def get(self, *, tenant_id: str, source_id: str) -> ingest_pb2.Source:
        row = await get_for_tenant(
            self._pool, repository.get_source, tenant_id=tenant_id, item_id=source_id, field="source_id",
            missing=f"source {source_id} not found",
        )
        return to_proto(row)

    async def list(self, *, tenant_id: str) -> list[ingest_pb2.Source]:
        async with self._pool.acquire() as conn:
            return [to_proto(r) for r in await repository.list_sources(conn, require_uuid(tenant_id, field="tenant_id"))]

    async def delete(self, *, tenant_id: str, source_id: str) -> None:
        async with self._pool.acquire() as conn:
            deleted = await repository.delete_source(conn, require_uuid(tenant_id, field="tenant_id"), require_uuid(source_id, field="source_id"))
        if not deleted:
            raise NotFound(f"source {source_id} not found")

    # Webhooks -----------------------------------------------------------------------------------

    async def receive_webhook(self, *, kind: str, source_id: str, body: bytes, headers: dict[str, str]) -> ingest_pb2.WebhookResponse:
        """Verifies and stores one webhook call; Unauthenticated (nothing stored) when not authentic or replayed."""
        try:
            sid = uuid.UUID(source_id)
        except ValueError:
            raise webhooks.not_authentic(kind) from None
        async with self._pool.acquire() as conn:
            row = await repository.get_source(conn, None, sid)
        # NOTE: one answer for an unknown source, a kind mismatch, a missing secret and a missing or
        # wrong signature, so the endpoint does not reveal which source ids exist.
        if row is None or row["kind"] != kind or row["webhook_secret"] is None:
            raise webhooks.not_authentic(kind)
        box = self._require_box()
        verified = webhooks.verify(kind, box.open(row["webhook_secret"]), body, headers, now=self._clock(), tolerance=self._tolerance)
        settings = box.open(row["settings"]) if row["settings"] is not None else {}
        delivery = webhooks.parse(kind, settings, body, headers)
        now = self._clock()
        violations = [v for i, r in enumerate(delivery.reviews) for v in models.validate(r, path=f"reviews[{i}]", limits=self._ingest.limits, now=now)]
        if violations:
            raise InvalidArgument(f"{len(violations)} invalid field(s); nothing was stored", violations)
        async with self._pool.acquire() as conn:
            fresh = await repository.remember_webhook(conn, sid, verified.digest)
        if not fresh:
            raise webhooks.Unauthenticated("this webhook call was received before: refused as a replay")
        tenant = str(row["tenant_id"])
        try:
            results = []
            for review in delivery.reviews:
                review.competitor = review.competitor or row["competitor"]
            if delivery.reviews:
                results = await self._ingest.submit(tenant, delivery.reviews, channel="webhook", source_id=source_id)
            removed = []
            if delivery.removed:
                platform = "trustpilot" if kind == "trustpilot" else "shopify"
                removed = await self._ingest.remove(tenant_id=tenant, platform=platform, external_ids=delivery.removed)
        except BaseException:
            # NOTE: nothing was stored, so the platform's retry of this call must not count as a replay.
            async with self._pool.acquire() as conn:
                await repository.forget_webhook(conn, sid, verified.digest)
            raise
        return ingest_pb2.WebhookResponse(accepted=len(results), removed=len(removed), ids=[r.id for r in results + removed])

    async def prune_webhooks(self) -> int:
        async with self._pool.acquire() as conn:
            return await repository.forget_webhooks(conn, self._clock() - self._retention)

    # Scheduler ----------------------------------------------------------------------------------

    async def poll_due(self, *, limit: int = 8) -> int:
        """Polls the sources due now (up to `limit`, concurrently); returns how many were polled."""
        async with self._pool.acquire() as conn:
            rows = await repository.lease_due_sources(conn, now=self._clock(), limit=limit, lease_seconds=self._lease.total_seconds())
        await asyncio.gather(*(self._poll(row) for row in rows))
        return len(rows)

    async def run_scheduler(self, stop: asyncio.Event, *, tick_seconds: float) -> None:
        """Polls due sources every tick until `stop`; a failing tick is logged and retried."""
        async def tick() -> None:
            await self.poll_due()
            await self.prune_webhooks()

        await run_every(tick, interval_seconds=tick_seconds, stop=stop, name="source scheduler tick")

    async def _poll(self, row: asyncpg.Record) -> None:
        source_id, tenant = row["id"], str(row["tenant_id"])
        state = SourceState.from_json(json.loads(row["cursor"]))
        policy = PollPolicy(interval=timedelta(seconds=row["poll_interval_seconds"]), backfill_days=row["backfill_days"])
        # NOTE: reviews read before the first finished run are history, not fresh captures; their
        # lag is reported apart so it does not hide the real-time figure.
        channel = "backfill" if state.watermark is None else "pull"

        async def sink(reviews: list[review_pb2.Review], skipped) -> None:
            now = self._clock()
            good = []
            for review in reviews:
                review.competitor = review.competitor or row["competitor"]
                bad = models.validate(review, path="review", limits=self._ingest.limits, now=now)
                if bad:
                    log.warning("source %s: review %s not stored: %s", source_id, review.external_id, "; ".join(f"{v.field} {v.description}" for v in bad))
                else:
                    good.append(review)
            for start in range(0, len(good), self._ingest.max_batch):
                await self._ingest.submit(tenant, good[start : start + self._ingest.max_batch], channel=channel, source_id=str(source_id))
            if skipped:
                log.info("source %s: %d platform records skipped (first: %s)", source_id, len(skipped), skipped[0].reason)

        async def checkpoint(current: SourceState) -> None:
            async with self._pool.acquire() as conn:
                await repository.save_source_state(
                    conn, source_id, cursor=current.to_json(), last_error=current.last_error or "",
                    next_poll_at=row["next_poll_at"], paused=False, release=False,
                )  # fmt: skip

        try:
            settings = self._require_box().open(row["settings"]) if row["settings"] is not None else {}
            connector = build_connector(row["kind"], settings, client=self._client, retry=self._retry)
            state = await poll_source(connector, state, policy, sink=sink, checkpoint=checkpoint, clock=self._clock)
        except Exception as error:  # noqa: BLE001 - a bad source must not stop the others
            message = error.message if isinstance(error, DomainError) else f"{type(error).__name__}: unexpected failure"
            log.warning("source %s poll failed: %s", source_id, message, exc_info=not isinstance(error, DomainError))
            state = after_failure(state, policy, self._clock(), error)
            state = replace(state, last_error=message)
        async with self._pool.acquire() as conn:
            await repository.save_source_state(
                conn, source_id, cursor=state.to_json(), last_error=state.last_error or "", next_poll_at=state.next_poll_at,
                paused=state.paused_reason is not None, release=True,
            )  # fmt: skip
