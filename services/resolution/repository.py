"""All SQL of the resolution service."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from reviewguard.resolution.v1 import case_pb2


def to_proto(row: asyncpg.Record) -> case_pb2.Case:
    case = case_pb2.Case(
        id=str(row["id"]),
        tenant_id=str(row["tenant_id"]),
        alert_id=str(row["alert_id"]),
        review_id=str(row["review_id"]) if row["review_id"] else "",
        severity=row["severity"],
        status=row["status"],
        owner=row["owner"],
        product_id=row["product_id"],
        marketplace=row["marketplace"],
    )
    case.opened_at.FromDatetime(row["opened_at"])
    case.due_at.FromDatetime(row["due_at"])
    case.first_response_due_at.FromDatetime(row["first_response_due_at"])
    return case


async def open_or_get(
    conn: asyncpg.Connection,
    *,
    tenant_id: uuid.UUID,
    alert_id: uuid.UUID,
    review_id: uuid.UUID | None,
    severity: int,
    product_id: str,
    marketplace: str,
    opened_at: datetime,
    due_at: datetime,
    first_response_due_at: datetime,
) -> asyncpg.Record:
    """Opens the case of an alert once; returns the stored case either way."""
    row = await conn.fetchrow(
        """INSERT INTO cases (tenant_id, alert_id, review_id, severity, product_id, marketplace,
                              opened_at, due_at, first_response_due_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (tenant_id, alert_id) DO NOTHING
           RETURNING *""",
        tenant_id,
        alert_id,
        review_id,
        severity,
        product_id,
        marketplace,
        opened_at,
        due_at,
        first_response_due_at,
    )
    if row is None:
        row = await conn.fetchrow("SELECT * FROM cases WHERE tenant_id = $1 AND alert_id = $2", tenant_id, alert_id)
    return row


async def list_cases(
    conn: asyncpg.Connection,
    tenant_id: uuid.UUID,
    *,
    review_id: uuid.UUID | None,
    status: int | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM cases
           WHERE tenant_id = $1
             AND ($2::uuid IS NULL OR review_id = $2)
             AND ($3::smallint IS NULL OR status = $3)
             AND ($4::timestamptz IS NULL OR (opened_at, id) < ($4, $5))
           ORDER BY opened_at DESC, id DESC
           LIMIT $6""",
        tenant_id,
        review_id,
        status,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def get(conn: asyncpg.Connection, tenant_id: uuid.UUID, case_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM cases WHERE tenant_id = $1 AND id = $2", tenant_id, case_id)
