"""SQL of orders, review requests and the invitation outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.resolution.requests.models import Order, Schedule


async def add_order(conn: asyncpg.Connection, order: Order) -> bool:
    """Stores a delivered order once; False when it was already known."""
    return bool(
        await conn.fetchval(
            """INSERT INTO orders (tenant_id, order_id, platform, marketplace, fulfilment, customer_id, language, product_name,
                                   value, currency, annual_spend_usd, delivered_at, carrier)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING RETURNING true""",
            uuid.UUID(order.tenant_id), order.order_id, order.platform, order.marketplace, str(order.fulfilment), order.customer_id,
            order.language, order.product_name, order.value, order.currency, order.annual_spend_usd, order.delivered_at,
            order.carrier,
        )
    )


async def add_request(conn: asyncpg.Connection, order: Order, plan: Schedule) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO review_requests (tenant_id, order_id, customer_id, marketplace, platform, language, tier, channels, send_at,
                                        status_detail)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *""",
        uuid.UUID(order.tenant_id), order.order_id, order.customer_id, order.marketplace, order.platform, order.language,
        str(plan.tier), list(plan.channels), plan.send_at,
        f"{plan.base_days} day(s) after delivery" + (f", +{plan.holiday_days} for {'; '.join(plan.holidays)}" if plan.holiday_days else ""),
    )


async def claim_due(conn: asyncpg.Connection, *, now: datetime, limit: int) -> list[asyncpg.Record]:
    """Scheduled requests due by `now` with their order, locked for this transaction."""
    return await conn.fetch(
        """SELECT r.*, o.product_name FROM review_requests r
           JOIN orders o ON o.tenant_id = r.tenant_id AND o.order_id = r.order_id
           WHERE r.status = 'scheduled' AND r.send_at <= $1
           ORDER BY r.send_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED""",
        now, limit,
    )


async def set_status(conn: asyncpg.Connection, request_id: uuid.UUID, *, status: str, detail: str, text: str = "", sent_at: datetime | None = None) -> None:
    await conn.execute(
        "UPDATE review_requests SET status = $2, status_detail = $3, text = $4, sent_at = $5 WHERE id = $1",
        request_id, status, detail, text, sent_at,
    )


async def enqueue(
    conn: asyncpg.Connection, *, request_id: uuid.UUID, tenant_id: uuid.UUID, order_id: str, channel: str, recipient: str, language: str, text: str, at: datetime
) -> None:
    """Puts one invitation in the outbox; the unique (tenant, order, channel) key makes a second one a no-op."""
    await conn.execute(
        """INSERT INTO review_request_outbox (request_id, tenant_id, order_id, channel, recipient, language, text, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, order_id, channel) DO NOTHING""",
        request_id, tenant_id, order_id, channel, recipient, language, text, at,
    )


async def claim_undelivered(conn: asyncpg.Connection, *, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM review_request_outbox WHERE delivered_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED", limit
    )


async def mark_delivered(conn: asyncpg.Connection, outbox_id: uuid.UUID, at: datetime) -> None:
    await conn.execute("UPDATE review_request_outbox SET delivered_at = $2 WHERE id = $1", outbox_id, at)


async def list_requests(conn: asyncpg.Connection, tenant_id: uuid.UUID, *, status: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM review_requests WHERE tenant_id = $1 AND ($2 = '' OR status = $2) ORDER BY send_at, order_id", tenant_id, status
    )
