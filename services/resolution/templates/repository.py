"""SQL of replies sent on cases: the text, the A/B variant and its outcome."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def add(
    conn: asyncpg.Connection,
    *,
    tenant_id: uuid.UUID,
    case_id: uuid.UUID,
    text: str,
    scenario: str,
    language: str,
    variant: str,
    actor: str,
    sent_at: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO replies (tenant_id, case_id, text, scenario, language, variant, actor, sent_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *""",
        tenant_id, case_id, text, scenario, language, variant, actor, sent_at,
    )


async def list_for_case(conn: asyncpg.Connection, tenant_id: uuid.UUID, case_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM replies WHERE tenant_id = $1 AND case_id = $2 ORDER BY sent_at, id", tenant_id, case_id)


async def mark_outcome(
    conn: asyncpg.Connection, case_id: uuid.UUID, *, responded: bool | None = None, resolved: bool | None = None,
    sent_until: datetime | None = None,
) -> None:
    """Sets the outcome of every reply of a case sent up to `sent_until` (only ever from false to true)."""
    # NOTE: the outcome is applied by the case-event relay after the move committed; a reply sent in
    # between belongs to the case's next chapter, not to the move's.
    await conn.execute(
        """UPDATE replies SET responded = responded OR coalesce($2, false), resolved = resolved OR coalesce($3, false)
           WHERE case_id = $1 AND ($4::timestamptz IS NULL OR sent_at <= $4)""",
        case_id, responded, resolved, sent_until,
    )


async def variant_rows(conn: asyncpg.Connection, tenant_id: uuid.UUID, *, scenario: str, language: str) -> list[asyncpg.Record]:
    """Template replies, oldest first, optionally of one scenario and language."""
    return await conn.fetch(
        """SELECT case_id, scenario, language, variant, responded, resolved FROM replies
           WHERE tenant_id = $1 AND variant <> '' AND ($2 = '' OR scenario = $2) AND ($3 = '' OR language = $3)
           ORDER BY sent_at, id""",
        tenant_id, scenario, language,
    )
