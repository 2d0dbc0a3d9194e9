"""SQL of imports through COPY: a CSV parsed by PostgreSQL into a table of raw text columns, each
chunk of it mapped and validated set-based into ingest's review staging table.

NOTE: the SQL mapping takes a row only when it is sure to give the very review the Python mapping
(`mapping.RowMapper` + `models.validate`) gives: plain numbers as ratings, ISO 8601 dates, ASCII
where Python and PostgreSQL could case-fold or split differently, every limit met. Any other row is
handed back raw, and the Python mapping decides it, so its error (or its review) is exactly today's.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from services.ingest import models
from services.ingest.imports.mapping import TRUE_WORDS, ColumnMapping

# Every character Python's str.strip() removes: the SQL values must be stripped exactly alike.
_PY_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
# mapping._URL_SPLIT on ASCII text (its \s includes \x1c-\x1f there too).
_URL_SPLIT = "[\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f ,;|]+"
# ISO 8601 as Python's fromisoformat reads it: a date, optionally a time to the second, optionally Z
# or an offset. NOTE: matched without captures (PostgreSQL's fast path); the parts are cut by position.
_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?)?$"
# Fields whose mapping the SQL path does not handle (hashing, derived ids): such imports stay in Python.
_PYTHON_ONLY = ("external_id_from", "hashed")
_TEXT_LIMIT = 200


@dataclass
class RawTable:
    """A file's rows in a temporary table (`ord` from 1 in file order, columns c0..cN as in the header)."""

    name: str
    header: list[str]
    rows: int = 0
    # (ord, newlines inside the quoted fields of this row and those before it), for rows that have any.
    multiline: list[tuple[int, int]] = field(default_factory=list)


def sql_mappable(mapping: ColumnMapping, header: Sequence[str]) -> bool:
    """Whether the SQL mapping can take this file's rows (else the whole file goes through Python)."""
    if any(getattr(mapping, name) for name in _PYTHON_ONLY) or "external_id" not in mapping.columns:
        return False
    if any(isinstance(v, bool) and f != "verified_purchase" for f, v in mapping.constants.items()):
        return False
    if any("\x00" in str(v) for v in mapping.constants.values()):
        return False
    return len(header) >= 2


async def zone_known(conn: asyncpg.Connection, zone: str) -> bool:
    return await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)", zone)


async def copy_raw(conn: asyncpg.Connection, header: Sequence[str], source: AsyncIterable[bytes], *, delimiter: str) -> RawTable:
    """COPYs the rows (the CSV after its header line) into a new temporary table parsed by PostgreSQL.

    Raises asyncpg's error when PostgreSQL cannot read the file as a table of `len(header)` columns.
    """
    table = RawTable(f"import_raw_{uuid.uuid4().hex[:12]}", list(header))
    columns = [f"c{i}" for i in range(len(header))]
    await conn.execute(
        f"CREATE TEMP TABLE {table.name} (ord bigint GENERATED ALWAYS AS IDENTITY, {', '.join(f'{c} text' for c in columns)})"
    )
    try:
        status = await conn.copy_to_table(table.name, source=source, columns=columns, format="csv", delimiter=delimiter, schema_name="pg_temp")
    except BaseException:
        await drop_raw(conn, table)
        raise
    table.rows = int(status.split()[-1])
    newlines = " + ".join(f"coalesce(length({c}) - length(replace({c}, E'\\n', '')), 0)" for c in columns)
    seen = 0
    for r in await conn.fetch(f"SELECT ord, {newlines} AS n FROM pg_temp.{table.name} WHERE ({newlines}) > 0 ORDER BY ord"):
        seen += r["n"]
        table.multiline.append((r["ord"], seen))
    return table


async def drop_raw(conn: asyncpg.Connection, table: RawTable) -> None:
    await conn.execute(f"DROP TABLE IF EXISTS pg_temp.{table.name}")


