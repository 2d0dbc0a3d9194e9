"""SQL of reviews: staging a batch, upserting it, linking syndicated copies, reading reviews back;
and the outbox's NOTIFY channel (events are added in the transaction that writes the reviews)."""

from __future__ import annotations

import json
import operator
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import asyncpg

from libs import outbox

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


async def ensure_staging(conn: asyncpg.Connection) -> None:
    await conn.execute(_CREATE_STAGING)


async def stage_reviews(conn: asyncpg.Connection, rows: Sequence[dict], ords: Sequence[int] | None = None) -> None:
    """COPYs the batch (keys unique) into this transaction's staging table, `ord` = position (or `ords`)."""
    await conn.execute(_CREATE_STAGING)
    # NOTE: ids for new reviews are drawn here, 16 random bytes each from one read: the database's
    # gen_random_uuid() was a tenth of the cost of storing a row. A stored review keeps its id.
    random = os.urandom(16 * len(rows))
    records = []
    for i, row in enumerate(rows):
        values = _ROW_VALUES(row)
        ord_ = i if ords is None else ords[i]
        records.append((ord_, _uuid4(random[16 * i : 16 * i + 16]), *values[:_MEDIA], json.dumps(values[_MEDIA]), *values[_MEDIA + 1 :]))
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


async def drop_repeated_keys(conn: asyncpg.Connection) -> None:
    """Keeps, of staged rows sharing a key, the last one (one statement cannot write a row twice)."""
    # NOTE: a window over the (unindexed, never analysed) staging table: a self-join there is a
    # nested loop over every pair of staged rows.
    await conn.execute(
        f"""DELETE FROM {_STAGING} WHERE ord IN (
                SELECT ord FROM (
                    SELECT ord, row_number() OVER (PARTITION BY platform, external_id ORDER BY ord DESC) AS n FROM {_STAGING}
                ) AS ranked WHERE n > 1)"""
    )


async def staged_texts(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """The staged rows' keys and the texts their syndication group and the encoding guard read."""
    return await conn.fetch(f"SELECT ord, platform, external_id, product_id, title, body, reviewer_name, reviewer_id FROM {_STAGING}")


async def set_syndication_groups(conn: asyncpg.Connection, ords: Sequence[int], groups: Sequence[str]) -> None:
    await conn.execute(
        f"""UPDATE {_STAGING} s SET syndication_group = g.grp FROM unnest($1::int[], $2::text[]) AS g(ord, grp)
            WHERE s.ord = g.ord""",
        list(ords),
        list(groups),
    )


# events.v1.ReviewIngested of stored reviews, equal to ReviewIngested(review=models.from_row(r))
# (fields in number order, proto3 defaults left out; reviewer and the timestamps always written, as
# Python sets them). NOTE: built in levels, each MATERIALIZED, so a submessage is a column when its
# length is written and the pb_* helpers (migration 0004) inline; tests/services/ingest/imports/
# test_copy_import.py compares the result with Python's and fails when Review gains a field.
_INGESTED_EVENTS = """
WITH k AS MATERIALIZED (
    SELECT r.*, k.n, pb_string(1, r.reviewer_id) || pb_string(2, r.reviewer_name) AS reviewer_pb,
           pb_timestamp_body(r.posted_at) AS posted_pb, pb_timestamp_body(r.captured_at) AS captured_pb,
           coalesce((SELECT string_agg(pb_field(18, convert_to(u, 'UTF8')), '\\x'::bytea ORDER BY m.i)
                     FROM jsonb_array_elements_text(r.media_urls) WITH ORDINALITY AS m(u, i)), '\\x'::bytea) AS media_pb
    FROM unnest($5::uuid[]) WITH ORDINALITY AS k(id, n) JOIN reviews r ON r.id = k.id AND r.tenant_id = $1
), review AS MATERIALIZED (
    SELECT n, id, version, history,
           pb_string(1, id::text) || pb_string(2, tenant_id::text) || pb_string(3, platform) || pb_string(4, marketplace)
        || pb_string(5, store_id) || pb_string(6, external_id) || pb_string(7, product_id) || pb_string(8, product_line)
        || pb_string(9, order_id) || pb_field(10, reviewer_pb) || pb_uint(11, rating) || pb_string(12, title)
        || pb_string(13, body) || pb_string(14, language) || pb_field(15, posted_pb) || pb_field(16, captured_pb)
        || pb_bool(17, verified_purchase) || media_pb || pb_string(19, reply_state) || pb_uint(20, version)
        || pb_bool(21, competitor) || pb_string(22, status) || pb_string(23, syndication_group)
        || pb_string(24, coalesce(syndicated_from::text, '')) || pb_string(25, coalesce(source_id::text, ''))
        || pb_bool(26, history) AS pb
    FROM k
)
SELECT CASE WHEN history THEN $3 ELSE $2 END, 'review:' || id || ':v' || version, pb_field(1, pb), $4::jsonb
FROM review ORDER BY n
"""


async def queue_ingested(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID], *, live_subject: str, history_subject: str, headers: str
) -> int:
    """Queues reviews.ingested (or .history) for the stored reviews `ids`, in that order, encoded by the database."""
    return await outbox.add_selected(
        conn, _INGESTED_EVENTS, tenant_id, live_subject, history_subject, headers, list(ids), channel=OUTBOX_CHANNEL
    )


async def reviews_by_ids(conn: asyncpg.Connection, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM reviews WHERE tenant_id = $1 AND id = ANY($2::uuid[])", tenant_id, list(ids))


async def capture_lags(conn: asyncpg.Connection, ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    """(platform, channel, seconds from posted to captured) of the given reviews."""
    return await conn.fetch(
        "SELECT platform, channel, extract(epoch FROM captured_at - posted_at)::float8 AS lag FROM reviews WHERE id = ANY($1::uuid[])",
        list(ids),
    )


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


async def get_review(conn: asyncpg.Connection, tenant_id: uuid.UUID, review_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM reviews WHERE tenant_id = $1 AND id = $2", tenant_id, review_id)


# NOTE: the outbox itself (add, claim, relay) is libs/outbox.py; this is ingest's NOTIFY channel.
OUTBOX_CHANNEL = "ingest_outbox"
