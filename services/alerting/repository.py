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
# NOTE: the outbox itself (add, claim, relay) is libs/outbox.py; this is alerting's NOTIFY channel.
OUTBOX_CHANNEL = "alerting_outbox"

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
    incident_key: str | None = None,
) -> tuple[asyncpg.Record, bool]:
    """Stores an alert once per (tenant, dedup_key); returns the stored row and whether it is new."""
    # NOTE: the alert and its "fired" history entry are written in one round trip.
    row = await conn.fetchrow(
        """WITH fired AS (
               INSERT INTO alerts (tenant_id, dedup_key, rule, severity, review_id, platform, marketplace,
                                   product_id, reasons, labels, scope, summary, day, fired_at, incident_key)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12, $13, coalesce($14, now()), $15)
               ON CONFLICT (tenant_id, dedup_key) DO NOTHING
               RETURNING *),
           logged AS (INSERT INTO alert_events (alert_id, at, action) SELECT id, fired_at, 'fired' FROM fired)
           SELECT * FROM fired""",
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
        incident_key,
    )
    if row is not None:
        return row, True
    existing = await conn.fetchrow("SELECT * FROM alerts WHERE tenant_id = $1 AND dedup_key = $2", tenant_id, dedup_key)
    return existing, False


ALERT_FIELDS = (
    "tenant_id", "dedup_key", "rule", "severity", "review_id", "platform", "marketplace", "product_id", "reasons",
    "labels", "scope", "summary", "day", "fired_at", "incident_key",
)


async def insert_or_get_many(conn: asyncpg.Connection, alerts: Sequence[dict]) -> list[tuple[asyncpg.Record, bool]]:
    """`insert_or_get` for many alerts in one round trip: each stored once per (tenant, dedup_key);
    returns, in input order, each stored row and whether this call created it."""
    if not alerts:
        return []
    columns = [[a.get(f) for a in alerts] for f in ALERT_FIELDS]
    columns[8] = [json.dumps(a["reasons"], ensure_ascii=False) for a in alerts]
    columns[9] = [json.dumps(a["labels"], ensure_ascii=False) for a in alerts]
    # NOTE: the statement's snapshot shows rows committed before it and `fired` shows the ones it
    # wrote; a row another transaction commits meanwhile is in neither, and is read after.
    rows = await conn.fetch(
        """WITH input AS (
               SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::smallint[], $5::uuid[], $6::text[],
                                    $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                                    $13::date[], $14::timestamptz[], $15::text[])
                   AS t(tenant_id, dedup_key, rule, severity, review_id, platform, marketplace, product_id, reasons,
                        labels, scope, summary, day, fired_at, incident_key)),
           fired AS (
               INSERT INTO alerts (tenant_id, dedup_key, rule, severity, review_id, platform, marketplace, product_id,
                                   reasons, labels, scope, summary, day, fired_at, incident_key)
               SELECT tenant_id, dedup_key, rule, severity, review_id, platform, marketplace, product_id,
                      reasons::jsonb, labels::jsonb, scope, summary, day, coalesce(fired_at, now()), incident_key
               FROM input
               ON CONFLICT (tenant_id, dedup_key) DO NOTHING
               RETURNING *),
           logged AS (INSERT INTO alert_events (alert_id, at, action) SELECT id, fired_at, 'fired' FROM fired)
           SELECT true AS new, * FROM fired
           UNION ALL
           SELECT false AS new, a.* FROM alerts a JOIN (SELECT DISTINCT tenant_id, dedup_key FROM input) i
               USING (tenant_id, dedup_key)""",
        *columns,
    )
    found: dict[tuple[uuid.UUID, str], tuple[asyncpg.Record, bool]] = {}
    for r in rows:
        key = (r["tenant_id"], r["dedup_key"])
        if r["new"] or key not in found:
            found[key] = (r, r["new"])
    missing = {(a["tenant_id"], a["dedup_key"]) for a in alerts} - found.keys()
    if missing:
        late = await conn.fetch(
            """SELECT false AS new, a.* FROM alerts a
               JOIN unnest($1::uuid[], $2::text[]) AS m(tenant_id, dedup_key) USING (tenant_id, dedup_key)""",
            [k[0] for k in missing], [k[1] for k in missing],
        )
        found.update({(r["tenant_id"], r["dedup_key"]): (r, False) for r in late})
    # NOTE: an alert twice in the input is new for its first occurrence only.
    result, seen = [], set()
    for a in alerts:
        key = (a["tenant_id"], a["dedup_key"])
        row, new = found[key]
        result.append((row, new and key not in seen))
        seen.add(key)
    return result


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


