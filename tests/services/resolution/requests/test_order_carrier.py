"""An order's carrier is stored and announced once (orders.submitted, through the outbox) for the reports."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from libs import topology
from libs.errors import InvalidArgument
from libs.outbox import OutboxRelay
from reviewguard.events.v1 import events_pb2
from reviewguard.resolution.v1 import resolution_pb2
from services.resolution.requests.announcements import OUTBOX_CHANNEL

TENANT = str(uuid.uuid4())


def order(order_id: str, carrier: str = "") -> resolution_pb2.Order:
    o = resolution_pb2.Order(
        order_id=order_id, platform="amazon", marketplace="DE", fulfilment="merchant", customer_id="c-1", value="20.00",
        currency="EUR", carrier=carrier,
    )
    o.delivered_at.FromDatetime(datetime(2026, 11, 23, 10, tzinfo=timezone.utc))
    return o


async def announced(bus) -> list[events_pb2.OrderSubmitted]:
    info = await bus.jetstream.stream_info(topology.ORDERS.name)
    return [
        events_pb2.OrderSubmitted.FromString((await bus.jetstream.get_msg(topology.ORDERS.name, seq)).data)
        for seq in range(info.state.first_seq, info.state.last_seq + 1)
    ]


async def test_carriers_are_stored_and_each_new_order_announced_once(workflow, pool, bus) -> None:
    relay = OutboxRelay(pool=pool, bus=bus, channel=OUTBOX_CHANNEL, batch=100, poll_seconds=1)
    await workflow.submit_orders(TENANT, [order("o-1", " DHL "), order("o-2", "UPS"), order("o-3")])
    # NOTE: a resubmitted order is a duplicate: stored once, announced once.
    await workflow.submit_orders(TENANT, [order("o-1", "DHL"), order("o-4", "DHL")])
    assert await relay.publish_pending() == 4
    assert await relay.publish_pending() == 0
    events = await announced(bus)
    assert sorted((e.tenant_id, e.order.order_id, e.order.carrier) for e in events) == [
        (TENANT, "o-1", "DHL"), (TENANT, "o-2", "UPS"), (TENANT, "o-3", ""), (TENANT, "o-4", "DHL"),
    ]
    async with pool.acquire() as conn:
        stored = dict(await conn.fetch("SELECT order_id, carrier FROM orders WHERE tenant_id = $1", uuid.UUID(TENANT)))
    assert stored == {"o-1": "DHL", "o-2": "UPS", "o-3": "", "o-4": "DHL"}


async def test_an_overlong_carrier_is_refused_by_name_and_nothing_is_stored(workflow, pool) -> None:
    with pytest.raises(InvalidArgument) as bad:
        await workflow.submit_orders(TENANT, [order("o-9", "DHL"), order("o-10", "x" * 65)])
    assert [v.field for v in bad.value.violations] == ["orders[1].carrier"]
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM orders") == 0
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
