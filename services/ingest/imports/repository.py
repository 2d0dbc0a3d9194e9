"""SQL of import jobs."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import asyncpg


async def insert_import_job(conn: asyncpg.Connection, tenant_id: uuid.UUID, values: dict) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO import_jobs (tenant_id, format, mapping, file_name, bytes, competitor)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *""",
        tenant_id,
        values["format"],
        values["mapping"],
        values["file_name"],
        values["bytes"],
        values["competitor"],
    )


async def get_import_job(conn: asyncpg.Connection, tenant_id: uuid.UUID, job_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM import_jobs WHERE tenant_id = $1 AND id = $2", tenant_id, job_id)


async def update_import_job(conn: asyncpg.Connection, job_id: uuid.UUID, values: dict) -> None:
    """Records progress (counts, first errors) or the outcome of a job."""
    names = sorted(values)
    sets = ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(names))
    await conn.execute(
        f"UPDATE import_jobs SET {sets}, updated_at = now() WHERE id = $1",
        job_id,
        *[json.dumps(values[n]) if n == "errors" else values[n] for n in names],
    )


async def fail_stale_imports(conn: asyncpg.Connection, *, older_than: datetime, reason: str) -> int:
    """Marks jobs nobody advanced since `older_than` (their process died) as failed."""
    status = await conn.execute(
        """UPDATE import_jobs SET status = 'failed', error = $2, finished_at = now(), updated_at = now()
           WHERE status IN ('queued', 'running') AND updated_at < $1""",
        older_than,
        reason,
    )
    return int(status.split()[-1])
