"""All SQL of the alerting service."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import asyncpg

from reviewguard.alerting.v1 import alert_pb2


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
    )
    alert.fired_at.FromDatetime(row["fired_at"])
    return alert


async def insert_or_get(
    conn: asyncpg.Connection,
    *,
    tenant_id: uuid.UUID,
    dedup_key: str,
    rule: str,
    severity: int,
    review_id: uuid.UUID | None,
    platform: str,
    marketplace: str,
    product_id: str,
    reasons: list[str],
    labels: dict[str, str],
) -> asyncpg.Record:
    """Stores an alert once per (tenant, dedup_key); returns the stored row either way."""
    row = await conn.fetchrow(
        """INSERT INTO alerts (tenant_id, dedup_key, rule, severity, review_id, platform, marketplace,
                               product_id, reasons, labels)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb)
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
    )
    if row is None:
        row = await conn.fetchrow("SELECT * FROM alerts WHERE tenant_id = $1 AND dedup_key = $2", tenant_id, dedup_key)
    return row


async def list_alerts(
    conn: asyncpg.Connection,
    tenant_id: uuid.UUID,
    *,
    review_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM alerts
           WHERE tenant_id = $1
             AND ($2::uuid IS NULL OR review_id = $2)
             AND ($3::timestamptz IS NULL OR (fired_at, id) < ($3, $4))
           ORDER BY fired_at DESC, id DESC
           LIMIT $5""",
        tenant_id,
        review_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def get(conn: asyncpg.Connection, tenant_id: uuid.UUID, alert_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM alerts WHERE tenant_id = $1 AND id = $2", tenant_id, alert_id)
