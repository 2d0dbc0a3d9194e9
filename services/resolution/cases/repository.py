"""Set-based SQL of cases: many opened, assigned and recorded in one statement each."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from libs import topology


@dataclass(frozen=True)
class NewCase:
    tenant_id: uuid.UUID
    alert_id: uuid.UUID
    review_id: uuid.UUID | None
    severity: int
    product_id: str
    marketplace: str
    opened_at: datetime
    due_at: datetime
    first_response_due_at: datetime
    platform: str
    language: str
    summary: str


@dataclass(frozen=True)
class NewEvent:
    tenant_id: uuid.UUID
    case_id: uuid.UUID
    kind: str
    at: datetime
    from_status: int = 0
    to_status: int = 0
    actor: str = ""
    detail: dict | None = None
    subject: str = topology.CASE_UPDATED
    # NOTE: set for events another message already announced (cases.opened), so the relay skips them.
    published_at: datetime | None = None


async def open_many(conn: asyncpg.Connection, cases: list[NewCase]) -> tuple[list[asyncpg.Record], set[uuid.UUID]]:
    """Opens the case of each alert once; returns the stored case of every alert (in order) and the ids created now."""
    if not cases:
        return [], set()
    columns = list(zip(*[
        (c.tenant_id, c.alert_id, c.review_id, c.severity, c.product_id, c.marketplace, c.opened_at, c.due_at,
         c.first_response_due_at, c.platform, c.language, c.summary)
        for c in cases
    ]))
    created = await conn.fetch(
        """INSERT INTO cases (tenant_id, alert_id, review_id, severity, product_id, marketplace,
                              opened_at, due_at, first_response_due_at, platform, language, summary, updated_at)
           SELECT t, a, r, s, p, m, o, d, f, pl, l, su, o
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::smallint[], $5::text[], $6::text[], $7::timestamptz[],
                       $8::timestamptz[], $9::timestamptz[], $10::text[], $11::text[], $12::text[])
                WITH ORDINALITY AS x(t, a, r, s, p, m, o, d, f, pl, l, su, n)
           ORDER BY n
           ON CONFLICT (tenant_id, alert_id) DO NOTHING
           RETURNING id""",
        *[list(col) for col in columns],
    )
    created_ids = {r["id"] for r in created}
    rows = await conn.fetch(
        """SELECT c.* FROM cases c
           JOIN unnest($1::uuid[], $2::uuid[]) AS k(t, a) ON c.tenant_id = k.t AND c.alert_id = k.a""",
        list(columns[0]), list(columns[1]),
    )
    by_alert = {(r["tenant_id"], r["alert_id"]): r for r in rows}
    return [by_alert[(c.tenant_id, c.alert_id)] for c in cases], created_ids


async def add_events(conn: asyncpg.Connection, events: list[NewEvent]) -> None:
    """Appends many audit-trail entries in the given order, in one statement."""
    if not events:
        return
    await conn.execute(
        """INSERT INTO case_events (tenant_id, case_id, kind, from_status, to_status, actor, detail, at, subject, published_at)
           SELECT t, c, k, fs, ts, a, d::jsonb, at, s, p
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::smallint[], $5::smallint[], $6::text[], $7::text[],
                       $8::timestamptz[], $9::text[], $10::timestamptz[]) WITH ORDINALITY AS x(t, c, k, fs, ts, a, d, at, s, p, n)
           ORDER BY n
           ON CONFLICT DO NOTHING""",
        [e.tenant_id for e in events], [e.case_id for e in events], [e.kind for e in events],
        [e.from_status for e in events], [e.to_status for e in events], [e.actor for e in events],
        [json.dumps(e.detail or {}, ensure_ascii=False) for e in events], [e.at for e in events],
        [e.subject for e in events], [e.published_at for e in events],
    )


async def set_owners(
    conn: asyncpg.Connection, assignments: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, str, int]], at: datetime
) -> dict[uuid.UUID, asyncpg.Record]:
    """Sets (case, team, agent, owner name, status) for many cases; returns the updated rows by id."""
    if not assignments:
        return {}
    cases, teams, agents, owners, statuses = (list(col) for col in zip(*assignments))
    rows = await conn.fetch(
        """UPDATE cases c SET team_id = x.team, owner_agent_id = x.agent, owner = x.owner, status = x.status, updated_at = $6
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::smallint[]) AS x(id, team, agent, owner, status)
           WHERE c.id = x.id
           RETURNING c.*""",
        cases, teams, agents, owners, statuses, at,
    )
    return {r["id"]: r for r in rows}


async def open_case_ids_for_reviews(
    conn: asyncpg.Connection, keys: list[tuple[uuid.UUID, uuid.UUID]], *, open_statuses: list[int]
) -> list[uuid.UUID]:
    """Open cases of the given (tenant, review) pairs."""
    if not keys:
        return []
    rows = await conn.fetch(
        """SELECT c.id FROM cases c JOIN unnest($1::uuid[], $2::uuid[]) AS k(t, r) ON c.tenant_id = k.t AND c.review_id = k.r
           WHERE c.status = ANY($3::smallint[])""",
        [k[0] for k in keys], [k[1] for k in keys], open_statuses,
    )
    return [r["id"] for r in rows]


async def open_case_ids_for_orders(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, order_ids: list[str], *, open_statuses: list[int]
) -> list[uuid.UUID]:
    """Open cases of a tenant naming one of `order_ids`, or whose review names one."""
    rows = await conn.fetch(
        """SELECT c.id FROM cases c
           LEFT JOIN review_facts f ON f.tenant_id = c.tenant_id AND f.review_id = c.review_id
           WHERE c.tenant_id = $1 AND c.status = ANY($3::smallint[])
             AND (c.order_id = ANY($2::text[]) OR f.order_id = ANY($2::text[]))""",
        tenant_id, order_ids, open_statuses,
    )
    return [r["id"] for r in rows]


async def link_reviews(conn: asyncpg.Connection, case_ids: list[uuid.UUID]) -> None:
    """Copies the review's platform ids and order onto its cases (an order set by hand is kept)."""
    await conn.execute(
        """UPDATE cases c
           SET order_id = CASE WHEN c.order_id = '' THEN f.order_id ELSE c.order_id END,
               review_external_id = f.external_id, reviewer_id = f.reviewer_id,
               product_id = CASE WHEN c.product_id = '' THEN f.product_id ELSE c.product_id END
           FROM review_facts f
           WHERE c.id = ANY($1::uuid[]) AND f.tenant_id = c.tenant_id AND f.review_id = c.review_id
             AND (c.review_external_id <> f.external_id OR c.reviewer_id <> f.reviewer_id OR (c.order_id = '' AND f.order_id <> ''))""",
        case_ids,
    )


async def link_orders(conn: asyncpg.Connection, case_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    """Fills customer, order value, currency, fulfilment and annual spend from the case's order; returns the cases it changed."""
    return await conn.fetch(
        """UPDATE cases c
           SET customer_id = o.customer_id, order_value = o.value, order_currency = o.currency, fulfilment = o.fulfilment,
               annual_spend_usd = o.annual_spend_usd
           FROM orders o
           WHERE c.id = ANY($1::uuid[]) AND o.tenant_id = c.tenant_id AND o.order_id = c.order_id
             AND (c.order_value IS DISTINCT FROM o.value OR c.order_currency <> o.currency OR c.customer_id <> o.customer_id
                  OR c.fulfilment <> o.fulfilment OR c.annual_spend_usd IS DISTINCT FROM o.annual_spend_usd)
           RETURNING c.*""",
        case_ids,
    )
