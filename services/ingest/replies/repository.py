"""SQL of reply publication: the source a review came from, and the revisions already done."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def review_and_source(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, review_id: uuid.UUID | None, platform: str, external_id: str
) -> asyncpg.Record | None:
    """The review (by id, else by its platform ids) joined with the source that collected it."""
    return await conn.fetchrow(
        """SELECT r.external_id, r.product_id, r.order_id, r.reviewer_id, s.id AS source_id, s.kind, s.settings, s.status,
                  s.attention_reason
           FROM reviews r JOIN sources s ON s.id = r.source_id AND s.tenant_id = r.tenant_id
           WHERE r.tenant_id = $1 AND (r.id = $2 OR ($2::uuid IS NULL AND r.platform = $3 AND r.external_id = $4))
           LIMIT 1""",
        tenant_id, review_id, platform, external_id,
    )


async def done(conn: asyncpg.Connection, reply_id: uuid.UUID, revision: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM reply_publications WHERE reply_id = $1 AND revision = $2", reply_id, revision)


async def record(
    conn: asyncpg.Connection, *, tenant_id: uuid.UUID, reply_id: uuid.UUID, revision: int, action: str, source_id: uuid.UUID | None,
    platform_reply_id: str, published_at: datetime,
) -> bool:
    """Remembers one revision as done; False when another replica recorded it first."""
    status = await conn.execute(
        """INSERT INTO reply_publications (tenant_id, reply_id, revision, action, source_id, platform_reply_id, published_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING""",
        tenant_id, reply_id, revision, action, source_id, platform_reply_id, published_at,
    )
    return status == "INSERT 0 1"


async def newer_done(conn: asyncpg.Connection, reply_id: uuid.UUID, revision: int) -> bool:
    return await conn.fetchval("SELECT EXISTS (SELECT 1 FROM reply_publications WHERE reply_id = $1 AND revision > $2)", reply_id, revision)


async def begin_attempt(conn: asyncpg.Connection, *, tenant_id: uuid.UUID, reply_id: uuid.UUID, revision: int, action: str) -> bool:
    """Records (committed at once, outside any transaction) that this revision is about to be sent;
    False when an earlier try recorded it already, so the platform may have it."""
    status = await conn.execute(
        "INSERT INTO reply_attempts (tenant_id, reply_id, revision, action) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        tenant_id, reply_id, revision, action,
    )
    return status == "INSERT 0 1"
