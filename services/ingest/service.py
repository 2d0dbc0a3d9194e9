"""Ingest's domain logic: validate a batch, store it once, queue its events in the same transaction."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import asyncpg

from libs import outbox, paging, topology
from libs.db import get_for_tenant
from libs.errors import FieldViolation, InvalidArgument, require_uuid
from libs.telemetry import current_traceparent
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import ingest_pb2, review_pb2
from services.ingest import models
from services.ingest.history import repository as history_repository
from services.ingest.imports.encoding import encoding_damage
from services.ingest.metrics import IngestMetrics
from services.ingest.reviews import repository as reviews_repository

log = logging.getLogger(__name__)

REVIEW_UPDATED = topology.REVIEW_UPDATED
DEFAULT_LAG_WINDOW = timedelta(hours=24)
MAX_LAG_WINDOW = timedelta(days=90)
# A review posted longer than this before it is captured is history, whatever brought it.
HISTORY_AGE = timedelta(days=14)
# Channels that bring a seller's past in bulk: history unless the user marks the import live.
BULK_CHANNELS = frozenset({"import", "backfill"})
_GUARDED_TEXTS = ("title", "body", "reviewer_name")


@dataclass(frozen=True)
class SubmitResult:
    id: str
    created: bool
    updated: bool


@dataclass(frozen=True)
class ImportOutcome:
    """A stored import batch: a result per review, None where the review was rejected, and why."""

    results: list[SubmitResult | None]
    rejected: dict[int, str]


class IngestService:
    """Stores reviews idempotently on (tenant, platform, external_id) and publishes via the outbox."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        limits: models.Limits,
        max_batch: int,
        metrics: IngestMetrics | None = None,
        history_age: timedelta = HISTORY_AGE,
        clock=lambda: datetime.now(timezone.utc),
    ) -> None:
        self._pool = pool
        self._limits = limits
        self._max_batch = max_batch
        self._metrics = metrics
        self._history_age = history_age
        self._clock = clock

    @property
    def limits(self) -> models.Limits:
        return self._limits

    @property
    def max_batch(self) -> int:
        return self._max_batch

    async def submit(
        self,
        tenant_id: str,
        reviews: list[review_pb2.Review],
        *,
        channel: str = "api",
        source_id: str = "",
        live: bool = False,
    ) -> list[SubmitResult]:
        """Stores the batch atomically: one invalid review rejects all of it and stores nothing.

        `channel` and `source_id` record how the reviews arrived (capture lag is reported by them);
        an import or backfill is history unless `live`, and so is any review posted more than
        `history_age` before now.
        """
        tenant = require_uuid(tenant_id, field="tenant_id")
        if not reviews:
            raise InvalidArgument("no reviews given", [FieldViolation("reviews", "must hold at least one review")])
        if len(reviews) > self._max_batch:
            raise InvalidArgument(
                f"too many reviews in one request: {len(reviews)} > {self._max_batch}",
                [FieldViolation("reviews", f"at most {self._max_batch} per request")],
            )
        now = self._clock()
        violations = [
            v for i, r in enumerate(reviews) for v in models.validate(r, path=f"reviews[{i}]", limits=self._limits, now=now)
        ]
        if violations:
            raise InvalidArgument(f"{len(violations)} invalid field(s); nothing was stored", violations)
        rows = self._rows(reviews, channel=channel, source_id=source_id, live=live, now=now)
        results, _ = await self._store(tenant, rows, guard_encoding=False)
        return results

    async def store_import(
        self, tenant_id: str, reviews: list[review_pb2.Review], *, live: bool = False, channel: str = "import"
    ) -> ImportOutcome:
        """Stores a batch of file-import rows, each on its own: a rejected row does not stop the others.

        The reviews must already have passed `models.validate` under this service's `limits` (the
        import readers check every row as they read it). A row whose texts are a stored review's
        texts with their encoding broken (mojibake, U+FFFD) is rejected and stores no new version.
        """
        tenant = require_uuid(tenant_id, field="tenant_id")
        if not reviews:
            return ImportOutcome([], {})
        rows = self._rows(reviews, channel=channel, source_id="", live=live, now=self._clock())
        results, rejected = await self._store(tenant, rows, guard_encoding=True)
        return ImportOutcome(results, rejected)

    def _rows(self, reviews: list[review_pb2.Review], *, channel: str, source_id: str, live: bool, now: datetime) -> list[dict]:
        bulk = channel in BULK_CHANNELS and not live
        oldest_live = now - self._history_age
        rows = [models.to_row(r, channel=channel, source_id=source_id) for r in reviews]
        for row in rows:
            row["history"] = bulk or row["posted_at"] < oldest_live
        return rows

    async def _store(self, tenant: uuid.UUID, rows: list[dict], *, guard_encoding: bool) -> tuple[list, dict[int, str]]:
        """Stages the rows by COPY, then upserts them and queues their events in one transaction.

        Returns a SubmitResult per row (None for a rejected one) and the rejected rows' reasons.
        """
        # NOTE: one statement cannot touch the same row twice; a key repeated in one batch keeps
        # its last version, and every position still reports the id it maps to.
        last: dict[tuple[str, str], int] = {}
        for i, row in enumerate(rows):
            last[(row["platform"], row["external_id"])] = i
        staged = [rows[i] for i in last.values()]
        keys = list(last)
        async with self._pool.acquire() as conn, conn.transaction():
            await reviews_repository.stage_reviews(conn, staged)
            unchanged, changed = await reviews_repository.staged_vs_stored(conn, tenant)
            refused: dict[tuple[str, str], str] = {}
            if guard_encoding:
                refused = {keys[o]: why for o, stored in changed.items() if (why := _damaged(staged[o], stored))}
                if refused:
                    await reviews_repository.unstage(conn, [o for o, k in enumerate(keys) if k in refused])
            kept = [row for row, key in zip(staged, keys) if key not in refused]
            written = await reviews_repository.upsert_staged(conn, tenant, kept)
            ids = {keys[o]: review_id for o, review_id in unchanged.items()}
            raced = [k for k in keys if k not in written and k not in ids and k not in refused]
            if raced:
                # NOTE: another transaction stored the same content between the look and the upsert.
                ids.update(await reviews_repository.ids_by_keys(conn, tenant, raced))
            events = await self._events(conn, str(tenant), kept, written)
            headers = current_traceparent()
            await outbox.add(conn, [outbox.Event(s, m, p, headers) for s, m, p in events], channel=reviews_repository.OUTBOX_CHANNEL)
        if self._metrics is not None:
            self._metrics.observe_captured(
                (row["platform"], row["channel"], (w.captured_at - row["posted_at"]).total_seconds())
                for row in kept
                if (w := written.get((row["platform"], row["external_id"]))) is not None and w.created
            )
        results: list[SubmitResult | None] = []
        rejected: dict[int, str] = {}
        for i, row in enumerate(rows):
            key = (row["platform"], row["external_id"])
            if key in refused:
                results.append(None)
                rejected[i] = refused[key]
            elif (w := written.get(key)) is not None:
                results.append(SubmitResult(id=str(w.id), created=w.created, updated=not w.created))
            else:
                results.append(SubmitResult(id=str(ids[key]), created=False, updated=False))
        log.info(
            "reviews stored",
            extra={"fields": {"tenant": str(tenant), "count": len(rows), "events": len(events), "rejected": len(rejected)}},
        )
        return results, rejected

    async def _events(
        self, conn: asyncpg.Connection, tenant_id: str, rows: list[dict], written: dict[tuple[str, str], reviews_repository.Written]
    ) -> list[tuple[str, str, bytes]]:
        """reviews.ingested (or .history) for each new or changed review, and reviews.updated with what changed."""
        events = []
        updated = [w for w in written.values() if not w.created]
        previous = (
            {r["review_id"]: r for r in await history_repository.superseded_versions(conn, [w.id for w in updated], [w.version - 1 for w in updated])}
            if updated
            else {}
        )
        for row in rows:
            w = written.get((row["platform"], row["external_id"]))
            if w is None:
                continue
            review = models.stored_review(
                row, tenant_id=tenant_id, id=w.id, version=w.version, captured_at=w.captured_at, syndicated_from=w.syndicated_from
            )
            subject = topology.REVIEW_INGESTED_HISTORY if review.history else topology.REVIEW_INGESTED
            events.append((subject, f"review:{review.id}:v{review.version}", events_pb2.ReviewIngested(review=review).SerializeToString()))
            old = previous.get(w.id)
            if not w.created and old is not None:
                events.append(_updated_event(review, old))
        return events

    def history_cutoff(self) -> tuple[datetime, datetime]:
        """Now, and the oldest posting time still live (not history)."""
        now = self._clock()
        return now, now - self._history_age

    def import_rows(self, reviews: list[review_pb2.Review], *, live: bool) -> list[dict]:
        """The storage form of validated file-import rows (history unless `live`)."""
        return self._rows(reviews, channel="import", source_id="", live=live, now=self._clock())

    async def store_staged(self, conn: asyncpg.Connection, tenant: uuid.UUID, keys: dict[int, dict]) -> tuple[dict[tuple[str, str], reviews_repository.Written], dict[int, str]]:
        """Stores the import rows staged on `conn` (in its transaction) and queues their events.

        `keys` holds, by staged `ord`, each row's platform, external_id, syndication_group and texts.
        Like `store_import`, a row whose texts only break a stored review's encoding is refused.
        Returns what was written by key, and the refused ords with why.
        """
        unchanged, changed = await reviews_repository.staged_vs_stored(conn, tenant)
        refused = {o: why for o, stored in changed.items() if (why := _damaged(keys[o], stored))}
        if refused:
            await reviews_repository.unstage(conn, list(refused))
        kept = [row for o, row in keys.items() if o not in refused]
        written = await reviews_repository.upsert_staged(conn, tenant, kept)
        # NOTE: reviews.ingested is encoded by the database for every written review; only the rare
        # edit (reviews.updated, with what changed) goes through Python.
        ids = [w.id for w in written.values()]
        await reviews_repository.queue_ingested(
            conn, tenant, ids, live_subject=topology.REVIEW_INGESTED, history_subject=topology.REVIEW_INGESTED_HISTORY,
            headers=json.dumps(current_traceparent()),
        )  # fmt: skip
        updated = [w for w in written.values() if not w.created]
        if updated:
            previous = {
                r["review_id"]: r
                for r in await history_repository.superseded_versions(conn, [w.id for w in updated], [w.version - 1 for w in updated])
            }
            events = [
                _updated_event(review, previous[row["id"]])
                for row in await reviews_repository.reviews_by_ids(conn, tenant, [w.id for w in updated])
                if row["id"] in previous and (review := models.from_row(row))
            ]
            headers = current_traceparent()
            await outbox.add(conn, [outbox.Event(s, m, p, headers) for s, m, p in events], channel=reviews_repository.OUTBOX_CHANNEL)
        created = [w.id for w in written.values() if w.created]
        if self._metrics is not None and created:
            self._metrics.observe_captured((r["platform"], r["channel"], r["lag"]) for r in await reviews_repository.capture_lags(conn, created))
        log.info("reviews stored", extra={"fields": {"tenant": str(tenant), "count": len(keys), "events": len(ids) + len(updated), "rejected": len(refused)}})
        return written, refused

    async def get(self, tenant_id: str, review_id: str) -> review_pb2.Review:
        row = await get_for_tenant(
            self._pool, reviews_repository.get_review, tenant_id=tenant_id, item_id=review_id, field="review_id",
            missing=f"review {review_id} not found",
        )
        return models.from_row(row)

    async def remove(self, *, tenant_id: str, platform: str, external_ids: list[str]) -> list[SubmitResult]:
        """Marks reviews the platform took down as removed: a new version, kept with the old ones.

        Unknown ids are ignored (a platform may announce the removal of a review never captured).
        """
        tenant = require_uuid(tenant_id, field="tenant_id")
        if not platform or not external_ids:
            raise InvalidArgument("name the platform and at least one external_id", [FieldViolation("external_ids", "required")])
        async with self._pool.acquire() as conn:
            stored = await reviews_repository.get_reviews_by_keys(conn, tenant, platform, external_ids)
        rows = []
        for row in stored:
            if row["status"] == "removed":
                continue
            review = models.from_row(row)
            review.status = "removed"
            removed = models.to_row(review, channel=row["channel"], source_id=review.source_id)
            # NOTE: a removal is news about the review as it was captured: it keeps its lane.
            removed["history"] = row["history"]
            rows.append(removed)
        return (await self._store(tenant, rows, guard_encoding=False))[0] if rows else []

    async def history(self, *, tenant_id: str, review_id: str) -> list[ingest_pb2.ReviewVersion]:
        """Every version of a review, oldest first, each with the fields changed from the one before."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        review = require_uuid(review_id, field="review_id")
        async with self._pool.acquire() as conn:
            current = await get_for_tenant(
                conn, reviews_repository.get_review, tenant_id=tenant, item_id=review, field="review_id", missing=f"review {review_id} not found"
            )
            archived = await history_repository.review_history(conn, tenant, review)
        versions: list[ingest_pb2.ReviewVersion] = []
        changed: list[str] = []
        for row in [*archived, current]:
            version = ingest_pb2.ReviewVersion(review=models.from_row(row), changed_fields=changed)
            version.recorded_at.FromDatetime(row["recorded_at"] if "recorded_at" in row.keys() else row["updated_at"])
            versions.append(version)
            changed = list(row["changed_fields"]) if "changed_fields" in row.keys() else []
        return versions

    async def rating_changes(
        self, *, tenant_id: str, direction: str = "", since: datetime | None = None, review_id: str = "", page_size: int = 0, page_token: str = ""
    ) -> tuple[list[ingest_pb2.RatingChange], str]:
        """Rating changes newest first (direction "up", "down" or both), and the next page's token."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        if direction not in ("", "up", "down"):
            raise InvalidArgument("direction must be up, down or empty", [FieldViolation("direction", "up, down or empty")])
        review = require_uuid(review_id, field="review_id") if review_id else None
        size = paging.page_size(page_size)
        async with self._pool.acquire() as conn:
            rows = await history_repository.rating_changes(
                conn, tenant, direction=direction, since=since, review_id=review, after=paging.decode(page_token), limit=size + 1
            )
        rows, token = paging.page(rows, size, key=lambda r: (r["changed_at"], r["review_id"]))
        changes = []
        for row in rows:
            change = ingest_pb2.RatingChange(
                review_id=str(row["review_id"]), platform=row["platform"], product_id=row["product_id"],
                from_version=row["from_version"], to_version=row["to_version"], old_rating=row["old_rating"],
                new_rating=row["new_rating"],
            )  # fmt: skip
            change.changed_at.FromDatetime(row["changed_at"])
            changes.append(change)
        return changes, token

    async def capture_lag(self, *, tenant_id: str, window_seconds: int = 0) -> ingest_pb2.CaptureLag:
        """p50/p95 of posted -> captured per platform, channel and source over the window."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        window = timedelta(seconds=window_seconds) if window_seconds else DEFAULT_LAG_WINDOW
        if window <= timedelta(0) or window > MAX_LAG_WINDOW:
            raise InvalidArgument("window must be 1 second to 90 days", [FieldViolation("window_seconds", "1 to 7776000")])
        async with self._pool.acquire() as conn:
            rows = await history_repository.capture_lag(conn, tenant, self._clock() - window)
        return ingest_pb2.CaptureLag(
            window_seconds=int(window.total_seconds()),
            stats=[
                ingest_pb2.LagStat(
                    platform=r["platform"], channel=r["channel"], source_id=r["source_id"], reviews=r["reviews"],
                    p50_seconds=r["p50"], p95_seconds=r["p95"], max_seconds=r["max"],
                )  # fmt: skip
                for r in rows
            ],
        )


def _updated_event(review: review_pb2.Review, old: asyncpg.Record) -> tuple[str, str, bytes]:
    change = events_pb2.ReviewUpdated(
        review=review,
        previous_version=old["version"],
        changed_fields=list(old["changed_fields"]),
        old_rating=old["rating"],
        new_rating=review.rating,
        old_status=old["status"],
        new_status=review.status,
    )
    change.changed_at.FromDatetime(old["superseded_at"])
    return REVIEW_UPDATED, f"review:{review.id}:v{review.version}:updated", change.SerializeToString()


def _damaged(row: dict, stored: reviews_repository.StoredText) -> str:
    """Why a submitted row must not replace the stored review's texts ('' when it may)."""
    broken = [f for f in _GUARDED_TEXTS if encoding_damage(getattr(stored, f), row[f])]
    if not broken:
        return ""
    return (
        f"{' and '.join(broken)} differ from the stored review only by encoding damage (mojibake or U+FFFD): "
        "not imported, the stored version is kept; import the file again naming its real encoding"
    )
