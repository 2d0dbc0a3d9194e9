"""orders.submitted, written to resolution's outbox (libs/outbox.py) in the transaction that stores the orders."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from libs import outbox, topology
from libs.telemetry import current_traceparent
from reviewguard.events.v1 import events_pb2
from reviewguard.resolution.v1 import resolution_pb2
from services.resolution.publishing.repository import OUTBOX_CHANNEL
from services.resolution.requests.models import Order

# NOTE: the outbox itself (add, claim, relay) is libs/outbox.py; resolution has one outbox table and
# one relay (its channel named in publishing/repository.py), for replies, review requests and orders.


def _message(order: Order) -> events_pb2.OrderSubmitted:
    event = events_pb2.OrderSubmitted(tenant_id=order.tenant_id, order=resolution_pb2.Order(
        order_id=order.order_id, platform=order.platform, marketplace=order.marketplace, fulfilment=str(order.fulfilment),
        customer_id=order.customer_id, language=order.language, product_name=order.product_name, value=str(order.value),
        currency=order.currency, annual_spend_usd=str(order.annual_spend_usd), carrier=order.carrier,
    ))
    event.order.delivered_at.FromDatetime(order.delivered_at)
    return event


async def orders_submitted(conn: asyncpg.Connection, orders: Sequence[Order]) -> None:
    """One event per newly stored order; an order is stored once, so its id de-duplicates a re-publish."""
    headers = current_traceparent()
    await outbox.add(conn, [
        outbox.Event(topology.ORDER_SUBMITTED, f"order:{o.tenant_id}:{o.order_id}", _message(o).SerializeToString(), headers)
        for o in orders
    ], channel=OUTBOX_CHANNEL)
