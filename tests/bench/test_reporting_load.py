"""The bench's set-based loader leaves the read model exactly as the consumer does for the same reviews."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

from reviewguard.reporting.v1 import reporting_pb2
from bench import reporting_load
from services.alerting.reporting.repository import ROLLUP_KEYS
from tests.services.alerting.reporting.conftest import delivery, pool, service, servicer  # noqa: F401 (fixtures)

END = datetime(2026, 12, 1, tzinfo=timezone.utc)
N = 3000


def _reviews(tenant: str, seed: int):
    messages, orders = reporting_load.generate(tenant, N, random.Random(seed), end=END)
    return messages, orders


async def _rows(conn, sql: str, tenant: str) -> list[tuple]:
    return sorted(tuple(r.values()) for r in await conn.fetch(sql, uuid.UUID(tenant)))


async def test_loader_equals_consumer_row_for_row_and_in_reports(pool, service, servicer):  # noqa: F811
    consumed, loaded = str(uuid.uuid4()), str(uuid.uuid4())
    messages, orders = _reviews(consumed, 14)
    # NOTE: the same reviews for the second tenant, under new ids (review ids are unique across tenants).
    twins, twin_orders = _reviews(loaded, 14)
    for twin in twins:
        twin.review.id = twin.analysis.review_id = str(uuid.uuid4())
    assert twin_orders == orders and len(orders) > 500

    await service.handle_order_submitted([delivery(o) for o in reporting_load.order_events(consumed, orders)])
    for i in range(0, N, 500):
        await service.handle_analyzed([delivery(m) for m in messages[i:i + 500]])
    async with pool.acquire() as conn:
        await reporting_load.copy_reviews(conn, loaded, twins, twin_orders)
        await reporting_load.build_rollups(conn, [loaded])

        for table in ROLLUP_KEYS:
            columns = "dimension, value, " + ("aspect, " if "aspect" in table else "") + "competitor, reviews, rating_sum, negative"
            grain = "hour" if "hourly" in table else ("day" if "daily" in table else "week")
            sql = f"SELECT {grain}, {columns} FROM {table} WHERE tenant_id = $1"
            want, got = await _rows(conn, sql, consumed), await _rows(conn, sql, loaded)
            assert len(want) > 1000 and got == want, table
        inbox = """SELECT version, platform, marketplace, store_id, product_id, product_line, language, rating, first_rating,
                          title, body, translation, sentiment, negative_score, aspects, risk_categories, malicious, competitor,
                          counted, posted_at, search_text, search_grams, order_id, carrier FROM inbox_reviews WHERE tenant_id = $1"""
        want, got = await _rows(conn, inbox, consumed), await _rows(conn, inbox, loaded)
        assert len(want) == N and got == want
        assert {r[-1] for r in want} >= {"", *reporting_load.CARRIERS} and not all(r[18] for r in want)

    def window(days: int, grain: str) -> reporting_pb2.ReportWindow:
        w = reporting_pb2.ReportWindow(grain=grain, time_zone="Europe/Berlin")
        w.starts_at.FromDatetime(END - timedelta(days=days))
        w.ends_at.FromDatetime(END)
        return w

    async def both(method, request_of):
        a, b = await method(request_of(consumed), None), await method(request_of(loaded), None)
        assert len(a.cells) > 10 and a == b
        return a

    await both(servicer.RatingsReport, lambda t: reporting_pb2.RatingsReportRequest(
        tenant_id=t, window=window(90, "day"), group_by="marketplace"))
    await both(servicer.RatingsReport, lambda t: reporting_pb2.RatingsReportRequest(
        tenant_id=t, window=window(364, "week"), group_by="product_id"))
    await both(servicer.AspectsReport, lambda t: reporting_pb2.AspectsReportRequest(
        tenant_id=t, window=window(90, "week"), rows="carrier", cols="aspect"))
    await both(servicer.CompetitorsReport, lambda t: reporting_pb2.CompetitorsReportRequest(tenant_id=t, window=window(90, "week")))
