"""SQL of the history backlog: would-be alerts of history reviews, and their promotion."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg



async def history_backlog(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    """History reviews that would have alerted had they been news, newest first: the backlog."""
    return await conn.fetch(
        """SELECT * FROM review_facts
           WHERE tenant_id = $1 AND history AND backlog_severity IS NOT NULL AND backlog_promoted_at IS NULL
             AND ($2::timestamptz IS NULL OR (posted_at, review_id) < ($2, $3))
           ORDER BY posted_at DESC, review_id DESC
           LIMIT $4""",
        tenant_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def backlog_items(conn: asyncpg.Connection, tenant_id: uuid.UUID, review_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    """The backlog rows of these reviews (promoted ones too), locked until the transaction ends."""
    rows = await conn.fetch(
        """SELECT * FROM review_facts
           WHERE tenant_id = $1 AND review_id = ANY($2::uuid[]) AND history AND backlog_severity IS NOT NULL
           FOR UPDATE""",
        tenant_id, list(review_ids),
    )  # fmt: skip
    return {r["review_id"]: r for r in rows}


async def mark_promoted(conn: asyncpg.Connection, tenant_id: uuid.UUID, review_ids: Sequence[uuid.UUID], at: datetime) -> None:
    await conn.execute(
        "UPDATE review_facts SET backlog_promoted_at = $3 WHERE tenant_id = $1 AND review_id = ANY($2::uuid[]) AND backlog_promoted_at IS NULL",
        tenant_id, list(review_ids), at,
    )  # fmt: skip