class ChunkMapper:
    """The statement that maps one chunk of a raw table into the review staging table."""

    def __init__(self, mapping: ColumnMapping, table: RawTable, limits: models.Limits) -> None:
        self._table = table
        self._params: list = []
        index = {name: i for i, name in enumerate(table.header)}  # NOTE: a repeated header keeps the last, as dict(zip()) does
        self._v = {f: self._value(mapping, index, f) for f in _FIELDS}
        self.sql = self._build(mapping, limits)

    def _param(self, value) -> str:
        self._params.append(value)
        return f"${len(self._params) + 8}"

    def _value(self, mapping: ColumnMapping, index: dict[str, int], f: str) -> str:
        """RowMapper.values in SQL: the first non-empty stripped column, else the constant, else NULL."""
        parts = [f"NULLIF(btrim(c{index[n]}, $5), '')" for n in mapping.source_columns(f) if n in index]
        constant = mapping.constants.get(f)
        if isinstance(constant, bool):
            parts.append("'true'" if constant else "'false'")
        elif constant is not None:
            parts.append(self._param(constant))
        return f"coalesce({', '.join(parts)})" if parts else "NULL::text"

    def _build(self, mapping: ColumnMapping, limits: models.Limits) -> str:
        v = self._v
        scale = mapping.rating_scale
        zone = self._param(mapping.timezone)
        words = self._param(sorted(TRUE_WORDS))
        url_split = self._param(_URL_SPLIT)
        fffd = "\ufffd"
        # NOTE: read from the `raw` step's v_* columns: the steps after it see no raw cN column.
        reply = (
            "coalesce(v_reply_state, 'none')" if "reply_state" in mapping.columns or "reply_state" in mapping.constants
            else "CASE WHEN v_reply IS NOT NULL THEN 'replied' ELSE 'none' END"
        )  # fmt: skip
        # NOTE: each CASE guards the casts after it: a value that fails a check never reaches one.
        # Each step is MATERIALIZED: inlined, every later reference would recompute the regexp
        # match and date arithmetic before it (hundreds of evaluations per row). The INSERT runs to
        # completion although nothing reads it (PostgreSQL runs every data-modifying WITH once).
        return f"""
WITH raw AS MATERIALIZED (
    SELECT ord, {", ".join(f"{expr} AS v_{f}" for f, expr in v.items())}
    FROM pg_temp.{self._table.name} WHERE ord > $1 AND ord <= $2
), parsed AS MATERIALIZED (
    SELECT raw.*, CASE WHEN v_rating ~ '^[0-9]{{1,30}}([.,][0-9]{{1,30}})?$' THEN v_rating END AS num,
           CASE WHEN v_posted_at ~ '{_ISO}' THEN ARRAY[
               substr(v_posted_at, 1, 4), substr(v_posted_at, 6, 2), substr(v_posted_at, 9, 2), NULLIF(substr(v_posted_at, 12, 2), ''),
               NULLIF(substr(v_posted_at, 15, 2), ''), NULLIF(substr(v_posted_at, 18, 2), ''), NULLIF(substr(v_posted_at, 20), ''),
               NULLIF(substr(v_posted_at, 20, 1), ''), NULLIF(substr(v_posted_at, 21, 2), ''), NULLIF(substr(v_posted_at, 24, 2), '')]
           END AS d,
           CASE WHEN v_media_urls IS NULL THEN ARRAY[]::text[]
                WHEN v_media_urls !~ '[^\\x01-\\x7f]' THEN array_remove(regexp_split_to_array(v_media_urls, {url_split}), '')
           END AS media
    FROM raw
), dated AS MATERIALIZED (
    SELECT parsed.*,
           CASE WHEN d IS NOT NULL AND d[1]::int >= 1 AND d[2]::int BETWEEN 1 AND 12 AND d[3]::int >= 1
                 AND d[3]::int <= extract(day FROM make_date(d[1]::int, d[2]::int, 1) + interval '1 month - 1 day')
                 AND coalesce(d[4]::int, 0) <= 23 AND coalesce(d[5]::int, 0) <= 59 AND coalesce(d[6]::int, 0) <= 59
                 AND coalesce(d[9]::int, 0) <= 23 AND coalesce(d[10]::int, 0) <= 59
                THEN make_timestamp(d[1]::int, d[2]::int, d[3]::int, coalesce(d[4]::int, 0), coalesce(d[5]::int, 0), coalesce(d[6]::int, 0))
           END AS local
    FROM parsed
), timed AS MATERIALIZED (
    SELECT dated.*,
           CASE WHEN local IS NULL THEN NULL
                WHEN d[7] = 'Z' THEN local AT TIME ZONE 'UTC'
                WHEN d[7] IS NOT NULL THEN (local AT TIME ZONE 'UTC')
                     - (CASE d[8] WHEN '-' THEN -1 ELSE 1 END) * make_interval(hours => d[9]::int, mins => d[10]::int)
                ELSE local AT TIME ZONE {zone}
           END AS posted
    FROM dated
), checked AS MATERIALIZED (
    SELECT timed.*, (
        v_platform ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{{0,39}}$' AND v_marketplace ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{{0,39}}$'
        AND v_product_id IS NOT NULL AND char_length(v_product_id) <= {models.MAX_ID_CHARS}
        AND v_external_id IS NOT NULL AND char_length(v_external_id) <= {models.MAX_ID_CHARS}
        AND num IS NOT NULL AND replace(num, ',', '.')::float8 > 0 AND replace(num, ',', '.')::float8 <= {scale}
        AND posted IS NOT NULL AND posted >= $3 AND posted <= $4
        -- NOTE: a local time near a DST change may be ambiguous or skipped; Python's fold=0 decides it.
        AND (d[7] IS NOT NULL OR (local - interval '1 day') AT TIME ZONE {zone} - (local + interval '1 day') AT TIME ZONE {zone} = interval '-2 days')
        AND coalesce(v_title, v_body) IS NOT NULL
        AND char_length(coalesce(v_title, '')) <= {limits.max_title_chars} AND char_length(coalesce(v_body, '')) <= {limits.max_body_chars}
        AND strpos(coalesce(v_title, '') || coalesce(v_body, '') || coalesce(v_reviewer_name, ''), '{fffd}') = 0
        AND {" AND ".join(f"char_length(coalesce(v_{f}, '')) <= {_TEXT_LIMIT}" for f in ("store_id", "product_line", "order_id", "reviewer_id", "reviewer_name"))}
        AND char_length({reply}) <= {_TEXT_LIMIT}
        AND (v_language IS NULL OR v_language ~ '^[A-Za-z]{{2,3}}([-_][A-Za-z0-9]{{2,8}})*$')
        AND (v_verified_purchase IS NULL OR v_verified_purchase ~ '^[\\x01-\\x7f]*$' OR lower(v_verified_purchase) = ANY({words}))
        AND media IS NOT NULL AND cardinality(media) <= {models.MAX_MEDIA}
        AND NOT EXISTS (SELECT 1 FROM unnest(media) u WHERE char_length(u) > {models.MAX_URL_CHARS} OR u !~ '^https?://')
    ) IS TRUE AS ok
    FROM timed
), staged AS (
    INSERT INTO pg_temp.review_staging (ord, id, {", ".join(_STAGED)})
    SELECT ord, gen_random_uuid(), lower(v_platform),
           CASE WHEN char_length(v_marketplace) <= 3 THEN upper(v_marketplace) ELSE lower(v_marketplace) END,
           coalesce(v_store_id, ''), v_external_id, v_product_id, coalesce(v_product_line, ''), coalesce(v_order_id, ''),
           coalesce(v_reviewer_id, ''), coalesce(v_reviewer_name, ''),
           greatest(1, least(5, floor(replace(num, ',', '.')::float8 * 5 / {scale} + 0.5)))::smallint,
           coalesce(v_title, ''), coalesce(v_body, ''), replace(coalesce(v_language, ''), '_', '-'), posted,
           coalesce(lower(v_verified_purchase) = ANY({words}), false), to_jsonb(media), {reply}, $6, 'published', '', 'import', NULL,
           NOT $7 OR posted < $8
    FROM checked WHERE ok
)
SELECT ord, {", ".join(f"c{i}" for i in range(len(self._table.header)))} FROM pg_temp.{self._table.name}
WHERE ord IN (SELECT ord FROM checked WHERE NOT ok) ORDER BY ord
"""

    async def run(
        self, conn: asyncpg.Connection, first: int, last: int, *, now: datetime, competitor: bool, live: bool, oldest_live: datetime
    ) -> list[asyncpg.Record]:
        """Stages the good rows of ords (first, last]; returns the others raw (ord, c0..cN) for Python."""
        earliest, latest = models.EARLIEST, now + models.MAX_CLOCK_SKEW
        # NOTE: the steps of a 10,000-row chunk hold ~10 MiB each; under the default work_mem each
        # spilled to a temporary file.
        await conn.execute("SET LOCAL work_mem = '256MB'")
        return await conn.fetch(
            self.sql, first, last, earliest, latest, _PY_WHITESPACE, competitor, live, oldest_live, *self._params
        )


# Review fields the SQL mapping reads, and the staging columns it fills (reviews/repository.py's).
_FIELDS = (
    "platform", "marketplace", "store_id", "external_id", "product_id", "product_line", "order_id", "reviewer_id",
    "reviewer_name", "rating", "title", "body", "language", "posted_at", "verified_purchase", "media_urls", "reply_state", "reply",
)  # fmt: skip
_STAGED = (
    "platform", "marketplace", "store_id", "external_id", "product_id", "product_line", "order_id", "reviewer_id",
    "reviewer_name", "rating", "title", "body", "language", "posted_at", "verified_purchase", "media_urls", "reply_state",
    "competitor", "status", "syndication_group", "channel", "source_id", "history",
)  # fmt: skip
