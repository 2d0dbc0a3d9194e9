"""All SQL of the ingest service: reviews and their versions, sources, webhooks, import jobs, the outbox."""

from __future__ import annotations

import json
import operator
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import asyncpg

# Columns a submission sets, in the order they are copied into the staging table.
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
    ("status", "text"),
    ("syndication_group", "text"),
    ("channel", "text"),
    ("source_id", "uuid"),
    ("history", "boolean"),
)
_NAMES = [name for name, _ in _INPUT_COLUMNS]
# The fields a platform can change: a submission equal in all of them to the stored review is not
# a new version. NOTE: compared column by column in SQL rather than by a content hash computed in
# Python, which (one JSON encoding and sha256 per row) was the costliest step of an import.
_CONTENT = [n for n in _NAMES if n not in ("platform", "external_id", "syndication_group", "channel", "source_id", "history")]
# NOTE: channel and source_id describe the first capture (capture lag is measured on it).
_UPDATABLE = [n for n in _NAMES if n not in ("platform", "external_id", "channel", "source_id")]
_ROW_VALUES = operator.itemgetter(*_NAMES)
_MEDIA = _NAMES.index("media_urls")
_STAGING = "review_staging"
_STAGING_COLUMNS = ["ord", "id", *_NAMES]

# NOTE: a temporary table per connection, emptied at every commit: a batch is COPYed into it (the
# fastest way into PostgreSQL), checked and upserted with set-based statements, so a batch of any
# size costs the same few round trips.
_CREATE_STAGING = f"""
CREATE TEMP TABLE IF NOT EXISTS {_STAGING} (
    ord integer NOT NULL, id uuid NOT NULL, {", ".join(f"{n} {kind}" for n, kind in _INPUT_COLUMNS)}
) ON COMMIT DELETE ROWS
"""

# Each staged row beside the stored review of the same key, if any: its id, and its texts when the
# content changed (the encoding guard compares them).
# NOTE: a lateral look per staged row, on the unique key's index: the staging table is never
# analysed and the reviews' statistics lag a bulk import, so a planner's join could scan the tenant.
_STAGED_VS_STORED = f"""
SELECT s.ord, r.id, r.same,
       CASE WHEN NOT r.same THEN r.title END AS title,
       CASE WHEN NOT r.same THEN r.body END AS body,
       CASE WHEN NOT r.same THEN r.reviewer_name END AS reviewer_name
FROM {_STAGING} s CROSS JOIN LATERAL (
    SELECT id, title, body, reviewer_name,
           ({", ".join(_CONTENT)}) IS NOT DISTINCT FROM ({", ".join(f"s.{n}" for n in _CONTENT)}) AS same
    FROM reviews
    WHERE tenant_id = $1 AND platform = s.platform AND external_id = s.external_id
    LIMIT 1
) AS r
"""

_UPSERT = f"""
INSERT INTO reviews (tenant_id, id, {", ".join(_NAMES)})
SELECT $1, id, {", ".join(_NAMES)} FROM {_STAGING} ORDER BY ord
ON CONFLICT (tenant_id, platform, external_id) DO UPDATE SET
    {", ".join(f"{n} = EXCLUDED.{n}" for n in _UPDATABLE)},
    version = reviews.version + 1,
    updated_at = now()
WHERE ({", ".join(f"reviews.{n}" for n in _CONTENT)}) IS DISTINCT FROM ({", ".join(f"EXCLUDED.{n}" for n in _CONTENT)})
RETURNING id, platform, external_id, version, captured_at, syndicated_from, (xmax = 0) AS created
"""

_IDS_BY_KEYS = """
SELECT r.id, r.platform, r.external_id FROM reviews r
JOIN unnest($2::text[], $3::text[]) AS k(platform, external_id)
  ON r.platform = k.platform AND r.external_id = k.external_id
WHERE r.tenant_id = $1
"""


@dataclass(frozen=True)
class Written:
    """What the upsert assigned to a new or changed review."""

    id: uuid.UUID
    version: int
    captured_at: datetime
    syndicated_from: uuid.UUID | None
    created: bool


@dataclass(frozen=True)
class StoredText:
    """The stored texts of a review whose submitted content differs from it."""

    title: str
    body: str
    reviewer_name: str


def _uuid4(random: bytes) -> uuid.UUID:
    return uuid.UUID(bytes=random, version=4)


async def stage_reviews(conn: asyncpg.Connection, rows: Sequence[dict]) -> None:
    """COPYs the batch (keys unique) into this transaction's staging table, `ord` = position."""
    await conn.execute(_CREATE_STAGING)
    # NOTE: ids for new reviews are drawn here, 16 random bytes each from one read: the database's
    # gen_random_uuid() was a tenth of the cost of storing a row. A stored review keeps its id.
    random = os.urandom(16 * len(rows))
    records = []
    for i, row in enumerate(rows):
        values = _ROW_VALUES(row)
        records.append((i, _uuid4(random[16 * i : 16 * i + 16]), *values[:_MEDIA], json.dumps(values[_MEDIA]), *values[_MEDIA + 1 :]))
    await conn.copy_records_to_table(_STAGING, records=records, columns=_STAGING_COLUMNS, schema_name="pg_temp")


