"""SQL of what evaluation reads and writes: review facts, daily figures and clusters, incidents."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from services.alerting.trends import DayFigure


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


async def cluster_negatives(conn: asyncpg.Connection, keys: Sequence[tuple[uuid.UUID, str, int]]) -> list[asyncpg.Record]:
    """The negative (rated at most the key's threshold), non-competitor reviews of many (tenant,
    near-duplicate cluster) pairs in one query, oldest first."""
    if not keys:
        return []
    tenants, clusters, negative_max = (list(c) for c in zip(*keys))
    return await conn.fetch(
        """SELECT f.tenant_id, f.review_id, f.duplicate_cluster_id, f.product_id, f.platform, f.marketplace, f.posted_at,
                  f.malicious
           FROM unnest($1::uuid[], $2::text[], $3::int[]) AS k(tenant_id, cluster, negative_max)
           JOIN review_facts f ON f.tenant_id = k.tenant_id AND f.duplicate_cluster_id = k.cluster
                AND f.rating <= k.negative_max AND NOT f.competitor
           ORDER BY f.posted_at, f.review_id""",
        tenants, clusters, negative_max,
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
    conn: asyncpg.Connection, *, kind: str, keys: Sequence[tuple[uuid.UUID, str, date, date, int]],
) -> dict[tuple[uuid.UUID, str], dict[date, DayFigure]]:
    """Daily figures of many (tenant, scope value) pairs, each between its own first and last day and
    with its tenant's negative threshold, in one query over the day counts (not the facts)."""
    if not keys:
        return {}
    tenants, values, firsts, lasts, negative_max = (list(c) for c in zip(*keys))
    rows = await conn.fetch(
        # NOTE: LATERAL, so each key is an index range scan of its own (a join of the unnest would be
        # planned as a scan of every tenant's counts).
        """SELECT k.tenant_id, k.value, c.local_day, c.reviews, c.rating_sum, c.rating_sq_sum, c.negatives
           FROM unnest($1::uuid[], $2::text[], $3::date[], $4::date[], $5::int[]) AS k(tenant_id, value, first, last, negative_max),
                LATERAL (SELECT n.local_day, sum(n.reviews) AS reviews, sum(n.rating * n.reviews) AS rating_sum,
                                sum(n.rating * n.rating * n.reviews) AS rating_sq_sum,
                                coalesce(sum(n.reviews) FILTER (WHERE n.rating <= k.negative_max), 0) AS negatives
                         FROM review_day_counts n
                         WHERE n.tenant_id = k.tenant_id AND n.kind = $6 AND n.value = k.value
                           AND n.local_day BETWEEN k.first AND k.last
                         GROUP BY n.local_day
                         HAVING sum(n.reviews) > 0) AS c""",
        tenants, values, firsts, lasts, negative_max, kind,
    )
    figures: dict[tuple[uuid.UUID, str], dict[date, DayFigure]] = defaultdict(dict)
    for r in rows:
        figures[(r["tenant_id"], r["value"])][r["local_day"]] = DayFigure(
            r["reviews"], r["rating_sum"], r["negatives"], r["rating_sq_sum"]
        )
    return figures


def score_bucket(threshold: float) -> int | None:
    """The aspect counts' score bucket (hundredths) that a negative-score threshold starts, or None
    when the threshold lies inside a bucket (then only the facts can answer exactly)."""
    scaled = round(threshold * 100)
    return scaled if abs(threshold * 100 - scaled) < 1e-9 else None


async def aspect_counts(
    conn: asyncpg.Connection, *, keys: Sequence[tuple[uuid.UUID, str, date, date, int, int, float]],
) -> dict[tuple[uuid.UUID, str], dict[str, dict[date, int]]]:
    """(tenant, marketplace) → aspect → day → negative reviews mentioning it (see SpikeRules: praise
    is no complaint), for many pairs in one query; each key: tenant, marketplace, first, last,
    negative_max, scored_max, negative_score. Read from the aspect counts (a threshold in whole
    hundredths, as every default is) or else from the facts."""
    counts: dict[tuple[uuid.UUID, str], dict[str, dict[date, int]]] = defaultdict(lambda: defaultdict(dict))
    bucketed = [k[:6] + (score_bucket(k[6]),) for k in keys if score_bucket(k[6]) is not None]
    exact = [k for k in keys if score_bucket(k[6]) is None]
    if bucketed:
        rows = await conn.fetch(
            """SELECT k.tenant_id, k.marketplace, c.aspect, c.local_day, c.n
               FROM unnest($1::uuid[], $2::text[], $3::date[], $4::date[], $5::int[], $6::int[], $7::int[])
                    AS k(tenant_id, marketplace, first, last, negative_max, scored_max, bucket),
                    LATERAL (SELECT a.aspect, a.local_day, sum(a.reviews) AS n
                             FROM review_aspect_counts a
                             WHERE a.tenant_id = k.tenant_id AND a.marketplace = k.marketplace
                               AND a.local_day BETWEEN k.first AND k.last
                               AND (a.rating <= k.negative_max OR (a.rating <= k.scored_max AND a.score_bucket >= k.bucket))
                             GROUP BY a.aspect, a.local_day
                             HAVING sum(a.reviews) > 0) AS c""",
            *[list(c) for c in zip(*bucketed)],
        )
        for r in rows:
            counts[(r["tenant_id"], r["marketplace"])][r["aspect"]][r["local_day"]] = r["n"]
    if exact:
        rows = await conn.fetch(
            """SELECT k.tenant_id, k.marketplace, aspect, f.local_day, count(*) AS n
               FROM unnest($1::uuid[], $2::text[], $3::date[], $4::date[], $5::int[], $6::int[], $7::real[])
                    AS k(tenant_id, marketplace, first, last, negative_max, scored_max, negative_score)
               JOIN review_facts f ON f.tenant_id = k.tenant_id AND f.marketplace = k.marketplace
                    AND f.local_day BETWEEN k.first AND k.last AND NOT f.competitor
                    AND (f.rating <= k.negative_max OR (f.rating <= k.scored_max AND f.negative_score >= k.negative_score)),
                    unnest(f.aspects) AS aspect
               GROUP BY k.tenant_id, k.marketplace, aspect, f.local_day""",
            *[list(c) for c in zip(*exact)],
        )
        for r in rows:
            counts[(r["tenant_id"], r["marketplace"])][r["aspect"]][r["local_day"]] = r["n"]
    return counts


async def busiest_products(
    conn: asyncpg.Connection, keys: Sequence[tuple[uuid.UUID, date, int]]
) -> dict[uuid.UUID, list[str]]:
    """Each tenant's `limit` products with most reviews since its day, for many tenants in one query."""
    if not keys:
        return {}
    tenants, since, limits = (list(c) for c in zip(*keys))
    rows = await conn.fetch(
        """SELECT k.tenant_id, c.value
           FROM unnest($1::uuid[], $2::date[], $3::int[]) AS k(tenant_id, since, lim),
                LATERAL (SELECT n.value FROM review_day_counts n
                         WHERE n.tenant_id = k.tenant_id AND n.kind = 'product' AND n.local_day >= k.since
                         GROUP BY n.value HAVING sum(n.reviews) > 0
                         ORDER BY sum(n.reviews) DESC, n.value LIMIT k.lim) AS c""",
        tenants, since, limits,
    )
    found: dict[uuid.UUID, list[str]] = {t: [] for t in tenants}
    for r in rows:
        found[r["tenant_id"]].append(r["value"])
    return found


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
