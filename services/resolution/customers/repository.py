"""SQL of review facts and of the customer checks review requests make."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class ReviewFact:
    tenant_id: uuid.UUID
    review_id: uuid.UUID
    platform: str
    external_id: str
    product_id: str
    order_id: str
    reviewer_id: str
    rating: int
    posted_at: datetime | None
    history: bool


async def upsert_facts(conn: asyncpg.Connection, facts: list[ReviewFact]) -> None:
    """Stores (or refreshes, e.g. after an edit) what is known of each review, in one statement."""
    if not facts:
        return
    await conn.execute(
        """INSERT INTO review_facts (tenant_id, review_id, platform, external_id, product_id, order_id, reviewer_id, rating,
                                     posted_at, history)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                $8::smallint[], $9::timestamptz[], $10::boolean[])
           ON CONFLICT (tenant_id, review_id) DO UPDATE
             SET platform = EXCLUDED.platform, external_id = EXCLUDED.external_id, product_id = EXCLUDED.product_id,
                 order_id = EXCLUDED.order_id, reviewer_id = EXCLUDED.reviewer_id, rating = EXCLUDED.rating,
                 posted_at = EXCLUDED.posted_at, history = EXCLUDED.history""",
        [f.tenant_id for f in facts], [f.review_id for f in facts], [f.platform for f in facts], [f.external_id for f in facts],
        [f.product_id for f in facts], [f.order_id for f in facts], [f.reviewer_id for f in facts], [f.rating for f in facts],
        [f.posted_at for f in facts], [f.history for f in facts],
    )


async def recent_negative_review(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, customer_id: str, since: datetime, max_rating: int = 2
) -> asyncpg.Record | None:
    """The customer's latest review of at most `max_rating` stars posted since `since`, matched by
    reviewer id or through the order the review names; None when there is none."""
    return await conn.fetchrow(
        """SELECT f.* FROM review_facts f
           LEFT JOIN orders o ON o.tenant_id = f.tenant_id AND o.order_id = f.order_id AND f.order_id <> ''
           WHERE f.tenant_id = $1 AND f.rating BETWEEN 1 AND $4 AND f.posted_at >= $3
             AND (f.reviewer_id = $2 OR o.customer_id = $2)
           ORDER BY f.posted_at DESC LIMIT 1""",
        tenant_id, customer_id, since, max_rating,
    )


async def has_open_case(conn: asyncpg.Connection, tenant_id: uuid.UUID, customer_id: str, *, open_statuses: list[int]) -> bool:
    """An open case of this customer, known by its customer id or as the writer of the case's review."""
    return await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM cases WHERE tenant_id = $1 AND status = ANY($3::smallint[])
                          AND (customer_id = $2 OR reviewer_id = $2))""",
        tenant_id, customer_id, open_statuses,
    )
