"""SQL of the alerts themselves: store once, read, page, change status, link cases (topic SQL lives beside
its topic).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from reviewguard.alerting.v1 import alert_pb2


# Columns a scope kind groups review facts by.
# NOTE: the outbox itself (add, claim, relay) is libs/outbox.py; this is alerting's NOTIFY channel.
OUTBOX_CHANNEL = "alerting_outbox"


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


async def link_cases(conn: asyncpg.Connection, links: Sequence[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]) -> None:
    """Sets the case of many alerts, each (tenant, alert, case), in one statement."""
    if not links:
        return
    await conn.execute(
        """UPDATE alerts a SET case_id = l.case_id
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS l(tenant_id, alert_id, case_id)
           WHERE a.tenant_id = l.tenant_id AND a.id = l.alert_id AND a.case_id IS DISTINCT FROM l.case_id""",
        [link[0] for link in links], [link[1] for link in links], [link[2] for link in links],
    )


async def log_actor(conn: asyncpg.Connection, alert_ids: Sequence[uuid.UUID], at: datetime, action: str, actor: str) -> None:
    """Records who caused these alerts (e.g. promoted them from the backlog) in their history."""
    await conn.executemany(
        "INSERT INTO alert_events (alert_id, at, action, actor) VALUES ($1, $2, $3, $4)", [(a, at, action, actor) for a in alert_ids]
    )


async def firing_alerts(conn: asyncpg.Connection, tenant_id: uuid.UUID, since: datetime) -> list[asyncpg.Record]:
    """Alerts not resolved (acknowledged ones still fire: they keep inhibiting, as in Alertmanager)."""
    return await conn.fetch("SELECT * FROM alerts WHERE tenant_id = $1 AND status IN (1, 2) AND fired_at >= $2", tenant_id, since)


async def alerts_by_id(conn: asyncpg.Connection, alert_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM alerts WHERE id = ANY($1::uuid[]) ORDER BY fired_at", list(alert_ids))
