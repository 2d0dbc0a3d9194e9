"""SQL of orders, review requests, and the send requests they queue in resolution's outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from libs import outbox, topology
from libs.telemetry import current_traceparent
from reviewguard.events.v1 import events_pb2
from services.resolution.publishing.repository import OUTBOX_CHANNEL
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
        """SELECT r.*, o.product_name, o.delivered_at FROM review_requests r
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


async def request_send(conn: asyncpg.Connection, message: events_pb2.ReviewRequestSendRequested, *, send_at: datetime) -> None:
    """Queues the request for ingest in resolution's outbox, in the caller's transaction.

    NOTE: keyed by the planned time too, so a request deferred to a later day goes out again then.
    """
    event = outbox.Event(
        subject=topology.REVIEW_REQUEST_SEND_REQUESTED,
        msg_id=f"{topology.REVIEW_REQUEST_SEND_REQUESTED}:{message.request_id}:{int(send_at.timestamp())}",
        payload=message.SerializeToString(),
        headers=current_traceparent(),
    )
    await outbox.add(conn, [event], channel=OUTBOX_CHANNEL)


async def record_outcome(
    conn: asyncpg.Connection, *, tenant_id: uuid.UUID, request_id: uuid.UUID, status: str, detail: str, route: str,
    platform_request_id: str, at: datetime,
) -> bool:
    """Stores what became of a request being sent; False when it is not being sent (a redelivered answer)."""
    result = await conn.execute(
        """UPDATE review_requests SET status = $3, status_detail = $4, route = $5, platform_request_id = $6, outcome_at = $7,
                  sent_at = CASE WHEN $3::text = 'sent' THEN $7::timestamptz END
           WHERE tenant_id = $1 AND id = $2 AND status = 'sending'""",
        tenant_id, request_id, status, detail, route, platform_request_id, at,
    )
    return result != "UPDATE 0"


async def reschedule(conn: asyncpg.Connection, *, tenant_id: uuid.UUID, request_id: uuid.UUID, send_at: datetime, detail: str) -> bool:
    """Puts a request being sent back on the schedule (the platform takes it only from `send_at`)."""
    result = await conn.execute(
        "UPDATE review_requests SET status = 'scheduled', send_at = $3, status_detail = $4 WHERE tenant_id = $1 AND id = $2 AND status = 'sending'",
        tenant_id, request_id, send_at, detail,
    )
    return result != "UPDATE 0"


async def list_requests(conn: asyncpg.Connection, tenant_id: uuid.UUID, *, status: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM review_requests WHERE tenant_id = $1 AND ($2 = '' OR status = $2) ORDER BY send_at, order_id", tenant_id, status
    )
