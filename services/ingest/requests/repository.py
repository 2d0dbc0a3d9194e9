"""SQL of the review requests ingest sent, and of the sources they go out through."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def outcome_of(conn: asyncpg.Connection, tenant_id: uuid.UUID, request_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM review_request_sends WHERE tenant_id = $1 AND request_id = $2", tenant_id, request_id)


async def sent_for_order(conn: asyncpg.Connection, tenant_id: uuid.UUID, route: str, order_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM review_request_sends WHERE tenant_id = $1 AND route = $2 AND order_id = $3 AND outcome = 'sent'", tenant_id, route, order_id
    )


async def sources_of_kind(conn: asyncpg.Connection, tenant_id: uuid.UUID, kind: str) -> list[asyncpg.Record]:
    """The tenant's own (not competitor) sources of one kind, oldest first."""
    return await conn.fetch(
        "SELECT id, kind, settings FROM sources WHERE tenant_id = $1 AND kind = $2 AND NOT competitor ORDER BY created_at, id", tenant_id, kind
    )


async def record(
    conn: asyncpg.Connection, *, tenant_id: uuid.UUID, request_id: uuid.UUID, order_id: str, route: str, outcome: str, reason: str,
    source_id: uuid.UUID | None, platform_request_id: str, at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO review_request_sends (tenant_id, request_id, order_id, route, outcome, reason, source_id, platform_request_id, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        tenant_id, request_id, order_id, route, outcome, reason, source_id, platform_request_id, at,
    )
