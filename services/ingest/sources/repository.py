"""SQL of sources (pull connectors and webhook senders) and of the webhook deliveries seen (replay guard)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import asyncpg


_SOURCE_COLUMNS = """id, tenant_id, kind, name, settings, settings_keys, webhook_secret, competitor, backfill_days,
    poll_interval_seconds, status, cursor, last_error, next_poll_at, created_at"""


async def insert_source(conn: asyncpg.Connection, tenant_id: uuid.UUID, values: dict) -> asyncpg.Record:
    """Stores a new source; UniqueViolationError when the tenant already has one of that name."""
    return await conn.fetchrow(
        f"""INSERT INTO sources (tenant_id, kind, name, settings, settings_keys, webhook_secret, competitor,
                                 backfill_days, poll_interval_seconds, status, next_poll_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $10 = 'active' THEN $11::timestamptz END)
            RETURNING {_SOURCE_COLUMNS}""",
        tenant_id,
        values["kind"],
        values["name"],
        values["settings"],
        values["settings_keys"],
        values["webhook_secret"],
        values["competitor"],
        values["backfill_days"],
        values["poll_interval_seconds"],
        values["status"],
        values["now"],
    )


async def get_source(conn: asyncpg.Connection, tenant_id: uuid.UUID | None, source_id: uuid.UUID) -> asyncpg.Record | None:
    """One source; any tenant's when `tenant_id` is None (a webhook names only the source)."""
    return await conn.fetchrow(
        f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE id = $2 AND ($1::uuid IS NULL OR tenant_id = $1)",
        tenant_id,
        source_id,
    )


async def list_sources(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {_SOURCE_COLUMNS} FROM sources WHERE tenant_id = $1 ORDER BY created_at, id", tenant_id)


_SOURCE_UPDATABLE = frozenset(
    {"name", "settings", "settings_keys", "webhook_secret", "competitor", "backfill_days", "poll_interval_seconds",
     "status", "cursor", "last_error", "next_poll_at", "attention_reason", "attention_since"}
)  # fmt: skip


async def update_source(conn: asyncpg.Connection, tenant_id: uuid.UUID, source_id: uuid.UUID, values: dict) -> asyncpg.Record | None:
    """Sets the given columns (names from a fixed list) and returns the row; None when not found."""
    names = sorted(values)
    unknown = set(names) - _SOURCE_UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets = ", ".join(f"{name} = ${i + 3}" for i, name in enumerate(names))
    return await conn.fetchrow(
        f"""UPDATE sources SET {sets}, updated_at = now() WHERE tenant_id = $1 AND id = $2
            RETURNING {_SOURCE_COLUMNS}""",
        tenant_id,
        source_id,
        *[json.dumps(values[n]) if n == "cursor" else values[n] for n in names],
    )


async def delete_source(conn: asyncpg.Connection, tenant_id: uuid.UUID, source_id: uuid.UUID) -> bool:
    return await conn.fetchval("DELETE FROM sources WHERE tenant_id = $1 AND id = $2 RETURNING true", tenant_id, source_id) is True


async def lease_due_sources(conn: asyncpg.Connection, *, now: datetime, limit: int, lease_seconds: float) -> list[asyncpg.Record]:
    """Takes up to `limit` sources due at `now` for `lease_seconds`; other replicas skip them meanwhile."""
    return await conn.fetch(
        f"""UPDATE sources SET lease_until = $3 + make_interval(secs => $2)
            WHERE id IN (SELECT id FROM sources
                         WHERE status = 'active' AND next_poll_at <= $3
                           AND (lease_until IS NULL OR lease_until < $3)
                         ORDER BY next_poll_at LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING {_SOURCE_COLUMNS}""",
        limit,
        lease_seconds,
        now,
    )


async def save_source_state(
    conn: asyncpg.Connection,
    source_id: uuid.UUID,
    *,
    cursor: dict,
    last_error: str,
    next_poll_at: datetime | None,
    paused: bool,
    release: bool,
) -> None:
    """Checkpoints a poll; a paused source stops being polled until someone resumes it."""
    await conn.execute(
        """UPDATE sources SET cursor = $2::jsonb, last_error = $3, next_poll_at = $4, updated_at = now(),
                  status = CASE WHEN $5 AND status = 'active' THEN 'paused' ELSE status END,
                  lease_until = CASE WHEN $6 THEN NULL ELSE lease_until END
           WHERE id = $1""",
        source_id,
        json.dumps(cursor),
        last_error,
        next_poll_at,
        paused,
        release,
    )


async def remember_webhook(conn: asyncpg.Connection, source_id: uuid.UUID, signature: bytes) -> bool:
    """Records an accepted signature; False when it was seen before (a replay)."""
    return (
        await conn.fetchval(
            """INSERT INTO webhook_deliveries (source_id, signature) VALUES ($1, $2)
               ON CONFLICT DO NOTHING RETURNING true""",
            source_id,
            signature,
        )
        is True
    )


async def forget_webhooks(conn: asyncpg.Connection, older_than: datetime) -> int:
    return int((await conn.execute("DELETE FROM webhook_deliveries WHERE received_at < $1", older_than)).split()[-1])


async def forget_webhook(conn: asyncpg.Connection, source_id: uuid.UUID, signature: bytes) -> None:
    await conn.execute("DELETE FROM webhook_deliveries WHERE source_id = $1 AND signature = $2", source_id, signature)
