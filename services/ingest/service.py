"""Ingest's domain logic: validate a batch, store it once, queue its events in the same transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import asyncpg

from libs import paging, topology
from libs.errors import FieldViolation, InvalidArgument, NotFound, require_uuid
from libs.telemetry import current_traceparent
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import ingest_pb2, review_pb2
from services.ingest import models, repository
from services.ingest.metrics import IngestMetrics

log = logging.getLogger(__name__)

REVIEW_UPDATED = topology.REVIEW_UPDATED
DEFAULT_LAG_WINDOW = timedelta(hours=24)
MAX_LAG_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class SubmitResult:
    id: str
    created: bool
    updated: bool


class IngestService:
    """Stores reviews idempotently on (tenant, platform, external_id) and publishes via the outbox."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        limits: models.Limits,
        max_batch: int,
        metrics: IngestMetrics | None = None,
        clock=lambda: datetime.now(timezone.utc),
    ) -> None:
        self._pool = pool
        self._limits = limits
        self._max_batch = max_batch
        self._metrics = metrics
        self._clock = clock

    @property
    def limits(self) -> models.Limits:
        return self._limits

    @property
    def max_batch(self) -> int:
        return self._max_batch

    async def submit(
        self, tenant_id: str, reviews: list[review_pb2.Review], *, channel: str = "api", source_id: str = ""
    ) -> list[SubmitResult]:
        """Stores the batch atomically: one invalid review rejects all of it and stores nothing.

        `channel` and `source_id` record how the reviews arrived (capture lag is reported by them).
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
        rows = [models.to_row(r, channel=channel, source_id=source_id) for r in reviews]
        return await self._store(tenant, rows)

    async def _store(self, tenant: object, rows: list[dict]) -> list[SubmitResult]:
        # NOTE: one statement cannot touch the same row twice; a key repeated in one batch keeps
        # its last version, and every position still reports the id it maps to.
        unique: dict[tuple[str, str], dict] = {}
        for row in rows:
            unique[(row["platform"], row["external_id"])] = row
        async with self._pool.acquire() as conn, conn.transaction():
            outcomes = await repository.upsert_reviews(conn, tenant, list(unique.values()))
            events = await self._events(conn, outcomes)
            await repository.add_to_outbox(conn, events, current_traceparent())
        by_key = {(o.row["platform"], o.row["external_id"]): o for o in outcomes}
        if self._metrics is not None:
            self._metrics.observe_captured(
                (o.row["platform"], o.row["channel"], (o.row["captured_at"] - o.row["posted_at"]).total_seconds())
                for o in outcomes
                if o.created
            )
        results = []
        for row in rows:
            outcome = by_key[(row["platform"], row["external_id"])]
            results.append(SubmitResult(id=str(outcome.row["id"]), created=outcome.created, updated=outcome.updated))
        log.info("reviews stored", extra={"fields": {"tenant": str(tenant), "count": len(rows), "events": len(events)}})
        return results

    async def _events(self, conn: asyncpg.Connection, outcomes: list[repository.UpsertOutcome]) -> list[tuple[str, str, bytes]]:
        """reviews.ingested for each new or changed review, and reviews.updated with what changed."""
        events = []
        updated = [o.row for o in outcomes if o.updated]
        previous = {
            r["review_id"]: r
            for r in (
                await repository.superseded_versions(conn, [r["id"] for r in updated], [r["version"] - 1 for r in updated])
                if updated
                else []
            )
        }
        for outcome in outcomes:
            if not (outcome.created or outcome.updated):
                continue
            review = models.from_row(outcome.row)
            payload = events_pb2.ReviewIngested(review=review).SerializeToString()
            events.append((topology.REVIEW_INGESTED, f"review:{review.id}:v{review.version}", payload))
            old = previous.get(outcome.row["id"])
            if outcome.updated and old is not None:
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
                events.append((REVIEW_UPDATED, f"review:{review.id}:v{review.version}:updated", change.SerializeToString()))
        return events

    async def get(self, tenant_id: str, review_id: str) -> review_pb2.Review:
        tenant = require_uuid(tenant_id, field="tenant_id")
        review = require_uuid(review_id, field="review_id")
        async with self._pool.acquire() as conn:
            row = await repository.get_review(conn, tenant, review)
        if row is None:
            raise NotFound(f"review {review_id} not found")
        return models.from_row(row)

    async def remove(self, *, tenant_id: str, platform: str, external_ids: list[str]) -> list[SubmitResult]:
        """Marks reviews the platform took down as removed: a new version, kept with the old ones.

        Unknown ids are ignored (a platform may announce the removal of a review never captured).
        """
        tenant = require_uuid(tenant_id, field="tenant_id")
        if not platform or not external_ids:
            raise InvalidArgument("name the platform and at least one external_id", [FieldViolation("external_ids", "required")])
        async with self._pool.acquire() as conn:
            stored = await repository.get_reviews_by_keys(conn, tenant, platform, external_ids)
        rows = []
        for row in stored:
            if row["status"] == "removed":
                continue
            review = models.from_row(row)
            review.status = "removed"
            rows.append(models.to_row(review, channel=row["channel"], source_id=review.source_id))
        return await self._store(tenant, rows) if rows else []

    async def history(self, *, tenant_id: str, review_id: str) -> list[ingest_pb2.ReviewVersion]:
        """Every version of a review, oldest first, each with the fields changed from the one before."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        review = require_uuid(review_id, field="review_id")
        async with self._pool.acquire() as conn:
            current = await repository.get_review(conn, tenant, review)
            archived = await repository.review_history(conn, tenant, review) if current is not None else []
        if current is None:
            raise NotFound(f"review {review_id} not found")
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
            rows = await repository.rating_changes(
                conn, tenant, direction=direction, since=since, review_id=review, after=paging.decode(page_token), limit=size + 1
            )
        changes = []
        for row in rows[:size]:
            change = ingest_pb2.RatingChange(
                review_id=str(row["review_id"]), platform=row["platform"], product_id=row["product_id"],
                from_version=row["from_version"], to_version=row["to_version"], old_rating=row["old_rating"],
                new_rating=row["new_rating"],
            )  # fmt: skip
            change.changed_at.FromDatetime(row["changed_at"])
            changes.append(change)
        token = paging.encode(rows[size - 1]["changed_at"], rows[size - 1]["review_id"]) if len(rows) > size else ""
        return changes, token

    async def capture_lag(self, *, tenant_id: str, window_seconds: int = 0) -> ingest_pb2.CaptureLag:
        """p50/p95 of posted -> captured per platform, channel and source over the window."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        window = timedelta(seconds=window_seconds) if window_seconds else DEFAULT_LAG_WINDOW
        if window <= timedelta(0) or window > MAX_LAG_WINDOW:
            raise InvalidArgument("window must be 1 second to 90 days", [FieldViolation("window_seconds", "1 to 7776000")])
        async with self._pool.acquire() as conn:
            rows = await repository.capture_lag(conn, tenant, self._clock() - window)
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
