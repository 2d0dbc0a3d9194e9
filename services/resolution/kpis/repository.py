"""SQL of the KPI facts and rating changes."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.resolution.kpis.service import CaseFacts


async def case_facts(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, since: datetime, until: datetime, resolved_statuses: list[int]
) -> list[CaseFacts]:
    """Facts of the cases opened in [since, until); a rating "rose" when a change after opening raised it."""
    rows = await conn.fetch(
        """SELECT c.opened_at, c.first_response_due_at, c.first_response_at, c.status = ANY($4::smallint[]) AS resolved,
                  c.review_id IS NOT NULL AS has_review,
                  EXISTS (SELECT 1 FROM rating_changes r
                          WHERE r.tenant_id = c.tenant_id AND r.review_id = c.review_id
                            AND r.changed_at >= c.opened_at AND r.new_rating > r.old_rating) AS rating_rose
           FROM cases c WHERE c.tenant_id = $1 AND c.opened_at >= $2 AND c.opened_at < $3""",
        tenant_id, since, until, resolved_statuses,
    )
    return [CaseFacts(**dict(r)) for r in rows]


async def knows_review(conn: asyncpg.Connection, tenant_id: uuid.UUID, review_id: uuid.UUID) -> bool:
    """Whether the review is the tenant's: ingest told us of it, or one of the tenant's cases names it."""
    return await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM review_facts WHERE tenant_id = $1 AND review_id = $2)
               OR EXISTS (SELECT 1 FROM cases WHERE tenant_id = $1 AND review_id = $2)""",
        tenant_id, review_id,
    )


async def record_rating_change(
    conn: asyncpg.Connection, *, tenant_id: uuid.UUID, review_id: uuid.UUID, old_rating: int, new_rating: int, changed_at: datetime
) -> bool:
    """Stores a change once; False when it was already recorded."""
    return bool(
        await conn.fetchval(
            """INSERT INTO rating_changes (tenant_id, review_id, old_rating, new_rating, changed_at)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true""",
            tenant_id, review_id, old_rating, new_rating, changed_at,
        )
    )
