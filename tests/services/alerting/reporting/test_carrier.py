"""The carrier dimension: each review's carrier comes from its order's orders.submitted, whichever of
the two arrives first; the heat map and the logistics report equal a plain-Python count."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from libs import topology
from libs.bus import Delivery
from libs.telemetry import extract_context
from reviewguard.events.v1 import events_pb2
from reviewguard.reporting.v1 import reporting_pb2
from reviewguard.resolution.v1 import resolution_pb2
from tests.services.alerting.reporting.conftest import analyzed, delivery
from tests.services.alerting.reporting.test_reports import END, START, local_week, negative, score_of, window

A, B = str(uuid.uuid4()), str(uuid.uuid4())
ASPECTS = ("logistics", "damaged", "product_quality")
CARRIERS = ("DHL", "UPS", "Yamato", "")


def order_event(tenant: str, order_id: str, carrier: str) -> Delivery:
    message = events_pb2.OrderSubmitted(tenant_id=tenant, order=resolution_pb2.Order(order_id=order_id, carrier=carrier))
    return Delivery(
        message=message, subject=topology.ORDER_SUBMITTED, headers={}, context=extract_context({}), deliveries=1,
        stream_sequence=0, raw=None,
    )


def posted(m) -> datetime:
    return m.review.posted_at.ToDatetime(tzinfo=timezone.utc)


async def test_heat_map_and_logistics_rates_by_carrier_whichever_arrives_first(servicer, service):
    rng = random.Random(14)
    orders = {f"o-{i}": rng.choice(CARRIERS) for i in range(80)}
    reviews = [
        analyzed(
            A, posted_at=START + timedelta(seconds=rng.uniform(0, (END - START).total_seconds())), rating=rng.randint(1, 5),
            score=rng.choice([None, rng.random()]), aspects=rng.sample(ASPECTS, rng.randint(0, 2)),
            order_id=rng.choice([*orders, "unannounced"]),
        )
        for _ in range(300)
    ]
    ids = list(orders)
    # NOTE: half the orders are announced before their reviews, half after; one is re-announced.
    for order_id in ids[:40]:
        await service.handle_order_submitted([order_event(A, order_id, orders[order_id])])
    for chunk in range(0, len(reviews), 60):
        await service.handle_analyzed([delivery(m) for m in reviews[chunk : chunk + 60]])
    for order_id in ids[40:]:
        await service.handle_order_submitted([order_event(A, order_id, orders[order_id])])
    await service.handle_order_submitted([order_event(A, ids[0], orders[ids[0]])])
    # NOTE: another tenant's order of the same id names another carrier and must not move A's reviews.
    await service.handle_order_submitted([order_event(B, ids[1], "Stranger Post")])
    # NOTE: a redelivered batch nets zero.
    await service.handle_analyzed([delivery(m) for m in reviews[:60]])

    def carrier(m) -> str:
        return orders.get(m.review.order_id, "")

    heat = await servicer.AspectsReport(
        reporting_pb2.AspectsReportRequest(tenant_id=A, window=window("week"), rows="carrier", cols="aspect"), None
    )
    want = defaultdict(lambda: [0, 0])
    for m in reviews:
        for aspect in m.analysis.aspects:
            t = want[(local_week(posted(m)), carrier(m), aspect)]
            t[0] += 1
            t[1] += negative(m.review.rating, score_of(m))
    assert list(heat.keys) == ["carrier", "aspect"]
    assert {(c.period, *c.key): (c.reviews, c.negative) for c in heat.cells} == {k: tuple(v) for k, v in want.items()}
    assert "Stranger Post" not in {c.key[0] for c in heat.cells}

    logistics = await servicer.LogisticsReport(
        reporting_pb2.DepartmentReportRequest(tenant_id=A, window=window("week"), group_by="carrier"), None
    )
    rates = defaultdict(lambda: [0, 0, 0])
    for m in reviews:
        t = rates[(local_week(posted(m)), carrier(m))]
        t[0] += 1
        bad = negative(m.review.rating, score_of(m))
        t[1] += bad and "logistics" in m.analysis.aspects
        t[2] += bad and "damaged" in m.analysis.aspects
    assert logistics.group_by == "carrier"
    assert {(r.period, r.value): (r.reviews, r.delay_complaints, r.damage_complaints) for r in logistics.rows} == {
        k: tuple(v) for k, v in rates.items()
    }
    assert {r.value for r in logistics.rows} >= {"DHL", "UPS", "Yamato"}

    ratings = await servicer.RatingsReport(
        reporting_pb2.RatingsReportRequest(tenant_id=A, window=window("week"), group_by="carrier"), None
    )
    counts = defaultdict(int)
    for m in reviews:
        counts[(local_week(posted(m)), carrier(m))] += 1
    assert {(c.period, c.key[0]): c.reviews for c in ratings.cells} == dict(counts)
