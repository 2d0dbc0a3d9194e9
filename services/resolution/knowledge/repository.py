"""SQL of the knowledge base (PostgreSQL full-text search, `simple` configuration)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def upsert(
    conn: asyncpg.Connection,
    *,
    tenant_id: uuid.UUID,
    case_id: uuid.UUID,
    issue_type: str,
    marketplace: str,
    region: str,
    outcome: str,
    platform: str,
    language: str,
    text: str,
    resolved_at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO knowledge_entries (case_id, tenant_id, issue_type, marketplace, region, outcome, platform, language, text, resolved_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (case_id) DO UPDATE SET issue_type = EXCLUDED.issue_type, outcome = EXCLUDED.outcome,
             text = EXCLUDED.text, resolved_at = EXCLUDED.resolved_at""",
        case_id, tenant_id, issue_type, marketplace, region, outcome, platform, language, text, resolved_at,
    )


async def search(
    conn: asyncpg.Connection,
    tenant_id: uuid.UUID,
    *,
    query: str,
    issue_type: str,
    region: str,
    outcome: str,
    limit: int,
) -> list[asyncpg.Record]:
    """Entries matching every given filter; with a query, ranked by relevance.

    NOTE: Chinese and Japanese are written without spaces, so `simple` tokens are whole phrases;
    a substring match backs the text search up for them.
    """
    return await conn.fetch(
        """SELECT *, CASE WHEN $2 = '' THEN 0 ELSE ts_rank(document, plainto_tsquery('simple', $2)) END AS rank
           FROM knowledge_entries
           WHERE tenant_id = $1
             AND ($2 = '' OR document @@ plainto_tsquery('simple', $2) OR strpos(lower(text), lower($2)) > 0)
             AND ($3 = '' OR issue_type = $3)
             AND ($4 = '' OR region = $4 OR marketplace = $4)
             AND ($5 = '' OR outcome = $5)
           ORDER BY rank DESC, resolved_at DESC
           LIMIT $6""",
        tenant_id, query, issue_type, region, outcome, limit,
    )


async def case_texts(conn: asyncpg.Connection, case_id: uuid.UUID) -> tuple[list[str], list[str], list[str]]:
    """Notes from the audit trail, replies sent and appeal letters of a case, oldest first."""
    notes = await conn.fetch(
        "SELECT detail ->> 'note' AS note FROM case_events WHERE case_id = $1 AND coalesce(detail ->> 'note', '') <> '' ORDER BY seq", case_id
    )
    replies = await conn.fetch("SELECT text FROM replies WHERE case_id = $1 ORDER BY sent_at", case_id)
    letters = await conn.fetch("SELECT letter FROM appeals WHERE case_id = $1 ORDER BY filed_at", case_id)
    return [r["note"] for r in notes], [r["text"] for r in replies], [r["letter"] for r in letters]
