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
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO offers (tenant_id, case_id, option, cost, currency, cost_usd, detail, status, requires_approval,
                               created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *""",
        tenant_id, case_id, option, cost, currency, cost_usd, detail,
        "pending_approval" if requires_approval else "offered", requires_approval, created_by, created_at,
    )


async def lock(conn: asyncpg.Connection, tenant_id: uuid.UUID, case_id: uuid.UUID, offer_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM offers WHERE tenant_id = $1 AND case_id = $2 AND id = $3 FOR UPDATE", tenant_id, case_id, offer_id
    )


async def approve(conn: asyncpg.Connection, offer_id: uuid.UUID, *, approver: str, at: datetime) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE offers SET status = 'offered', approved_by = $2, approved_at = $3 WHERE id = $1 RETURNING *", offer_id, approver, at
    )


async def list_for_case(conn: asyncpg.Connection, tenant_id: uuid.UUID, case_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM offers WHERE tenant_id = $1 AND case_id = $2 ORDER BY created_at, id", tenant_id, case_id)
