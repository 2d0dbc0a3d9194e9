"""SQL of what evaluation reads and writes: review facts, daily figures and clusters, incidents."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from services.alerting.trends import DayFigure


SCOPE_COLUMNS = {"store": "store_id", "product": "product_id", "marketplace": "marketplace"}


async def latest_incidents(conn: asyncpg.Connection, tenant_id: uuid.UUID, keys: Sequence[str]) -> dict[str, asyncpg.Record]:
    """The most recent alert of each incident key (whatever its status)."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (incident_key) * FROM alerts
           WHERE tenant_id = $1 AND incident_key = ANY($2::text[])
           ORDER BY incident_key, day DESC NULLS LAST, fired_at DESC""",
        tenant_id,
        list(keys),
    )
    return {r["incident_key"]: r for r in rows}


async def update_alert(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, alert_id: uuid.UUID, *, severity: int, reasons: list[str],
    labels: dict[str, str], summary: str, day: date | None, at: datetime, action: str,
) -> asyncpg.Record:
    """Brings an incident's alert up to date (level, figures, latest day) and records the change."""
    return await conn.fetchrow(
        """WITH changed AS (
               UPDATE alerts SET severity = $3, reasons = $4::jsonb, labels = $5::jsonb, summary = $6,
                   day = coalesce($7, day), updated_at = $8
               WHERE tenant_id = $1 AND id = $2
               RETURNING *),
           logged AS (INSERT INTO alert_events (alert_id, at, action) SELECT id, $8, $9 FROM changed)
           SELECT * FROM changed""",
        tenant_id, alert_id, severity, json.dumps(reasons, ensure_ascii=False), json.dumps(labels, ensure_ascii=False),
        summary, day, at, action,
    )


FACT_FIELDS = (
    "review_id", "tenant_id", "version", "platform", "marketplace", "store_id", "product_id", "rating", "aspects",
    "posted_at", "local_day", "competitor", "negative_score", "duplicate_cluster_id", "malicious", "history",
    "backlog_severity", "backlog_summary", "backlog_reasons", "backlog_labels",
)


async def upsert_facts(conn: asyncpg.Connection, facts: Sequence[dict]) -> None:
    """Stores each review's latest version as a fact, in one statement for the batch; an older
    version never replaces a newer one."""
    latest: dict[uuid.UUID, dict] = {}
    for f in facts:
        if f["review_id"] not in latest or latest[f["review_id"]]["version"] < f["version"]:
            latest[f["review_id"]] = f
    if not latest:
        return
    rows = list(latest.values())
    columns = [[f.get(name) for f in rows] for name in FACT_FIELDS]
    # NOTE: text[] columns cannot travel inside unnest's arrays; aspects go as JSON arrays.
    columns[8] = [json.dumps(list(f["aspects"])) for f in rows]
    columns[18] = [json.dumps(f.get("backlog_reasons") or []) for f in rows]
    columns[19] = [json.dumps(f.get("backlog_labels") or {}) for f in rows]
    columns[13] = [f.get("duplicate_cluster_id") or "" for f in rows]
    columns[14] = [bool(f.get("malicious")) for f in rows]
    columns[15] = [bool(f.get("history")) for f in rows]
    columns[17] = [f.get("backlog_summary") or "" for f in rows]
    await conn.execute(
        """INSERT INTO review_facts (review_id, tenant_id, version, platform, marketplace, store_id, product_id,
                                     rating, aspects, posted_at, local_day, competitor, negative_score,
                                     duplicate_cluster_id, malicious, history, backlog_severity, backlog_summary,
                                     backlog_reasons, backlog_labels)
           SELECT review_id, tenant_id, version, platform, marketplace, store_id, product_id, rating,
                  ARRAY(SELECT jsonb_array_elements_text(aspects::jsonb)), posted_at, local_day, competitor,
                  negative_score, duplicate_cluster_id, malicious, history, backlog_severity, backlog_summary,
                  backlog_reasons::jsonb, backlog_labels::jsonb
           FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::smallint[], $9::text[], $10::timestamptz[], $11::date[], $12::bool[], $13::real[],
                       $14::text[], $15::bool[], $16::bool[], $17::smallint[], $18::text[], $19::text[], $20::text[])
               AS t(review_id, tenant_id, version, platform, marketplace, store_id, product_id, rating, aspects,
                    posted_at, local_day, competitor, negative_score, duplicate_cluster_id, malicious, history,
                    backlog_severity, backlog_summary, backlog_reasons, backlog_labels)
           ON CONFLICT (review_id) DO UPDATE SET version = EXCLUDED.version, rating = EXCLUDED.rating,
               aspects = EXCLUDED.aspects, posted_at = EXCLUDED.posted_at, local_day = EXCLUDED.local_day,
               marketplace = EXCLUDED.marketplace, store_id = EXCLUDED.store_id, product_id = EXCLUDED.product_id,
               negative_score = EXCLUDED.negative_score, duplicate_cluster_id = EXCLUDED.duplicate_cluster_id,
               malicious = EXCLUDED.malicious, history = review_facts.history AND EXCLUDED.history,
               backlog_severity = EXCLUDED.backlog_severity, backlog_summary = EXCLUDED.backlog_summary,
               backlog_reasons = EXCLUDED.backlog_reasons, backlog_labels = EXCLUDED.backlog_labels
           WHERE review_facts.version < EXCLUDED.version""",
        *columns,
    )


