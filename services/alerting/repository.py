"""All SQL of the alerting service: alerts and their history, policies, review facts."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from reviewguard.alerting.v1 import alert_pb2
from services.alerting.trends import DayFigure

# Columns a scope kind groups review facts by.
SCOPE_COLUMNS = {"store": "store_id", "product": "product_id", "marketplace": "marketplace"}


def to_proto(row: asyncpg.Record) -> alert_pb2.Alert:
    alert = alert_pb2.Alert(
        id=str(row["id"]),
        tenant_id=str(row["tenant_id"]),
        rule=row["rule"],
        severity=row["severity"],
        status=row["status"],
        review_id=str(row["review_id"]) if row["review_id"] else "",
        platform=row["platform"],
        marketplace=row["marketplace"],
        product_id=row["product_id"],
        reasons=json.loads(row["reasons"]),
        labels=json.loads(row["labels"]),
        scope=row["scope"],
        summary=row["summary"],
        day=row["day"].isoformat() if row["day"] else "",
        case_id=str(row["case_id"]) if row["case_id"] else "",
        acknowledged_by=row["acknowledged_by"],
    )
    alert.fired_at.FromDatetime(row["fired_at"])
    if row["acknowledged_at"]:
        alert.acknowledged_at.FromDatetime(row["acknowledged_at"])
    if row["resolved_at"]:
        alert.resolved_at.FromDatetime(row["resolved_at"])
    return alert


async def insert_or_get(
    conn: asyncpg.Connection,
    *,
    tenant_id: uuid.UUID,
    dedup_key: str,
    rule: str,
    severity: int,
    review_id: uuid.UUID | None = None,
    platform: str = "",
    marketplace: str = "",
    product_id: str = "",
    reasons: list[str],
    labels: dict[str, str],
    scope: str = "",
    summary: str = "",
    day: date | None = None,
    fired_at: datetime | None = None,
) -> tuple[asyncpg.Record, bool]:
    """Stores an alert once per (tenant, dedup_key); returns the stored row and whether it is new."""
    row = await conn.fetchrow(
        """INSERT INTO alerts (tenant_id, dedup_key, rule, severity, review_id, platform, marketplace,
                               product_id, reasons, labels, scope, summary, day, fired_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12, $13, coalesce($14, now()))
           ON CONFLICT (tenant_id, dedup_key) DO NOTHING
           RETURNING *""",
        tenant_id,
        dedup_key,
        rule,
        severity,
        review_id,
        platform,
        marketplace,
        product_id,
        json.dumps(reasons, ensure_ascii=False),
        json.dumps(labels, ensure_ascii=False),
        scope,
        summary,
        day,
        fired_at,
    )
    if row is not None:
        await conn.execute("INSERT INTO alert_events (alert_id, action) VALUES ($1, 'fired')", row["id"])
        return row, True
    existing = await conn.fetchrow("SELECT * FROM alerts WHERE tenant_id = $1 AND dedup_key = $2", tenant_id, dedup_key)
    return existing, False


async def list_alerts(
    conn: asyncpg.Connection,
    tenant_id: uuid.UUID,
    *,
    review_id: uuid.UUID | None,
    rule: str | None = None,
    status: int | None = None,
    labels: dict[str, str] | None = None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM alerts
           WHERE tenant_id = $1
             AND ($2::uuid IS NULL OR review_id = $2)
             AND ($3::text IS NULL OR rule = $3)
             AND ($4::smallint IS NULL OR status = $4)
             AND ($5::jsonb IS NULL OR labels @> $5)
             AND ($6::timestamptz IS NULL OR (fired_at, id) < ($6, $7))
           ORDER BY fired_at DESC, id DESC
           LIMIT $8""",
        tenant_id,
        review_id,
        rule,
        status,
        json.dumps(labels) if labels else None,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def get(conn: asyncpg.Connection, tenant_id: uuid.UUID, alert_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM alerts WHERE tenant_id = $1 AND id = $2", tenant_id, alert_id)


async def set_status(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, alert_id: uuid.UUID, *, status: int, actor: str, at: datetime
) -> asyncpg.Record | None:
    """Acknowledges or resolves an alert and records who did it."""
    acknowledged = status == alert_pb2.ALERT_STATUS_ACKNOWLEDGED
    row = await conn.fetchrow(
        """UPDATE alerts SET status = $3,
               acknowledged_at = CASE WHEN $4 THEN coalesce(acknowledged_at, $5) ELSE acknowledged_at END,
               acknowledged_by = CASE WHEN $4 AND acknowledged_by = '' THEN $6 ELSE acknowledged_by END,
               resolved_at = CASE WHEN $4 THEN resolved_at ELSE $5 END
           WHERE tenant_id = $1 AND id = $2
           RETURNING *""",
        tenant_id,
        alert_id,
        status,
        acknowledged,
        at,
        actor,
    )
    if row is not None:
        await conn.execute(
            "INSERT INTO alert_events (alert_id, at, action, actor) VALUES ($1, $2, $3, $4)",
            alert_id,
            at,
            "acknowledged" if acknowledged else "resolved",
            actor,
        )
    return row


async def link_case(conn: asyncpg.Connection, tenant_id: uuid.UUID, alert_id: uuid.UUID, case_id: uuid.UUID) -> None:
    await conn.execute("UPDATE alerts SET case_id = $3 WHERE tenant_id = $1 AND id = $2", tenant_id, alert_id, case_id)


async def get_policy(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> tuple[dict, int] | None:
    row = await conn.fetchrow("SELECT policy, version FROM policies WHERE tenant_id = $1", tenant_id)
    return (json.loads(row["policy"]), row["version"]) if row else None


async def put_policy(conn: asyncpg.Connection, tenant_id: uuid.UUID, policy: dict) -> int:
    return await conn.fetchval(
        """INSERT INTO policies (tenant_id, policy) VALUES ($1, $2::jsonb)
           ON CONFLICT (tenant_id) DO UPDATE SET policy = EXCLUDED.policy, version = policies.version + 1,
               updated_at = now()
           RETURNING version""",
        tenant_id,
        json.dumps(policy),
    )


async def upsert_facts(conn: asyncpg.Connection, facts: Sequence[dict]) -> None:
    """Stores each review's latest version as a fact; an older version never replaces a newer one."""
    await conn.executemany(
        """INSERT INTO review_facts (review_id, tenant_id, version, platform, marketplace, store_id, product_id,
                                     rating, aspects, posted_at, local_day, competitor)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (review_id) DO UPDATE SET version = EXCLUDED.version, rating = EXCLUDED.rating,
               aspects = EXCLUDED.aspects, posted_at = EXCLUDED.posted_at, local_day = EXCLUDED.local_day,
               marketplace = EXCLUDED.marketplace, store_id = EXCLUDED.store_id, product_id = EXCLUDED.product_id
           WHERE review_facts.version < EXCLUDED.version""",
        [
            (
                f["review_id"], f["tenant_id"], f["version"], f["platform"], f["marketplace"], f["store_id"],
                f["product_id"], f["rating"], f["aspects"], f["posted_at"], f["local_day"], f["competitor"],
            )
            for f in facts
        ],
    )


async def daily_figures(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, kind: str, value: str, first: date, last: date, negative_max: int
) -> dict[date, DayFigure]:
    column = SCOPE_COLUMNS[kind]
    rows = await conn.fetch(
        f"""SELECT local_day, count(*) AS reviews, sum(rating) AS rating_sum,
                   count(*) FILTER (WHERE rating <= $5) AS negatives
            FROM review_facts
            WHERE tenant_id = $1 AND {column} = $2 AND local_day BETWEEN $3 AND $4 AND NOT competitor
            GROUP BY local_day""",
        tenant_id,
        value,
        first,
        last,
        negative_max,
    )
    return {r["local_day"]: DayFigure(r["reviews"], r["rating_sum"], r["negatives"]) for r in rows}


async def aspect_counts(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, marketplace: str, first: date, last: date
) -> dict[str, dict[date, int]]:
    rows = await conn.fetch(
        """SELECT aspect, local_day, count(*) AS n
           FROM review_facts, unnest(aspects) AS aspect
           WHERE tenant_id = $1 AND marketplace = $2 AND local_day BETWEEN $3 AND $4 AND NOT competitor
           GROUP BY aspect, local_day""",
        tenant_id,
        marketplace,
        first,
        last,
    )
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for r in rows:
        counts[r["aspect"]][r["local_day"]] = r["n"]
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
    """The (day, marketplace, store, product) combinations with reviews since `since`."""
    return await conn.fetch(
        """SELECT DISTINCT local_day, marketplace, store_id, product_id FROM review_facts
           WHERE tenant_id = $1 AND local_day >= $2 AND NOT competitor""",
        tenant_id,
        since,
    )


async def active_tenants(conn: asyncpg.Connection, *, since: date) -> list[uuid.UUID]:
    rows = await conn.fetch("SELECT DISTINCT tenant_id FROM review_facts WHERE local_day >= $1", since)
    return [r["tenant_id"] for r in rows]
