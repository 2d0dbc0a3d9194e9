"""Ingest's domain logic: validate a batch, store it once, queue its events in the same transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

import asyncpg

from libs import topology
from libs.errors import FieldViolation, InvalidArgument, NotFound, require_uuid
from libs.telemetry import current_traceparent
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import review_pb2
from services.ingest import models, repository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubmitResult:
    id: str
    created: bool
    updated: bool


class IngestService:
    """Stores reviews idempotently on (tenant, platform, external_id) and publishes via the outbox."""

    def __init__(self, *, pool: asyncpg.Pool, limits: models.Limits, max_batch: int, clock=lambda: datetime.now(timezone.utc)) -> None:
        self._pool = pool
        self._limits = limits
        self._max_batch = max_batch
        self._clock = clock

    async def submit(self, tenant_id: str, reviews: list[review_pb2.Review]) -> list[SubmitResult]:
        """Stores the batch atomically: one invalid review rejects all of it and stores nothing."""
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

        rows = [models.to_row(r) for r in reviews]
        # NOTE: one statement cannot touch the same row twice; a key repeated in one batch keeps
        # its last version, and every position still reports the id it maps to.
        unique: dict[tuple[str, str], dict] = {}
        for row in rows:
            unique[(row["platform"], row["external_id"])] = row
        async with self._pool.acquire() as conn, conn.transaction():
            outcomes = await repository.upsert_reviews(conn, tenant, list(unique.values()))
            by_key = {(o.row["platform"], o.row["external_id"]): o for o in outcomes}
            events = []
            for outcome in outcomes:
                if outcome.created or outcome.updated:
                    review = models.from_row(outcome.row)
                    payload = events_pb2.ReviewIngested(review=review).SerializeToString()
                    events.append((topology.REVIEW_INGESTED, f"review:{review.id}:v{review.version}", payload))
            await repository.add_to_outbox(conn, events, current_traceparent())
        results = []
        for row in rows:
            outcome = by_key[(row["platform"], row["external_id"])]
            results.append(SubmitResult(id=str(outcome.row["id"]), created=outcome.created, updated=outcome.updated))
        log.info("reviews stored", extra={"fields": {"tenant": str(tenant), "count": len(rows), "events": len(events)}})
        return results

    async def get(self, tenant_id: str, review_id: str) -> review_pb2.Review:
        tenant = require_uuid(tenant_id, field="tenant_id")
        review = require_uuid(review_id, field="review_id")
        async with self._pool.acquire() as conn:
            row = await repository.get_review(conn, tenant, review)
        if row is None:
            raise NotFound(f"review {review_id} not found")
        return models.from_row(row)
