"""Use cases of the KPIs: the report over a window, and the rating changes that rating recovery counts."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from libs.errors import FieldViolation, InvalidArgument, NotFound
from services.resolution import repository
from services.resolution.cases.models import FINAL
from services.resolution.context import Context
from services.resolution.kpis import repository as kpis_repository
from services.resolution.kpis import service as kpis

# NOTE: a case counts as resolved for the KPIs when it is resolved or its appeal was accepted.
RESOLVED_STATUSES = sorted(FINAL)


async def report(ctx: Context, *, tenant: uuid.UUID, since: datetime | None, until: datetime | None) -> kpis.KpiReport:
    now = ctx.clock()
    # NOTE: the window is [since, until); by default it includes a case opened this very instant.
    until = until or now + timedelta(microseconds=1)
    since = since or until - timedelta(days=30)
    async with ctx.pool.acquire() as conn:
        facts = await kpis_repository.case_facts(conn, tenant, since=since, until=until, resolved_statuses=RESOLVED_STATUSES)
    return kpis.compute(facts=facts, now=now)


async def record_rating_change(
    ctx: Context, *, tenant: uuid.UUID, review: uuid.UUID, old_rating: int, new_rating: int, changed_at: datetime | None
) -> bool:
    """Keeps a review's rating change (for rating recovery) and notes it on the review's cases."""
    for name, value in (("old_rating", old_rating), ("new_rating", new_rating)):
        if not 1 <= value <= 5:
            raise InvalidArgument(f"{name} must be 1 to 5", [FieldViolation(name, "1 to 5")])
    at = changed_at or ctx.clock()
    async with ctx.pool.acquire() as conn, conn.transaction():
        # NOTE: only a review of the tenant's (one ingest told us of, or one of its cases names);
        # another tenant's review id is as unknown as a made-up one.
        if not await kpis_repository.knows_review(conn, tenant, review):
            raise NotFound(f"review {review} not found")
        recorded = await kpis_repository.record_rating_change(
            conn, tenant_id=tenant, review_id=review, old_rating=old_rating, new_rating=new_rating, changed_at=at
        )
        if recorded:
            for row in await repository.cases_of_review(conn, tenant, review):
                await repository.add_event(
                    conn, tenant_id=tenant, case_id=row["id"], kind="rating_changed", at=at, from_status=row["status"],
                    to_status=row["status"], actor="ingest", detail={"old_rating": old_rating, "new_rating": new_rating},
                )
    return recorded