async def cluster_negatives(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, cluster_ids: Sequence[str], *, negative_max: int
) -> list[asyncpg.Record]:
    """The negative, non-competitor reviews of the given near-duplicate clusters, oldest first."""
    return await conn.fetch(
        """SELECT review_id, duplicate_cluster_id, product_id, platform, marketplace, posted_at, malicious
           FROM review_facts
           WHERE tenant_id = $1 AND duplicate_cluster_id = ANY($2::text[]) AND rating <= $3 AND NOT competitor
           ORDER BY posted_at, review_id""",
        tenant_id,
        list(cluster_ids),
        negative_max,
    )


async def history_coverage(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, first: date, last: date
) -> list[asyncpg.Record]:
    """Per scope (kind, value): days with reviews and reviews between two days, for the policy's status."""
    return await conn.fetch(
        """SELECT kind, value, count(DISTINCT local_day) AS days, count(*) AS reviews
           FROM review_facts,
                LATERAL (VALUES ('marketplace', marketplace), ('store', store_id), ('product', product_id)) AS s(kind, value)
           WHERE tenant_id = $1 AND local_day BETWEEN $2 AND $3 AND NOT competitor
           GROUP BY kind, value""",
        tenant_id,
        first,
        last,
    )


async def daily_figures(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, kind: str, values: Sequence[str], first: date, last: date,
    negative_max: int,
) -> dict[str, dict[date, DayFigure]]:
    """Each scope value's daily figures between two days, in one query for all values."""
    column = SCOPE_COLUMNS[kind]
    rows = await conn.fetch(
        f"""SELECT {column} AS value, local_day, count(*) AS reviews, sum(rating) AS rating_sum,
                   sum(rating * rating) AS rating_sq_sum, count(*) FILTER (WHERE rating <= $5) AS negatives
            FROM review_facts
            WHERE tenant_id = $1 AND {column} = ANY($2::text[]) AND local_day BETWEEN $3 AND $4 AND NOT competitor
            GROUP BY {column}, local_day""",
        tenant_id,
        list(values),
        first,
        last,
        negative_max,
    )
    figures: dict[str, dict[date, DayFigure]] = defaultdict(dict)
    for r in rows:
        figures[r["value"]][r["local_day"]] = DayFigure(r["reviews"], r["rating_sum"], r["negatives"], r["rating_sq_sum"])
    return figures


async def aspect_counts(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, marketplaces: Sequence[str], first: date, last: date,
    negative_max: int, scored_max: int, negative_score: float,
) -> dict[str, dict[str, dict[date, int]]]:
    """marketplace → aspect → day → negative reviews mentioning it (see SpikeRules: praise is no complaint)."""
    rows = await conn.fetch(
        """SELECT marketplace, aspect, local_day, count(*) AS n
           FROM review_facts, unnest(aspects) AS aspect
           WHERE tenant_id = $1 AND marketplace = ANY($2::text[]) AND local_day BETWEEN $3 AND $4 AND NOT competitor
             AND (rating <= $5 OR (rating <= $6 AND negative_score >= $7))
           GROUP BY marketplace, aspect, local_day""",
        tenant_id,
        list(marketplaces),
        first,
        last,
        negative_max,
        scored_max,
        negative_score,
    )
    counts: dict[str, dict[str, dict[date, int]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        counts[r["marketplace"]][r["aspect"]][r["local_day"]] = r["n"]
    return counts


async def busiest_products(conn: asyncpg.Connection, tenant_id: uuid.UUID, *, since: date, limit: int) -> list[str]:
    rows = await conn.fetch(
        """SELECT product_id FROM review_facts
           WHERE tenant_id = $1 AND local_day >= $2 AND NOT competitor
           GROUP BY product_id ORDER BY count(*) DESC, product_id LIMIT $3""",
        tenant_id,
        since,
        limit,
    )
    return [r["product_id"] for r in rows]


async def active_scopes(conn: asyncpg.Connection, tenant_id: uuid.UUID, *, since: date) -> list[asyncpg.Record]:
    """The (day, marketplace, store, product) combinations with live reviews since `since` (history
    feeds the figures but never makes a day worth judging)."""
    return await conn.fetch(
        """SELECT DISTINCT local_day, marketplace, store_id, product_id FROM review_facts
           WHERE tenant_id = $1 AND local_day >= $2 AND NOT competitor AND NOT history""",
        tenant_id,
        since,
    )


async def active_tenants(conn: asyncpg.Connection, *, since: date) -> list[uuid.UUID]:
    rows = await conn.fetch("SELECT DISTINCT tenant_id FROM review_facts WHERE local_day >= $1", since)
    return [r["tenant_id"] for r in rows]
