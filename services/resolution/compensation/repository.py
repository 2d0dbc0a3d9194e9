"""SQL of compensation offers."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import asyncpg


async def add(
    conn: asyncpg.Connection,
    *,
    tenant_id: uuid.UUID,
    case_id: uuid.UUID,
    option: str,
    cost: Decimal,
    currency: str,
    cost_usd: Decimal,
    detail: str,
    requires_approval: bool,
    created_by: str,
    created_at: datetime,
    cost_in_order_currency: Decimal | None = None,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO offers (tenant_id, case_id, option, cost, currency, cost_usd, detail, status, requires_approval,
                               created_by, created_at, cost_in_order_currency)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *""",
        tenant_id, case_id, option, cost, currency, cost_usd, detail,
        "pending_approval" if requires_approval else "offered", requires_approval, created_by, created_at, cost_in_order_currency,
    )


async def lock(conn: asyncpg.Connection, tenant_id: uuid.UUID, case_id: uuid.UUID, offer_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM offers WHERE tenant_id = $1 AND case_id = $2 AND id = $3 FOR UPDATE", tenant_id, case_id, offer_id
    )


async def approve(conn: asyncpg.Connection, offer_id: uuid.UUID, *, approver: str, at: datetime) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE offers SET status = 'approved', approved_by = $2, approved_at = $3 WHERE id = $1 RETURNING *", offer_id, approver, at
    )


async def set_status(conn: asyncpg.Connection, offer_id: uuid.UUID, status: str, *, by: str = "", at: datetime | None = None) -> asyncpg.Record:
    """Moves an offer on; `by`/`at` record who decided (the buyer's answer)."""
    return await conn.fetchrow(
        """UPDATE offers SET status = $2, decided_by = CASE WHEN $3 = '' THEN decided_by ELSE $3 END,
                             decided_at = coalesce($4, decided_at)
           WHERE id = $1 RETURNING *""",
        offer_id, status, by, at,
    )


async def committed(conn: asyncpg.Connection, case_id: uuid.UUID, *, statuses: list[str]) -> list[asyncpg.Record]:
    """The case's offers that count toward its cap, locked with the case."""
    return await conn.fetch(
        "SELECT * FROM offers WHERE case_id = $1 AND status = ANY($2::text[]) ORDER BY created_at FOR UPDATE", case_id, statuses
    )


async def list_for_case(conn: asyncpg.Connection, tenant_id: uuid.UUID, case_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM offers WHERE tenant_id = $1 AND case_id = $2 ORDER BY created_at, id", tenant_id, case_id)