async def staged_vs_stored(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> tuple[dict[int, uuid.UUID], dict[int, StoredText]]:
    """For staged rows already stored: ids of the unchanged ones, and stored texts of the changed ones."""
    unchanged: dict[int, uuid.UUID] = {}
    changed: dict[int, StoredText] = {}
    for r in await conn.fetch(_STAGED_VS_STORED, tenant_id):
        if r["same"]:
            unchanged[r["ord"]] = r["id"]
        else:
            changed[r["ord"]] = StoredText(r["title"], r["body"], r["reviewer_name"])
    return unchanged, changed


async def unstage(conn: asyncpg.Connection, ords: Sequence[int]) -> None:
    """Drops staged rows that must not be stored."""
    await conn.execute(f"DELETE FROM {_STAGING} WHERE ord = ANY($1::int[])", list(ords))


async def upsert_staged(conn: asyncpg.Connection, tenant_id: uuid.UUID, rows: Sequence[dict]) -> dict[tuple[str, str], Written]:
    """Inserts the staged new reviews and updates the changed ones in one statement; relinks syndicated copies.

    Returns what was written, by (platform, external_id); unchanged reviews are not in it.
    """
    written = {
        (r["platform"], r["external_id"]): Written(r["id"], r["version"], r["captured_at"], r["syndicated_from"], r["created"])
        for r in await conn.fetch(_UPSERT, tenant_id)
    }
    if written:
        groups = sorted({row["syndication_group"] for row in rows if (row["platform"], row["external_id"]) in written} - {""})
        updated = [k for k, w in written.items() if not w.created]
        if await _link_syndicated(conn, tenant_id, groups, [k[0] for k in updated], [k[1] for k in updated]):
            # NOTE: rarely, a link moved: read the written rows' links again (the upsert returned the old ones).
            links = dict(
                await conn.fetch(
                    "SELECT id, syndicated_from FROM reviews WHERE id = ANY($1::uuid[])", [w.id for w in written.values()]
                )
            )
            written = {k: replace(w, syndicated_from=links[w.id]) for k, w in written.items()}
    return written


async def ids_by_keys(conn: asyncpg.Connection, tenant_id: uuid.UUID, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], uuid.UUID]:
    rows = await conn.fetch(_IDS_BY_KEYS, tenant_id, [k[0] for k in keys], [k[1] for k in keys])
    return {(r["platform"], r["external_id"]): r["id"] for r in rows}


# NOTE: one index look per group (the partial index needs the `<> ''`), whatever the planner thinks
# of the tenant's size: right after a bulk import its statistics are stale, and a plan that scans
# the tenant's reviews made each batch of an import slower than the one before.
_SHARED_GROUPS = """
SELECT g.syndication_group FROM unnest($2::text[]) AS g(syndication_group)
CROSS JOIN LATERAL (
    SELECT count(*) AS copies, bool_or(r.syndicated_from IS NOT NULL) AS linked FROM reviews r
    WHERE r.tenant_id = $1 AND r.syndication_group = g.syndication_group AND r.syndication_group <> ''
) AS found
WHERE found.copies > 1 OR found.linked
"""

_LINK_SYNDICATED = """
WITH canon AS (
    SELECT g.syndication_group, first.id
    FROM unnest($2::text[]) AS g(syndication_group)
    CROSS JOIN LATERAL (
        SELECT r.id FROM reviews r
        WHERE r.tenant_id = $1 AND r.syndication_group = g.syndication_group AND r.syndication_group <> ''
        ORDER BY r.captured_at, r.id LIMIT 1
    ) AS first
)
UPDATE reviews r SET syndicated_from = NULLIF(c.id, r.id)
FROM canon c
WHERE r.tenant_id = $1 AND r.syndication_group = c.syndication_group AND r.syndication_group <> ''
  AND r.syndicated_from IS DISTINCT FROM NULLIF(c.id, r.id)
"""

_UNLINK_UNGROUPED = """
UPDATE reviews r SET syndicated_from = NULL
FROM unnest($2::text[], $3::text[]) AS k(platform, external_id)
WHERE r.tenant_id = $1 AND r.platform = k.platform AND r.external_id = k.external_id
  AND r.syndication_group = '' AND r.syndicated_from IS NOT NULL
"""


