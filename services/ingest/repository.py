"""All SQL of the ingest service: reviews and the outbox."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

# Columns a submission sets, in the order of the unnest() arrays below.
_INPUT_COLUMNS = (
    ("platform", "text"),
    ("marketplace", "text"),
    ("store_id", "text"),
    ("external_id", "text"),
    ("product_id", "text"),
    ("product_line", "text"),
    ("order_id", "text"),
    ("reviewer_id", "text"),
    ("reviewer_name", "text"),
    ("rating", "smallint"),
    ("title", "text"),
    ("body", "text"),
    ("language", "text"),
    ("posted_at", "timestamptz"),
    ("verified_purchase", "boolean"),
    ("media_urls", "jsonb"),
    ("reply_state", "text"),
    ("competitor", "boolean"),
    ("content_hash", "bytea"),
)
_NAMES = [name for name, _ in _INPUT_COLUMNS]
_UNNEST = ", ".join(f"${i + 2}::{kind}[]" for i, (_, kind) in enumerate(_INPUT_COLUMNS))
_UPDATABLE = [n for n in _NAMES if n not in ("platform", "external_id")]

_UPSERT = f"""
INSERT INTO reviews (tenant_id, {", ".join(_NAMES)})
SELECT $1, {", ".join(_NAMES)}
FROM unnest({_UNNEST}) AS input({", ".join(_NAMES)})
ON CONFLICT (tenant_id, platform, external_id) DO UPDATE SET
    {", ".join(f"{n} = EXCLUDED.{n}" for n in _UPDATABLE)},
    version = reviews.version + 1,
    updated_at = now()
WHERE reviews.content_hash <> EXCLUDED.content_hash
RETURNING platform, external_id, (xmax = 0) AS created
"""

_SELECT_BY_KEYS = """
SELECT r.* FROM reviews r
JOIN unnest($2::text[], $3::text[]) AS k(platform, external_id)
  ON r.platform = k.platform AND r.external_id = k.external_id
WHERE r.tenant_id = $1
"""


@dataclass(frozen=True)
class UpsertOutcome:
    row: asyncpg.Record
    created: bool
    updated: bool


async def upsert_reviews(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, rows: Sequence[dict]
) -> list[UpsertOutcome]:
    """Inserts new reviews and updates changed ones, in the order given (keys unique in `rows`)."""
    arrays = [[row[name] for row in rows] for name in _NAMES]
    arrays[_NAMES.index("media_urls")] = [json.dumps(row["media_urls"]) for row in rows]
    changed = {
        (r["platform"], r["external_id"]): r["created"] for r in await conn.fetch(_UPSERT, tenant_id, *arrays)
    }
    stored = {
        (r["platform"], r["external_id"]): r
        for r in await conn.fetch(
            _SELECT_BY_KEYS, tenant_id, [row["platform"] for row in rows], [row["external_id"] for row in rows]
        )
    }
    outcomes = []
    for row in rows:
        key = (row["platform"], row["external_id"])
        created = changed.get(key)
        outcomes.append(UpsertOutcome(row=stored[key], created=bool(created), updated=created is False))
    return outcomes


async def get_review(conn: asyncpg.Connection, tenant_id: uuid.UUID, review_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM reviews WHERE tenant_id = $1 AND id = $2", tenant_id, review_id)


OUTBOX_CHANNEL = "ingest_outbox"


async def add_to_outbox(
    conn: asyncpg.Connection, entries: Sequence[tuple[str, str, bytes]], headers: dict[str, str]
) -> None:
    """Queues (subject, msg_id, payload) entries for the relay; visible only if the transaction commits."""
    if not entries:
        return
    await conn.execute(
        """INSERT INTO outbox (subject, msg_id, payload, headers)
           SELECT s, m, p, $4::jsonb FROM unnest($1::text[], $2::text[], $3::bytea[]) AS e(s, m, p)""",
        [e[0] for e in entries],
        [e[1] for e in entries],
        [e[2] for e in entries],
        json.dumps(headers),
    )
    await conn.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)


async def claim_outbox(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Locks the oldest pending entries for this transaction; other relays skip them."""
    return await conn.fetch(
        "SELECT id, subject, msg_id, payload, headers FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", limit
    )


async def delete_outbox(conn: asyncpg.Connection, ids: Sequence[int]) -> None:
    await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", list(ids))


async def count_attempts(conn: asyncpg.Connection, ids: Sequence[int]) -> None:
    await conn.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ANY($1::bigint[])", list(ids))


async def outbox_backlog(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM outbox")
