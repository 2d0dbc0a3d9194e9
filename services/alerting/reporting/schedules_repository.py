"""SQL of the report schedules and their runs (one row per schedule × period)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import asyncpg

_COLUMNS = "id, tenant_id, kind, params, grain, formats, receiver, recipients, time_zone, send_time, day, next_send_at, created_at"


async def create(conn: asyncpg.Connection, row: dict) -> asyncpg.Record:
    names = _COLUMNS.split(", ")
    return await conn.fetchrow(
        f"INSERT INTO report_schedules ({_COLUMNS}) VALUES ({', '.join(f'${i}' for i in range(1, len(names) + 1))}) RETURNING *",
        *(json.dumps(row[n]) if n == "params" else row[n] for n in names),
    )


async def page(conn: asyncpg.Connection, tenant_id: uuid.UUID, *, after: tuple[datetime, uuid.UUID] | None, limit: int):
    if after is None:
        return await conn.fetch(
            "SELECT * FROM report_schedules WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2", tenant_id, limit
        )
    return await conn.fetch(
        """SELECT * FROM report_schedules WHERE tenant_id = $1 AND (created_at, id) < ($2, $3)
           ORDER BY created_at DESC, id DESC LIMIT $4""",
        tenant_id, after[0], after[1], limit,
    )


async def delete(conn: asyncpg.Connection, tenant_id: uuid.UUID, schedule_id: uuid.UUID) -> bool:
    return await conn.fetchval("DELETE FROM report_schedules WHERE tenant_id = $1 AND id = $2 RETURNING true", tenant_id, schedule_id) or False


async def lock_due(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Schedules whose send time has come, locked; another replica skips them (and takes others)."""
    return await conn.fetch(
        "SELECT * FROM report_schedules WHERE next_send_at <= $1 ORDER BY next_send_at FOR UPDATE SKIP LOCKED LIMIT $2", now, limit
    )


async def add_run(conn: asyncpg.Connection, schedule: asyncpg.Record, period_start: datetime, period_end: datetime, now: datetime) -> None:
    """The period's run, once: a second replica (or a replay) adding the same period changes nothing."""
    await conn.execute(
        """INSERT INTO report_schedule_runs (schedule_id, tenant_id, period_start, period_end, status, next_attempt_at)
           VALUES ($1, $2, $3, $4, 'pending', $5) ON CONFLICT DO NOTHING""",
        schedule["id"], schedule["tenant_id"], period_start, period_end, now,
    )


async def set_next(conn: asyncpg.Connection, schedule_id: uuid.UUID, at: datetime) -> None:
    await conn.execute("UPDATE report_schedules SET next_send_at = $2 WHERE id = $1", schedule_id, at)


async def claim_runs(conn: asyncpg.Connection, now: datetime, lease_until: datetime, limit: int) -> list[asyncpg.Record]:
    """Runs to send now, claimed until `lease_until`: pending ones due, and sending ones whose
    claimer died (lease over). With their schedule's settings."""
    return await conn.fetch(
        """WITH claimed AS (
               UPDATE report_schedule_runs r SET status = 'sending', lease_until = $2, attempts = r.attempts + 1
               WHERE (r.schedule_id, r.period_start) IN (
                   SELECT schedule_id, period_start FROM report_schedule_runs
                   WHERE (status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until <= $1)
                   ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED LIMIT $3)
               RETURNING r.schedule_id, r.period_start, r.period_end, r.attempts)
           SELECT c.period_start, c.period_end, c.attempts, s.*
           FROM claimed c JOIN report_schedules s ON s.id = c.schedule_id""",
        now, lease_until, limit,
    )


async def finish_run(
    conn: asyncpg.Connection, schedule_id: uuid.UUID, period_start: datetime, *, status: str, error: str = "",
    next_attempt_at: datetime | None = None, sent_at: datetime | None = None,
) -> None:
    await conn.execute(
        """UPDATE report_schedule_runs SET status = $3, error = $4, next_attempt_at = coalesce($5, next_attempt_at),
               sent_at = $6, lease_until = NULL
           WHERE schedule_id = $1 AND period_start = $2""",
        schedule_id, period_start, status, error, next_attempt_at, sent_at,
    )


async def runs(conn: asyncpg.Connection, schedule_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM report_schedule_runs WHERE schedule_id = $1 ORDER BY period_start", schedule_id)
