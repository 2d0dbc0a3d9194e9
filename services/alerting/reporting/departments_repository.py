"""SQL of the department reports: the service facts of cases and offers, and defect quotes."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import asyncpg


async def keep_case(
    conn: asyncpg.Connection, *, case_id: uuid.UUID, tenant_id: uuid.UUID, review_id: uuid.UUID | None, opened_at: datetime,
    first_response_due_at: datetime | None, first_response_at: datetime | None, resolved_at: datetime | None, changed_at: datetime,
) -> None:
    """The case's latest service facts; an older event arriving late changes nothing."""
    await conn.execute(
        """INSERT INTO service_cases (case_id, tenant_id, review_id, opened_at, first_response_due_at, first_response_at,
                                      resolved_at, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (case_id) DO UPDATE SET review_id = excluded.review_id, opened_at = excluded.opened_at,
               first_response_due_at = excluded.first_response_due_at,
               first_response_at = coalesce(service_cases.first_response_at, excluded.first_response_at),
               resolved_at = excluded.resolved_at, changed_at = excluded.changed_at
           WHERE service_cases.tenant_id = excluded.tenant_id AND service_cases.changed_at <= excluded.changed_at""",
        case_id, tenant_id, review_id, opened_at, first_response_due_at, first_response_at, resolved_at, changed_at,
    )


async def keep_offer(
    conn: asyncpg.Connection, *, offer_id: uuid.UUID, tenant_id: uuid.UUID, case_id: uuid.UUID, cost_usd: Decimal | None, accepted: bool
) -> None:
    """Either event of an offer may come first: the cost is kept once known, acceptance once seen."""
    await conn.execute(
        """INSERT INTO service_offers (offer_id, tenant_id, case_id, cost_usd, accepted) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (offer_id) DO UPDATE SET cost_usd = coalesce(excluded.cost_usd, service_offers.cost_usd),
               accepted = service_offers.accepted OR excluded.accepted
           WHERE service_offers.tenant_id = excluded.tenant_id""",
        offer_id, tenant_id, case_id, cost_usd, accepted,
    )


async def cases_opened(conn: asyncpg.Connection, tenant_id: uuid.UUID, starts_at: datetime, ends_at: datetime) -> list[asyncpg.Record]:
    """The service facts of the cases opened in [starts_at, ends_at), with their accepted compensation
    and their review's first and current rating."""
    return await conn.fetch(
        """SELECT c.opened_at, c.first_response_due_at, c.first_response_at, r.first_rating, r.rating,
                  (SELECT coalesce(sum(o.cost_usd), 0) FROM service_offers o
                   WHERE o.case_id = c.case_id AND o.tenant_id = c.tenant_id AND o.accepted) AS compensation_usd
           FROM service_cases c
           LEFT JOIN inbox_reviews r ON r.review_id = c.review_id AND r.tenant_id = c.tenant_id
           WHERE c.tenant_id = $1 AND c.opened_at >= $2 AND c.opened_at < $3 ORDER BY c.opened_at""",
        tenant_id, starts_at, ends_at,
    )


async def quotes(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, starts_at: datetime, ends_at: datetime, pairs: list[tuple[str, str]], per_pair: int
) -> list[asyncpg.Record]:
    """The most negative own complaints of each (product_id, aspect) posted in the window.

    NOTE: quotes are text, so they come from the review rows: only those of the window's SKUs
    and aspects asked for, through the (tenant, posted_at) index.
    """
    if not pairs:
        return []
    return await conn.fetch(
        """SELECT * FROM (
               SELECT r.review_id, r.product_id, a.aspect, r.rating, r.title, r.body, r.language, r.marketplace,
                      row_number() OVER (PARTITION BY r.product_id, a.aspect
                                         ORDER BY coalesce(r.negative_score, -1) DESC, r.rating, r.review_id) AS n
               FROM inbox_reviews r CROSS JOIN LATERAL unnest(r.aspects) AS a(aspect)
               JOIN unnest($4::text[], $5::text[]) AS p(product_id, aspect) ON p.product_id = r.product_id AND p.aspect = a.aspect
               WHERE r.tenant_id = $1 AND r.posted_at >= $2 AND r.posted_at < $3 AND r.counted AND NOT r.competitor
                 AND r.sentiment = 'negative'
           ) q WHERE q.n <= $6 ORDER BY q.product_id, q.aspect, q.n""",
        tenant_id, starts_at, ends_at, [p for p, _ in pairs], [a for _, a in pairs], per_pair,
    )