async def history_backlog(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    """History reviews that would have alerted had they been news, newest first: the backlog."""
    return await conn.fetch(
        """SELECT * FROM review_facts
           WHERE tenant_id = $1 AND history AND backlog_severity IS NOT NULL AND backlog_promoted_at IS NULL
             AND ($2::timestamptz IS NULL OR (posted_at, review_id) < ($2, $3))
           ORDER BY posted_at DESC, review_id DESC
           LIMIT $4""",
        tenant_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def backlog_items(conn: asyncpg.Connection, tenant_id: uuid.UUID, review_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    """The backlog rows of these reviews (promoted ones too), locked until the transaction ends."""
    rows = await conn.fetch(
        """SELECT * FROM review_facts
           WHERE tenant_id = $1 AND review_id = ANY($2::uuid[]) AND history AND backlog_severity IS NOT NULL
           FOR UPDATE""",
        tenant_id, list(review_ids),
    )  # fmt: skip
    return {r["review_id"]: r for r in rows}


async def mark_promoted(conn: asyncpg.Connection, tenant_id: uuid.UUID, review_ids: Sequence[uuid.UUID], at: datetime) -> None:
    await conn.execute(
        "UPDATE review_facts SET backlog_promoted_at = $3 WHERE tenant_id = $1 AND review_id = ANY($2::uuid[]) AND backlog_promoted_at IS NULL",
        tenant_id, list(review_ids), at,
    )  # fmt: skip


async def log_actor(conn: asyncpg.Connection, alert_ids: Sequence[uuid.UUID], at: datetime, action: str, actor: str) -> None:
    """Records who caused these alerts (e.g. promoted them from the backlog) in their history."""
    await conn.executemany(
        "INSERT INTO alert_events (alert_id, at, action, actor) VALUES ($1, $2, $3, $4)", [(a, at, action, actor) for a in alert_ids]
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


async def get_policies(conn: asyncpg.Connection, tenant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict]:
    """The stored policies of several tenants in one query (tenants without one are absent)."""
    rows = await conn.fetch("SELECT tenant_id, policy FROM policies WHERE tenant_id = ANY($1::uuid[])", list(tenant_ids))
    return {r["tenant_id"]: json.loads(r["policy"]) for r in rows}


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


# --- receivers, silences, notification pipeline ----------------------------------------------


async def put_receiver(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, name: str, *, kind: str, sealed: bytes, quiet_hours: dict | None
) -> None:
    await conn.execute(
        """INSERT INTO receivers (tenant_id, name, kind, config, quiet_hours) VALUES ($1, $2, $3, $4, $5::jsonb)
           ON CONFLICT (tenant_id, name) DO UPDATE SET kind = EXCLUDED.kind, config = EXCLUDED.config,
               quiet_hours = EXCLUDED.quiet_hours, updated_at = now()""",
        tenant_id,
        name,
        kind,
        sealed,
        json.dumps(quiet_hours) if quiet_hours else None,
    )


async def get_receiver(conn: asyncpg.Connection, tenant_id: uuid.UUID, name: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM receivers WHERE tenant_id = $1 AND name = $2", tenant_id, name)


async def list_receivers(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM receivers WHERE tenant_id = $1 ORDER BY name", tenant_id)


async def delete_receiver(conn: asyncpg.Connection, tenant_id: uuid.UUID, name: str) -> bool:
    return await conn.fetchval("DELETE FROM receivers WHERE tenant_id = $1 AND name = $2 RETURNING true", tenant_id, name) or False


async def create_silence(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, matchers: list[str], starts_at: datetime, ends_at: datetime,
    weekly: dict | None, comment: str, created_by: str,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO silences (tenant_id, matchers, starts_at, ends_at, weekly, comment, created_by)
           VALUES ($1, $2::jsonb, $3, $4, $5::jsonb, $6, $7) RETURNING *""",
        tenant_id, json.dumps(matchers), starts_at, ends_at, json.dumps(weekly) if weekly else None, comment, created_by,
    )


async def silences_in_force(conn: asyncpg.Connection, tenant_id: uuid.UUID, at: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM silences WHERE tenant_id = $1 AND starts_at <= $2 AND ends_at > $2", tenant_id, at
    )


async def list_silences(conn: asyncpg.Connection, tenant_id: uuid.UUID, at: datetime) -> list[asyncpg.Record]:
    """Silences not expired yet (in force or scheduled)."""
    return await conn.fetch("SELECT * FROM silences WHERE tenant_id = $1 AND ends_at > $2 ORDER BY starts_at", tenant_id, at)


async def expire_silence(conn: asyncpg.Connection, tenant_id: uuid.UUID, silence_id: uuid.UUID, at: datetime) -> bool:
    return await conn.fetchval(
        "UPDATE silences SET ends_at = least(ends_at, $3) WHERE tenant_id = $1 AND id = $2 RETURNING true",
        tenant_id, silence_id, at,
    ) or False


async def add_to_groups(conn: asyncpg.Connection, entries: Sequence[dict], now: datetime) -> None:
    """Puts alerts into their notification groups in one round trip, making each group due after its
    wait (new group) or its interval (group already notified).

    Each entry: tenant_id, alert_id, route_path, receiver, group_key, group_wait, group_interval,
    repeat_interval, escalate_to, escalate_after, mute_time_intervals, active_time_intervals."""
    if not entries:
        return
    # NOTE: one row per group (ON CONFLICT DO UPDATE may touch a row only once per statement);
    # the members join back to the groups by their key.
    groups: dict[tuple, dict] = {}
    for e in entries:
        groups.setdefault((e["tenant_id"], e["route_path"], e["receiver"], e["group_key"]), e)
    g = list(groups.values())
    await conn.execute(
        """WITH settings AS (
               SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[],
                                    $7::float8[], $8::text[], $9::float8[], $10::text[], $11::text[])
                   AS s(tenant_id, route_path, receiver, group_key, group_wait, group_interval, repeat_interval,
                        escalate_to, escalate_after, mute_time_intervals, active_time_intervals)
           ), upserted AS (
               INSERT INTO notification_groups (tenant_id, route_path, receiver, group_key, group_wait, group_interval,
                                                repeat_interval, escalate_to, escalate_after, mute_time_intervals,
                                                active_time_intervals, next_flush_at)
               SELECT tenant_id, route_path, receiver, group_key, group_wait, group_interval, repeat_interval,
                      escalate_to::text[], escalate_after, mute_time_intervals::text[], active_time_intervals::text[],
                      $15::timestamptz + make_interval(secs => group_wait)
               FROM settings
               ON CONFLICT (tenant_id, route_path, receiver, group_key) DO UPDATE SET
                   group_wait = EXCLUDED.group_wait, group_interval = EXCLUDED.group_interval,
                   repeat_interval = EXCLUDED.repeat_interval, escalate_to = EXCLUDED.escalate_to,
                   escalate_after = EXCLUDED.escalate_after, mute_time_intervals = EXCLUDED.mute_time_intervals,
                   active_time_intervals = EXCLUDED.active_time_intervals,
                   next_flush_at = least(
                       coalesce(notification_groups.next_flush_at, 'infinity'),
                       CASE WHEN notification_groups.last_flushed_at IS NULL THEN EXCLUDED.next_flush_at
                            ELSE greatest($15::timestamptz,
                                          notification_groups.last_flushed_at + make_interval(secs => EXCLUDED.group_interval))
                       END)
               RETURNING id, tenant_id, route_path, receiver, group_key
           )
           INSERT INTO group_alerts (group_id, alert_id, added_at)
           SELECT u.id, m.alert_id, $15 FROM unnest($12::uuid[], $13::text[], $14::text[]) AS m(alert_id, route_path, member_key)
           JOIN upserted u ON u.route_path || chr(31) || u.receiver || chr(31) || u.group_key || chr(31) || u.tenant_id::text = m.member_key
           ON CONFLICT DO NOTHING""",
        [e["tenant_id"] for e in g], [e["route_path"] for e in g], [e["receiver"] for e in g],
        [e["group_key"] for e in g], [e["group_wait"] for e in g], [e["group_interval"] for e in g],
        [e["repeat_interval"] for e in g],
        # NOTE: arrays of arrays travel as their text form; unnest cannot take ragged arrays.
        [_text_array(e["escalate_to"]) for e in g], [e["escalate_after"] for e in g],
        [_text_array(e["mute_time_intervals"]) for e in g], [_text_array(e["active_time_intervals"]) for e in g],
        [e["alert_id"] for e in entries], [e["route_path"] for e in entries],
        ["\x1f".join((e["route_path"], e["receiver"], e["group_key"], str(e["tenant_id"]))) for e in entries],
        now,
    )


def _text_array(values: Sequence[str]) -> str:
    """PostgreSQL's text form of a text[] (every element quoted)."""
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


async def add_to_group(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, alert_id: uuid.UUID, *, route_path: str, receiver: str,
    group_key: str, group_wait: float, group_interval: float, repeat_interval: float, escalate_to: list[str],
    escalate_after: float, now: datetime, mute_time_intervals: Sequence[str] = (), active_time_intervals: Sequence[str] = (),
) -> None:
    """Puts one alert into its notification group (see add_to_groups)."""
    await add_to_groups(conn, [{
        "tenant_id": tenant_id, "alert_id": alert_id, "route_path": route_path, "receiver": receiver,
        "group_key": group_key, "group_wait": group_wait, "group_interval": group_interval,
        "repeat_interval": repeat_interval, "escalate_to": list(escalate_to), "escalate_after": escalate_after,
        "mute_time_intervals": list(mute_time_intervals), "active_time_intervals": list(active_time_intervals),
    }], now)


async def lock_routing(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> None:
    """Serialises a tenant's policy and receiver changes (inside a transaction) so a policy never
    names a receiver deleted at the same moment."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('alerting-routing:' || $1::text, 0))", str(tenant_id))


async def existing_receivers(conn: asyncpg.Connection, tenant_id: uuid.UUID, names: Sequence[str]) -> set[str]:
    rows = await conn.fetch("SELECT name FROM receivers WHERE tenant_id = $1 AND name = ANY($2::text[])", tenant_id, list(names))
    return {r["name"] for r in rows}


async def mark_undeliverable(conn: asyncpg.Connection, alert_ids: Sequence[uuid.UUID], reasons: Sequence[str]) -> None:
    """Labels alerts no receiver will hear of (`undeliverable=<reason>`), so /v1/alerts shows it."""
    await conn.execute(
        """UPDATE alerts a SET labels = a.labels || jsonb_build_object('undeliverable', m.reason)
           FROM unnest($1::uuid[], $2::text[]) AS m(id, reason) WHERE a.id = m.id""",
        list(alert_ids), list(reasons),
    )


async def claim_due_groups(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM notification_groups WHERE next_flush_at <= $1
           ORDER BY next_flush_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        now, limit,
    )


async def group_members(conn: asyncpg.Connection, group_id: uuid.UUID) -> list[asyncpg.Record]:
    """The group's alerts not resolved, and those resolved since they were notified (whose receivers
    may want to hear so), with whether each was notified."""
    return await conn.fetch(
        """SELECT a.*, ga.notified_at FROM group_alerts ga JOIN alerts a ON a.id = ga.alert_id
           WHERE ga.group_id = $1
             AND (a.status IN (1, 2) OR (a.status = 3 AND ga.notified_at IS NOT NULL AND ga.resolved_notified_at IS NULL))
           ORDER BY a.fired_at""",
        group_id,
    )


async def firing_alerts(conn: asyncpg.Connection, tenant_id: uuid.UUID, since: datetime) -> list[asyncpg.Record]:
    """Alerts not resolved (acknowledged ones still fire: they keep inhibiting, as in Alertmanager)."""
    return await conn.fetch("SELECT * FROM alerts WHERE tenant_id = $1 AND status IN (1, 2) AND fired_at >= $2", tenant_id, since)


async def wake_groups_with_resolved(conn: asyncpg.Connection, now: datetime) -> int:
    """Makes groups due (at their next interval) whose notified alerts were resolved since."""
    result = await conn.execute(
        """UPDATE notification_groups g SET next_flush_at = least(
               coalesce(g.next_flush_at, 'infinity'),
               greatest($1::timestamptz, coalesce(g.last_flushed_at, $1) + make_interval(secs => g.group_interval)))
           WHERE g.id IN (SELECT ga.group_id FROM group_alerts ga JOIN alerts a ON a.id = ga.alert_id
                          WHERE ga.notified_at IS NOT NULL AND ga.resolved_notified_at IS NULL AND a.status = 3)
             AND (g.next_flush_at IS NULL OR g.next_flush_at > greatest($1::timestamptz,
                  coalesce(g.last_flushed_at, $1) + make_interval(secs => g.group_interval)))""",
        now,
    )
    return int(result.split()[-1])


async def mark_resolved_notified(conn: asyncpg.Connection, group_id: uuid.UUID, alert_ids: Sequence[uuid.UUID], now: datetime) -> None:
    await conn.execute(
        "UPDATE group_alerts SET resolved_notified_at = $3 WHERE group_id = $1 AND alert_id = ANY($2::uuid[])",
        group_id, list(alert_ids), now,
    )


async def mark_notified(
    conn: asyncpg.Connection, group_id: uuid.UUID, alert_ids: Sequence[uuid.UUID], now: datetime, escalate_at: datetime | None
) -> None:
    await conn.execute(
        """UPDATE group_alerts SET notified_at = coalesce(notified_at, $3), escalate_at = coalesce(escalate_at, $4)
           WHERE group_id = $1 AND alert_id = ANY($2::uuid[])""",
        group_id, list(alert_ids), now, escalate_at,
    )


async def reschedule_group(
    conn: asyncpg.Connection, group_id: uuid.UUID, *, next_flush_at: datetime | None, flushed_at: datetime | None
) -> None:
    await conn.execute(
        """UPDATE notification_groups SET next_flush_at = $2, last_flushed_at = coalesce($3, last_flushed_at)
           WHERE id = $1""",
        group_id, next_flush_at, flushed_at,
    )


async def add_delivery(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, receiver: str, kind: str, alert_ids: Sequence[uuid.UUID], now: datetime
) -> None:
    await conn.execute(
        """INSERT INTO deliveries (tenant_id, receiver, kind, alert_ids, next_attempt_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $5)""",
        tenant_id, receiver, kind, list(alert_ids), now,
    )


async def claim_due_escalations(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT ga.group_id, ga.alert_id, ga.escalation_step, g.tenant_id, g.escalate_to, g.escalate_after
           FROM group_alerts ga JOIN notification_groups g ON g.id = ga.group_id JOIN alerts a ON a.id = ga.alert_id
           WHERE ga.escalate_at <= $1 AND a.status = 1
           ORDER BY ga.escalate_at LIMIT $2 FOR UPDATE OF ga SKIP LOCKED""",
        now, limit,
    )


async def advance_escalation(
    conn: asyncpg.Connection, group_id: uuid.UUID, alert_id: uuid.UUID, *, step: int, escalate_at: datetime | None
) -> None:
    await conn.execute(
        "UPDATE group_alerts SET escalation_step = $3, escalate_at = $4 WHERE group_id = $1 AND alert_id = $2",
        group_id, alert_id, step, escalate_at,
    )


async def claim_due_deliveries(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1
           ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        now, limit,
    )


async def alerts_by_id(conn: asyncpg.Connection, alert_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM alerts WHERE id = ANY($1::uuid[]) ORDER BY fired_at", list(alert_ids))


async def finish_delivery(
    conn: asyncpg.Connection, delivery_id: uuid.UUID, *, status: str, error: str, next_attempt_at: datetime | None, now: datetime
) -> None:
    await conn.execute(
        """UPDATE deliveries SET status = $2, attempts = attempts + 1, last_error = $3,
               next_attempt_at = coalesce($4, next_attempt_at),
               delivered_at = CASE WHEN $2 = 'delivered' THEN $5 ELSE delivered_at END
           WHERE id = $1""",
        delivery_id, status, error, next_attempt_at, now,
    )


async def list_deliveries(conn: asyncpg.Connection, tenant_id: uuid.UUID, *, alert_id: uuid.UUID | None, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM deliveries WHERE tenant_id = $1 AND ($2::uuid IS NULL OR $2 = ANY(alert_ids))
           ORDER BY created_at DESC LIMIT $3""",
        tenant_id, alert_id, limit,
    )