async def _link_syndicated(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, groups: list[str], platforms: list[str], external_ids: list[str]
) -> bool:
    """Points every copy in the touched syndication groups at the group's first-stored review.

    NOTE: the whole group is relinked, not only this batch's rows, so two batches that raced to
    create the same group's first copy are set straight by the next one touching it.
    """
    # NOTE: most groups have one member (most texts are not syndicated): find the shared ones
    # with an index-only look first, and relink only those.
    shared = [r["syndication_group"] for r in await conn.fetch(_SHARED_GROUPS, tenant_id, groups)] if groups else []
    moved = False
    if shared:
        moved = await conn.execute(_LINK_SYNDICATED, tenant_id, shared) != "UPDATE 0"
    if external_ids:
        # NOTE: only an edit can leave a review ungrouped while it still points at a group's first copy.
        moved = await conn.execute(_UNLINK_UNGROUPED, tenant_id, platforms, external_ids) != "UPDATE 0" or moved
    return moved


async def get_reviews_by_keys(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, platform: str, external_ids: Sequence[str]
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM reviews WHERE tenant_id = $1 AND platform = $2 AND external_id = ANY($3::text[]) FOR UPDATE",
        tenant_id,
        platform,
        list(external_ids),
    )


async def superseded_versions(
    conn: asyncpg.Connection, review_ids: Sequence[uuid.UUID], versions: Sequence[int]
) -> list[asyncpg.Record]:
    """The archived (review_id, version) rows, with the change that superseded each."""
    return await conn.fetch(
        """SELECT v.review_id, v.version, v.changed_fields, v.rating, v.status, v.superseded_at FROM review_versions v
           JOIN unnest($1::uuid[], $2::int[]) AS k(review_id, version)
             ON v.review_id = k.review_id AND v.version = k.version""",
        list(review_ids),
        list(versions),
    )


async def review_history(conn: asyncpg.Connection, tenant_id: uuid.UUID, review_id: uuid.UUID) -> list[asyncpg.Record]:
    """Archived versions of a review, oldest first, in the columns of `reviews` (id = the review's)."""
    return await conn.fetch(
        """SELECT v.review_id AS id, v.version, v.tenant_id, v.platform, v.marketplace, v.store_id, v.external_id,
                  v.product_id, v.product_line, v.order_id, v.reviewer_id, v.reviewer_name, v.rating, v.title,
                  v.body, v.language, v.posted_at, r.captured_at, v.verified_purchase, v.media_urls, v.reply_state,
                  v.competitor, v.status, v.recorded_at, v.changed_fields
           FROM review_versions v JOIN reviews r ON r.id = v.review_id
           WHERE v.tenant_id = $1 AND v.review_id = $2
           ORDER BY v.version""",
        tenant_id,
        review_id,
    )


async def rating_changes(
    conn: asyncpg.Connection,
    tenant_id: uuid.UUID,
    *,
    direction: str,
    since: datetime | None,
    review_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Versions superseded by one with another rating, newest change first."""
    return await conn.fetch(
        """SELECT review_id, platform, product_id, version AS from_version, version + 1 AS to_version,
                  rating AS old_rating, next_rating AS new_rating, superseded_at AS changed_at
           FROM review_versions
           WHERE tenant_id = $1 AND rating <> next_rating
             AND ($2 = '' OR ($2 = 'up' AND next_rating > rating) OR ($2 = 'down' AND next_rating < rating))
             AND ($3::timestamptz IS NULL OR superseded_at >= $3)
             AND ($4::uuid IS NULL OR review_id = $4)
             AND ($5::timestamptz IS NULL OR (superseded_at, review_id) < ($5, $6::uuid))
           ORDER BY superseded_at DESC, review_id DESC
           LIMIT $7""",
        tenant_id,
        direction,
        since,
        review_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def capture_lag(conn: asyncpg.Connection, tenant_id: uuid.UUID, since: datetime) -> list[asyncpg.Record]:
    """p50/p95/max of captured_at - posted_at per platform, channel and source, for reviews captured since."""
    return await conn.fetch(
        """SELECT platform, channel, coalesce(source_id::text, '') AS source_id, count(*) AS reviews,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) AS p50,
                  percentile_cont(0.95) WITHIN GROUP (ORDER BY lag) AS p95,
                  max(lag) AS max
           FROM (SELECT platform, channel, source_id,
                        greatest(0, extract(epoch FROM captured_at - posted_at))::float8 AS lag
                 FROM reviews WHERE tenant_id = $1 AND captured_at >= $2) AS captured
           GROUP BY platform, channel, source_id
           ORDER BY platform, channel, source_id""",
        tenant_id,
        since,
    )


async def get_review(conn: asyncpg.Connection, tenant_id: uuid.UUID, review_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM reviews WHERE tenant_id = $1 AND id = $2", tenant_id, review_id)


# NOTE: the outbox itself (add, claim, relay) is libs/outbox.py; this is ingest's NOTIFY channel.
OUTBOX_CHANNEL = "ingest_outbox"


# Sources --------------------------------------------------------------------------------------

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
     "status", "cursor", "last_error", "next_poll_at"}
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


# Import jobs ----------------------------------------------------------------------------------


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


async def forget_webhook(conn: asyncpg.Connection, source_id: uuid.UUID, signature: bytes) -> None:
    await conn.execute("DELETE FROM webhook_deliveries WHERE source_id = $1 AND signature = $2", source_id, signature)
