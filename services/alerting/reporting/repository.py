"""All SQL of the inbox and the reports. Column names in SQL come only from models' fixed lists."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.alerting.reporting.models import DIMENSIONS, SORTS, Window, periods, pieces, whole_hour_zone

_INBOX_COLUMNS = (
    "review_id", "tenant_id", "version", "platform", "marketplace", "store_id", "product_id", "product_line", "language",
    "rating", "title", "body", "translation", "sentiment", "negative_score", "aspects", "risk_categories", "malicious",
    "competitor", "counted", "posted_at", "search_text", "search_grams", "first_rating", "order_id", "carrier",
)


async def lock_stored(conn: asyncpg.Connection, review_ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    """The stored rows of these reviews, locked until the transaction ends (their rollup share is replaced)."""
    rows = await conn.fetch(
        "SELECT * FROM inbox_reviews WHERE review_id = ANY($1::uuid[]) ORDER BY review_id FOR UPDATE", review_ids
    )
    return {r["review_id"]: r for r in rows}


async def lock_orders(conn: asyncpg.Connection, tenant_order_ids: list[tuple[uuid.UUID, str]]) -> None:
    """Serialises a review's row and its order's carrier until the transaction ends.

    NOTE: a review and its order arrive on different streams; without this, each transaction could
    miss the other's uncommitted row and the review keep carrier ''. Taken in sorted order (no deadlock).
    """
    for tenant_id, order_id in sorted(set(tenant_order_ids)):
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 14))", f"{tenant_id}/{order_id}")


async def carriers(conn: asyncpg.Connection, tenant_order_ids: list[tuple[uuid.UUID, str]]) -> dict[tuple[uuid.UUID, str], str]:
    rows = await conn.fetch(
        """SELECT o.tenant_id, o.order_id, o.carrier FROM inbox_orders o
           JOIN unnest($1::uuid[], $2::text[]) AS k(tenant_id, order_id) ON k.tenant_id = o.tenant_id AND k.order_id = o.order_id""",
        [t for t, _ in tenant_order_ids], [o for _, o in tenant_order_ids],
    )
    return {(r["tenant_id"], r["order_id"]): r["carrier"] for r in rows}


async def keep_order(conn: asyncpg.Connection, tenant_id: uuid.UUID, order_id: str, carrier: str) -> None:
    await conn.execute(
        """INSERT INTO inbox_orders (tenant_id, order_id, carrier) VALUES ($1, $2, $3)
           ON CONFLICT (tenant_id, order_id) DO UPDATE SET carrier = excluded.carrier""",
        tenant_id, order_id, carrier,
    )


async def lock_reviews_of_order(conn: asyncpg.Connection, tenant_id: uuid.UUID, order_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM inbox_reviews WHERE tenant_id = $1 AND order_id = $2 ORDER BY review_id FOR UPDATE", tenant_id, order_id
    )


async def upsert_reviews(conn: asyncpg.Connection, rows: list[dict]) -> None:
    columns = ", ".join(_INBOX_COLUMNS)
    placeholders = ", ".join(f"${i}" for i in range(1, len(_INBOX_COLUMNS) + 1))
    # NOTE: first_rating stays the rating the review was first stored with (rating recovery).
    updates = ", ".join(f"{c} = excluded.{c}" for c in _INBOX_COLUMNS if c not in ("review_id", "tenant_id", "first_rating"))
    await conn.executemany(
        f"""INSERT INTO inbox_reviews ({columns}) VALUES ({placeholders})
            ON CONFLICT (review_id) DO UPDATE SET {updates}
            WHERE inbox_reviews.tenant_id = excluded.tenant_id""",
        [tuple(row[c] for c in _INBOX_COLUMNS) for row in rows],
    )


ROLLUP_KEYS = {
    "report_hourly": ("tenant_id", "dimension", "hour", "value", "competitor"),
    "report_aspect_hourly": ("tenant_id", "dimension", "hour", "value", "competitor", "aspect"),
    "report_daily": ("tenant_id", "dimension", "day", "value", "competitor"),
    "report_aspect_daily": ("tenant_id", "dimension", "day", "value", "competitor", "aspect"),
    "report_weekly": ("tenant_id", "dimension", "week", "value", "competitor"),
    "report_aspect_weekly": ("tenant_id", "dimension", "week", "value", "competitor", "aspect"),
}


async def add_to_rollups(conn: asyncpg.Connection, deltas: dict[str, dict[tuple, list[int]]]) -> None:
    """Adds signed (reviews, rating_sum, negative) deltas per rollup table (keys as ROLLUP_KEYS);
    in sorted order, so that concurrent batches lock rollup rows in one order and cannot deadlock."""
    for table, key in ROLLUP_KEYS.items():
        changed = sorted((k, v) for k, v in deltas.get(table, {}).items() if any(v))
        if not changed:
            continue
        names = ", ".join((*key, "reviews", "rating_sum", "negative"))
        await conn.executemany(
            f"""INSERT INTO {table} ({names}) VALUES ({", ".join(f"${i}" for i in range(1, len(key) + 4))})
                ON CONFLICT ({", ".join(key)}) DO UPDATE SET reviews = {table}.reviews + excluded.reviews,
                    rating_sum = {table}.rating_sum + excluded.rating_sum, negative = {table}.negative + excluded.negative""",
            [(*k, *v) for k, v in changed],
        )


async def upsert_case(conn: asyncpg.Connection, *, tenant_id, review_id, case_id, status: str, changed_at: datetime) -> None:
    """Keeps the latest case state per review; an older event arriving late changes nothing."""
    await conn.execute(
        """INSERT INTO inbox_cases (review_id, tenant_id, case_id, status, changed_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (review_id) DO UPDATE SET case_id = excluded.case_id, status = excluded.status,
               changed_at = excluded.changed_at
           WHERE inbox_cases.tenant_id = excluded.tenant_id AND inbox_cases.changed_at <= excluded.changed_at""",
        review_id, tenant_id, case_id, status, changed_at,
    )


class _Where:
    """WHERE clauses with numbered parameters."""

    def __init__(self, tenant_id: uuid.UUID) -> None:
        self.params: list = [tenant_id]
        self.clauses = ["r.tenant_id = $1"]

    def add(self, clause: str, *values) -> None:
        names = []
        for value in values:
            self.params.append(value)
            names.append(f"${len(self.params)}")
        self.clauses.append(clause.format(*names))

    def sql(self) -> str:
        return " AND ".join(self.clauses)


_INBOX_SELECT = """SELECT r.review_id, r.platform, r.marketplace, r.store_id, r.product_id, r.product_line, r.language,
           r.rating, r.title, r.body, r.translation, r.sentiment, r.negative_score, r.aspects, r.risk_categories,
           r.malicious, r.competitor, r.posted_at, c.case_id, c.status AS case_status
    FROM inbox_reviews r LEFT JOIN inbox_cases c ON c.review_id = r.review_id AND c.tenant_id = r.tenant_id"""


async def search(conn: asyncpg.Connection, tenant_id: uuid.UUID, f: dict, *, sort: str, after, limit: int) -> list[asyncpg.Record]:
    """One page of a tenant's reviews matching the filters `f` (already validated)."""
    where = _Where(tenant_id)
    for column in ("platform", "marketplace", "store_id", "product_id", "product_line", "language"):
        if f.get(column):
            where.add(f"r.{column} = ANY({{}}::text[])", f[column])
    if f.get("rating_gte"):
        where.add("r.rating >= {}", f["rating_gte"])
    if f.get("rating_lte"):
        where.add("r.rating <= {}", f["rating_lte"])
    for column in ("sentiment",):
        if f.get(column):
            where.add(f"r.{column} = {{}}", f[column])
    if f.get("aspect"):
        where.add("r.aspects @> ARRAY[{}]::text[]", f["aspect"])
    if f.get("risk") == "any":
        where.add("cardinality(r.risk_categories) > {}", 0)
    elif f.get("risk"):
        where.add("r.risk_categories @> ARRAY[{}]::text[]", f["risk"])
    for column in ("malicious", "competitor"):
        if f.get(column) is not None:
            where.add(f"r.{column} = {{}}", f[column])
    if f.get("has_case") is not None:
        where.clauses.append("c.case_id IS NOT NULL" if f["has_case"] else "c.case_id IS NULL")
    if f.get("case_status"):
        where.add("c.status = {}", f["case_status"])
    if f.get("posted_from"):
        where.add("r.posted_at >= {}", f["posted_from"])
    if f.get("posted_to"):
        where.add("r.posted_at < {}", f["posted_to"])
    if f.get("q_grams"):
        where.add("r.search_grams @> {}::text[]", f["q_grams"])
    if f.get("q_text"):
        where.add("strpos(r.search_text, {}) > 0", f["q_text"])
    expression, descending = SORTS[sort]
    if after is not None:
        where.add(f"({expression}, r.review_id) {'<' if descending else '>'} ({{}}, {{}})", *after)
    direction = "DESC" if descending else "ASC"
    where.params.append(limit)
    return await conn.fetch(
        f"{_INBOX_SELECT} WHERE {where.sql()} ORDER BY {expression} {direction}, r.review_id {direction} LIMIT ${len(where.params)}",
        *where.params,
    )


def _raw_part(dimension: str, *, by_aspect: bool, split_competitor: bool, value_param: str | None, ranges: str) -> str:
    """The review rows of the raw ranges, shaped as a rollup piece's rows (see `summed`)."""
    value = "''::text" if dimension == "all" else f"r.{dimension}"
    columns = [f"{value} AS k0", *(["a.aspect AS k1"] if by_aspect else []), *(["r.competitor::text AS kc"] if split_competitor else [])]
    # NOTE: $2 (the dimension, chosen above in Python) is named so that its type is known when a
    # report (a Kolkata hour) reads only raw ranges.
    where = "$2::text <> '' AND r.counted" + ("" if split_competitor else " AND NOT r.competitor")
    if value_param:
        where += f" AND {value} = {value_param}"
    return f"""SELECT g.idx, {", ".join(columns)}, g.sign AS reviews, g.sign * r.rating AS rating_sum,
                      g.sign * (r.sentiment = 'negative')::int AS negative
               FROM unnest({ranges}) AS g(lo, hi, idx, sign)
               JOIN inbox_reviews r ON r.tenant_id = $1 AND r.posted_at >= g.lo AND r.posted_at < g.hi
               {"CROSS JOIN LATERAL unnest(r.aspects) AS a(aspect)" if by_aspect else ""}
               WHERE {where}"""


async def summed(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, w: Window, dimension: str, *, by_aspect: bool = False,
    split_competitor: bool = False, by_period: bool = True, value: str | None = None,
) -> list[asyncpg.Record]:
    """Rollup sums of one dimension per (period, value[, aspect][, competitor]): reviews, rating_sum, negative.

    Own listings only unless `split_competitor`; k0 is the value, k1 the aspect, kc "true"/"false";
    `period` is a UTC hour (hour grain) or the local start of the zone's day, week or month.
    """
    assert dimension in (*DIMENSIONS, "all")
    keys = ["value AS k0", *(["aspect AS k1"] if by_aspect else []), *(["competitor::text AS kc"] if split_competitor else [])]
    names = [k.rsplit(" ", 1)[1] for k in keys]
    params: list = [tenant_id, dimension]
    where = "t.tenant_id = $1 AND t.dimension = $2" + ("" if split_competitor else " AND NOT t.competitor")
    value_param = None
    if value is not None:
        params.append(value)
        value_param = f"${len(params)}"
        where += f" AND t.value = {value_param}"
    prefix = "report_aspect_" if by_aspect else "report_"
    columns = ", ".join(f"t.{k}" for k in keys)
    whole_hours = w.starts_at == _hour(w.starts_at) and w.ends_at == _hour(w.ends_at)
    if by_period and w.grain == "hour" and whole_hours and whole_hour_zone(w):
        # NOTE: hours stay UTC hours (shown later in the zone's offset), so the repeated local hour
        # of a DST fall-back is two rows, not one.
        params += [w.starts_at, w.ends_at]
        n = len(params)
        return await conn.fetch(
            f"""SELECT t.hour AS period, {columns}, sum(t.reviews)::bigint AS reviews, sum(t.rating_sum)::bigint AS rating_sum,
                       sum(t.negative)::bigint AS negative
                FROM {prefix}hourly t WHERE {where} AND t.hour >= ${n - 1} AND t.hour < ${n}
                GROUP BY 1, {", ".join(names)} ORDER BY 1, {", ".join(names)}""",
            *params,
        )
    spans = periods(w, by_period=by_period)
    parts = pieces(spans)
    # NOTE: the period labels (naive local starts; UTC instants for hours) are picked in SQL by the
    # span number, so the rows come back as they are, with no per-row reshaping in Python.
    period = "NULL::timestamp"
    if by_period:
        params.append([label for label, _, _ in spans])
        period = f"(${len(params)}::{'timestamptz' if w.grain == 'hour' else 'timestamp'}[])[x.idx]"

    def unnested(rows: list[tuple], types: tuple[str, ...]) -> str:
        columns_of = list(zip(*rows))
        names_of = []
        for values, kind in zip(columns_of, types):
            params.append(list(values))
            names_of.append(f"${len(params)}::{kind}[]")
        return ", ".join(names_of)

    # NOTE: a piece's figures fit an int (one rollup row), and sum(int) is a bigint where sum(bigint)
    # would be a numeric, several times slower to add up over a year of a product's weeks.
    # NOTE: each piece is looked up by key through its rollup's primary key, and carries its span's
    # number and sign; a week, day or hour taken away (the edge of a zone's week inside a UTC week)
    # counts negatively. In a zone whose midnight falls inside a UTC hour (Asia/Kolkata), that
    # hour's part is read from the review rows through the (tenant, posted_at) index.
    selects = []
    for table, rows, kind in (("hourly", parts.hours, "timestamptz"), ("daily", parts.days, "date"), ("weekly", parts.weeks, "date")):
        if rows:
            key = {"hourly": "hour", "daily": "day", "weekly": "week"}[table]
            selects.append(
                f"""SELECT g.idx, {columns}, (g.sign * t.reviews)::int AS reviews, (g.sign * t.rating_sum)::int AS rating_sum,
                           (g.sign * t.negative)::int AS negative
                    FROM unnest({unnested(rows, (kind, "int", "int"))}) AS g(at, idx, sign)
                    JOIN {prefix}{table} t ON t.{key} = g.at AND {where}"""
            )
    if parts.raw:
        ranges = unnested(parts.raw, ("timestamptz", "timestamptz", "int", "int"))
        selects.append(_raw_part(dimension, by_aspect=by_aspect, split_competitor=split_competitor, value_param=value_param, ranges=ranges))
    if not selects:
        return []
    grouped = ", ".join(f"x.{k}" for k in names)
    return await conn.fetch(
        f"""SELECT {period} AS period, {grouped}, sum(x.reviews)::bigint AS reviews,
                   sum(x.rating_sum)::bigint AS rating_sum, sum(x.negative)::bigint AS negative
            FROM ({" UNION ALL ".join(selects)}) x
            GROUP BY x.idx, {grouped} HAVING sum(x.reviews) > 0 ORDER BY x.idx, {grouped}""",
        *params,
    )


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _window_params(tenant_id: uuid.UUID, w: Window) -> list:
    return [tenant_id, w.starts_at, w.ends_at, w.grain, w.zone]


async def alerts_by_period(conn: asyncpg.Connection, tenant_id: uuid.UUID, w: Window, dimension: str) -> list[asyncpg.Record]:
    """Alerts fired per (period, value of `dimension`); only dimensions alerts carry."""
    assert dimension in ("marketplace", "platform", "product_id")
    params = _window_params(tenant_id, w)
    if w.grain != "hour":
        period = "date_trunc($4, fired_at AT TIME ZONE $5)"
    elif whole_hour_zone(w):
        period, params = "date_trunc('hour', fired_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'", params[:3]
    else:
        # NOTE: the UTC start of the local hour (a +5:30 zone's hours start at half past), as `periods` labels them.
        period, params = "date_trunc('hour', fired_at AT TIME ZONE $4) AT TIME ZONE $4", [*params[:3], w.zone]
    return await conn.fetch(
        f"""SELECT {period} AS period, {dimension} AS k0, count(*)::int AS alerts FROM alerts
            WHERE tenant_id = $1 AND fired_at >= $2 AND fired_at < $3 GROUP BY 1, 2""",
        *params,
    )


async def examples(conn: asyncpg.Connection, tenant_id: uuid.UUID, w: Window, dimension: str, value: str, limit: int):
    """The most negative counted own reviews of (dimension = value) posted in the window."""
    assert dimension in DIMENSIONS
    return await conn.fetch(
        f"""{_INBOX_SELECT} WHERE r.tenant_id = $1 AND r.posted_at >= $2 AND r.posted_at < $3 AND r.{dimension} = $4
                AND r.counted AND NOT r.competitor
            ORDER BY r.sentiment = 'negative' DESC, coalesce(r.negative_score, -1) DESC, r.rating, r.review_id LIMIT $5""",
        tenant_id, w.starts_at, w.ends_at, value, limit,
    )


async def top_products(conn: asyncpg.Connection, tenant_id: uuid.UUID, w: Window, dimension: str, value: str, limit: int):
    """Products of (dimension = value) in the window by negative reviews.

    NOTE: the one figure not in a rollup (it needs two dimensions at once); read from the rows of
    the drilled-down period only, through the (tenant, posted_at) index.
    """
    assert dimension in DIMENSIONS
    return await conn.fetch(
        f"""SELECT r.product_id AS k0, count(*) AS reviews, sum(r.rating)::bigint AS rating_sum,
                   count(*) FILTER (WHERE r.sentiment = 'negative') AS negative
            FROM inbox_reviews r WHERE r.tenant_id = $1 AND r.posted_at >= $2 AND r.posted_at < $3 AND r.{dimension} = $4
                AND r.counted AND NOT r.competitor
            GROUP BY 1 ORDER BY negative DESC, reviews DESC, 1 LIMIT $5""",
        tenant_id, w.starts_at, w.ends_at, value, limit,
    )


async def stored_translations(conn: asyncpg.Connection, review_ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch("SELECT * FROM inbox_translations WHERE review_id = ANY($1::uuid[])", review_ids)
    return {r["review_id"]: r for r in rows}


async def keep_translation(conn: asyncpg.Connection, *, tenant_id, review_id, version: int, text: str) -> None:
    await conn.execute(
        """INSERT INTO inbox_translations (review_id, tenant_id, review_version, text) VALUES ($1, $2, $3, $4)
           ON CONFLICT (review_id) DO UPDATE SET review_version = excluded.review_version, text = excluded.text
           WHERE inbox_translations.tenant_id = excluded.tenant_id
             AND inbox_translations.review_version <= excluded.review_version""",
        review_id, tenant_id, version, text,
    )


async def review_for_update(conn: asyncpg.Connection, tenant_id, review_id) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT title, body, version FROM inbox_reviews WHERE review_id = $1 AND tenant_id = $2 FOR UPDATE", review_id, tenant_id
    )


async def set_translation(conn: asyncpg.Connection, review_id, *, text: str, search_text: str, search_grams: list[str]) -> None:
    await conn.execute(
        "UPDATE inbox_reviews SET translation = $2, search_text = $3, search_grams = $4 WHERE review_id = $1",
        review_id, text, search_text, search_grams,
    )
