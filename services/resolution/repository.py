"""SQL of one case at a time and its audit trail (set-based statements for many cases: cases/repository.py)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import asyncpg

from libs import topology
from reviewguard.resolution.v1 import case_pb2


def to_proto(row: asyncpg.Record) -> case_pb2.Case:
    case = case_pb2.Case(
        id=str(row["id"]),
        tenant_id=str(row["tenant_id"]),
        alert_id=str(row["alert_id"]),
        review_id=str(row["review_id"]) if row["review_id"] else "",
        severity=row["severity"],
        status=row["status"],
        owner=row["owner"],
        product_id=row["product_id"],
        marketplace=row["marketplace"],
    )
    case.opened_at.FromDatetime(row["opened_at"])
    case.due_at.FromDatetime(row["due_at"])
    case.first_response_due_at.FromDatetime(row["first_response_due_at"])
    case.resolution_reason = row["resolution_reason"]
    case.platform = row["platform"]
    case.language = row["language"]
    case.issue_type = row["issue_type"]
    case.team_id = str(row["team_id"]) if row["team_id"] else ""
    case.owner_agent_id = str(row["owner_agent_id"]) if row["owner_agent_id"] else ""
    case.customer_id = row["customer_id"]
    case.order_id = row["order_id"]
    case.summary = row["summary"]
    for name in ("first_response_at", "resolved_at", "updated_at"):
        if row[name] is not None:
            getattr(case, name).FromDatetime(row[name])
    return case


def event_to_proto(row: asyncpg.Record) -> case_pb2.CaseEvent:
    event = case_pb2.CaseEvent(
        id=str(row["id"]),
        case_id=str(row["case_id"]),
        tenant_id=str(row["tenant_id"]),
        kind=row["kind"],
        from_status=row["from_status"],
        to_status=row["to_status"],
        actor=row["actor"],
        detail_json=row["detail"] if isinstance(row["detail"], str) else json.dumps(row["detail"]),
    )
    event.at.FromDatetime(row["at"])
    return event


async def open_or_get(
    conn: asyncpg.Connection,
    *,
    tenant_id: uuid.UUID,
    alert_id: uuid.UUID,
    review_id: uuid.UUID | None,
    severity: int,
    product_id: str,
    marketplace: str,
    opened_at: datetime,
    due_at: datetime,
    first_response_due_at: datetime,
    platform: str = "",
    language: str = "",
    summary: str = "",
) -> tuple[asyncpg.Record, bool]:
    """Opens the case of an alert once; returns the stored case either way, and whether it is new."""
    row = await conn.fetchrow(
        """INSERT INTO cases (tenant_id, alert_id, review_id, severity, product_id, marketplace,
                              opened_at, due_at, first_response_due_at, platform, language, summary, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $7)
           ON CONFLICT (tenant_id, alert_id) DO NOTHING
           RETURNING *""",
        tenant_id,
        alert_id,
        review_id,
        severity,
        product_id,
        marketplace,
        opened_at,
        due_at,
        first_response_due_at,
        platform,
        language,
        summary,
    )
    if row is not None:
        return row, True
    return await conn.fetchrow("SELECT * FROM cases WHERE tenant_id = $1 AND alert_id = $2", tenant_id, alert_id), False


async def list_cases(
    conn: asyncpg.Connection,
    tenant_id: uuid.UUID,
    *,
    review_id: uuid.UUID | None,
    status: int | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM cases
           WHERE tenant_id = $1
             AND ($2::uuid IS NULL OR review_id = $2)
             AND ($3::smallint IS NULL OR status = $3)
             AND ($4::timestamptz IS NULL OR (opened_at, id) < ($4, $5))
           ORDER BY opened_at DESC, id DESC
           LIMIT $6""",
        tenant_id,
        review_id,
        status,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def get(conn: asyncpg.Connection, tenant_id: uuid.UUID, case_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM cases WHERE tenant_id = $1 AND id = $2", tenant_id, case_id)


async def lock(conn: asyncpg.Connection, tenant_id: uuid.UUID, case_id: uuid.UUID) -> asyncpg.Record | None:
    """The case, locked for the rest of the transaction (changes to one case are serialised)."""
    return await conn.fetchrow("SELECT * FROM cases WHERE tenant_id = $1 AND id = $2 FOR UPDATE", tenant_id, case_id)


async def update(conn: asyncpg.Connection, case_id: uuid.UUID, **values: object) -> asyncpg.Record:
    """Sets the given columns of a case; returns the row."""
    allowed = {
        "status", "resolution_reason", "resolved_at", "updated_at", "first_response_at", "team_id", "owner_agent_id",
        "owner", "language", "issue_type", "customer_id", "order_id", "platform", "due_at", "first_response_due_at",
        "order_value", "order_currency", "fulfilment", "annual_spend_usd",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not case columns: {sorted(unknown)}")
    names = sorted(values)
    assignments = ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(names))
    return await conn.fetchrow(
        f"UPDATE cases SET {assignments} WHERE id = $1 RETURNING *", case_id, *(values[n] for n in names)
    )


async def add_event(
    conn: asyncpg.Connection,
    *,
    tenant_id: uuid.UUID,
    case_id: uuid.UUID,
    kind: str,
    at: datetime,
    from_status: int = 0,
    to_status: int = 0,
    actor: str = "",
    detail: dict | None = None,
    subject: str = topology.CASE_UPDATED,
) -> asyncpg.Record | None:
    """Appends to a case's audit trail (and the event outbox); None when an SLA notice was already recorded."""
    return await conn.fetchrow(
        """INSERT INTO case_events (tenant_id, case_id, kind, from_status, to_status, actor, detail, at, subject)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
           ON CONFLICT DO NOTHING
           RETURNING *""",
        tenant_id, case_id, kind, from_status, to_status, actor, json.dumps(detail or {}, ensure_ascii=False), at, subject,
    )


async def list_events(conn: asyncpg.Connection, tenant_id: uuid.UUID, case_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM case_events WHERE tenant_id = $1 AND case_id = $2 ORDER BY seq", tenant_id, case_id)


async def claim_unpublished(conn: asyncpg.Connection, *, limit: int, skip_locked: bool = False) -> list[asyncpg.Record]:
    """Unpublished events, oldest first, locked for this transaction.

    NOTE: not SKIP LOCKED by default: the effects relay also locks these rows, and a row skipped
    here would let a later event of its case go out before it.
    """
    lock = "FOR UPDATE SKIP LOCKED" if skip_locked else "FOR UPDATE"
    return await conn.fetch(f"SELECT * FROM case_events WHERE published_at IS NULL ORDER BY seq LIMIT $1 {lock}", limit)


async def count_unpublished(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM case_events WHERE published_at IS NULL")


async def claim_effects_pending(conn: asyncpg.Connection, *, limit: int) -> list[asyncpg.Record]:
    """Transitions whose follow-on effects are not applied yet, oldest first, locked for this relay."""
    return await conn.fetch(
        """SELECT * FROM case_events WHERE kind = 'transition' AND effects_done_at IS NULL
           ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED""",
        limit,
    )


async def mark_effects_done(conn: asyncpg.Connection, ids: list[uuid.UUID], at: datetime) -> None:
    await conn.execute("UPDATE case_events SET effects_done_at = $2 WHERE id = ANY($1::uuid[])", ids, at)


async def get_many(conn: asyncpg.Connection, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch("SELECT * FROM cases WHERE id = ANY($1::uuid[])", case_ids)
    return {r["id"]: r for r in rows}


async def mark_published(conn: asyncpg.Connection, ids: list[uuid.UUID], at: datetime) -> None:
    await conn.execute("UPDATE case_events SET published_at = $2 WHERE id = ANY($1::uuid[])", ids, at)


async def sla_candidates(conn: asyncpg.Connection, *, open_statuses: list[int], horizon: datetime, limit: int = 500) -> list[asyncpg.Record]:
    """Open cases with a due time before `horizon` that is not yet met (first response or resolution)."""
    return await conn.fetch(
        """SELECT * FROM cases
           WHERE status = ANY($1::smallint[])
             AND ((first_response_at IS NULL AND first_response_due_at <= $2) OR due_at <= $2)
           ORDER BY LEAST(due_at, first_response_due_at) LIMIT $3""",
        open_statuses, horizon, limit,
    )


async def has_open_case_for_customer(conn: asyncpg.Connection, tenant_id: uuid.UUID, customer_id: str, *, open_statuses: list[int]) -> bool:
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM cases WHERE tenant_id = $1 AND customer_id = $2 AND status = ANY($3::smallint[]))",
        tenant_id, customer_id, open_statuses,
    )


async def cases_of_review(conn: asyncpg.Connection, tenant_id: uuid.UUID, review_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM cases WHERE tenant_id = $1 AND review_id = $2", tenant_id, review_id)


async def unassigned_open(conn: asyncpg.Connection, *, statuses: list[int], limit: int = 200) -> list[asyncpg.Record]:
    """Cases (of any tenant) waiting for an owner, oldest first."""
    return await conn.fetch(
        "SELECT tenant_id, id FROM cases WHERE owner_agent_id IS NULL AND status = ANY($1::smallint[]) ORDER BY opened_at LIMIT $2",
        statuses, limit,
    )
