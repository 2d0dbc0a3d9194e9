"""SQL of filed appeals."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import asyncpg


async def add(
    conn: asyncpg.Connection,
    *,
    tenant_id: uuid.UUID,
    case_id: uuid.UUID,
    clause_id: str,
    language: str,
    letter: str,
    findings: list[dict],
    filed_at: datetime,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO appeals (tenant_id, case_id, clause_id, language, letter, findings, filed_at)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) RETURNING *""",
        tenant_id, case_id, clause_id, language, letter, json.dumps(findings), filed_at,
    )


async def letters_of(conn: asyncpg.Connection, tenant_id: uuid.UUID, case_id: uuid.UUID) -> list[asyncpg.Record]:
    """The appeals filed on a case, oldest first."""
    return await conn.fetch("SELECT * FROM appeals WHERE tenant_id = $1 AND case_id = $2 ORDER BY filed_at, id", tenant_id, case_id)
