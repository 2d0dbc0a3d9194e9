"""Trend rules through the alerting service and PostgreSQL, replaying weeks of reviews in seconds."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from libs import db, topology
from libs.bus import Bus, Delivery
from libs.errors import InvalidArgument, NotFound
from libs.telemetry import extract_context
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from reviewguard.nlp.v1 import analysis_pb2
from services.alerting import app as alerting_app
from services.alerting.service import AlertingService
from tests.helpers import make_review

TENANT = str(uuid.uuid4())
# Day 1 of the run of bad reviews, in Berlin.
DAY1 = datetime(2026, 11, 16, 10, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def clock() -> Clock:
    return Clock(DAY1)


@pytest.fixture
async def service(database_url: str, bus: Bus, clock: Clock):
    await db.migrate(database_url, schema=alerting_app.SCHEMA, directory=alerting_app.MIGRATIONS)
    pool = await db.create_pool(database_url, schema=alerting_app.SCHEMA)
    yield AlertingService(pool=pool, clock=clock)
    await pool.close()


def analysed(n: int, rating: int, posted: datetime, *, product: str = "B0KETTLE01", aspects=()) -> Delivery:
    review = make_review(external_id=f"r{n}", rating=rating, product_id=product, posted_at=posted, store_id="store-de")
    review.id, review.tenant_id, review.version = str(uuid.uuid4()), TENANT, 1
    analysis = analysis_pb2.Analysis(review_id=review.id, tenant_id=TENANT, language="de", aspects=list(aspects))
    return Delivery(
        message=events_pb2.ReviewAnalyzed(review=review, analysis=analysis), subject=topology.REVIEW_ANALYZED,
        headers={}, context=extract_context({}), deliveries=1, stream_sequence=0, raw=None,
    )


async def replay_history(service: AlertingService, days: int = 30) -> None:
    """A month of a 4.8-star product: five reviews a day, one of them four stars."""
    n = 0
    for d in range(days, 0, -1):
        batch = []
        for rating in (5, 5, 5, 5, 4):
            batch.append(analysed(n, rating, DAY1 - timedelta(days=d)))
            n += 1
        await service.handle_analyzed(batch)


async def alerts(service: AlertingService, rule: str) -> list[alert_pb2.Alert]:
    found, _ = await service.list(TENANT, review_id="", page_size=500, page_token="", rule=rule)
    return found


async def test_run_of_one_star_reviews_is_red_on_day_one_and_level_two_crisis_on_day_three(service: AlertingService) -> None:
    await replay_history(service)
    assert await alerts(service, "rating_baseline") == [] and await alerts(service, "crisis") == []
    for day in range(3):
        await service.handle_analyzed([analysed(1000 + day * 10 + i, 1, DAY1 + timedelta(days=day, hours=i)) for i in range(6)])
        baseline = await alerts(service, "rating_baseline")
        crisis = {a.labels["crisis_level"]: a for a in await alerts(service, "crisis")}
        if day == 0:
            product_red = [a for a in baseline if a.scope == "product:B0KETTLE01"]
            assert len(product_red) == 1 and product_red[0].labels["level"] == "red"
            assert product_red[0].severity == alert_pb2.SEVERITY_CRITICAL and product_red[0].day == "2026-11-16"
            assert {a.scope for a in baseline} == {"product:B0KETTLE01", "store:store-de", "marketplace:DE"}
            assert "2" not in crisis and crisis["1"].scope == "marketplace:DE"
        if day == 1:
            assert "2" not in crisis
    level2 = crisis["2"]
    assert (level2.scope, level2.day, level2.product_id) == ("product:B0KETTLE01", "2026-11-18", "B0KETTLE01")
    assert "48 h" in level2.summary


async def test_days_are_counted_in_the_marketplace_time_zone(service: AlertingService) -> None:
    await replay_history(service)
    # 23:30 UTC on the 15th is already the 16th in Berlin: these reviews belong to day 1.
    late = datetime(2026, 11, 15, 23, 30, tzinfo=timezone.utc)
    await service.handle_analyzed([analysed(2000 + i, 1, late) for i in range(4)])
    red = [a for a in await alerts(service, "rating_baseline") if a.scope == "product:B0KETTLE01"]
    assert [a.day for a in red] == ["2026-11-16"]


async def test_scheduled_evaluation_fires_nothing_twice(service: AlertingService, clock: Clock) -> None:
    await replay_history(service)
    await service.handle_analyzed([analysed(3000 + i, 1, DAY1) for i in range(5)])
    before = len(await alerts(service, "rating_baseline"))
    clock.now = DAY1 + timedelta(hours=3)
    assert await service.evaluate_trends(TENANT) == 0
    assert await service.evaluate_all_tenants() == 0
    assert len(await alerts(service, "rating_baseline")) == before


async def test_aspect_spike_counts_complaints_against_their_own_history(service: AlertingService) -> None:
    # Four weeks of two reviews a day; a 2★ delivery complaint every fourth day, and praise of the
    # delivery on the 5★ reviews every other day.
    n = 0
    for d in range(28, 0, -1):
        day = DAY1 - timedelta(days=d)
        await service.handle_analyzed([
            analysed(n := n + 1, 2 if d % 4 == 0 else 4, day, aspects=["logistics"] if d % 4 == 0 else []),
            analysed(n := n + 1, 5, day + timedelta(hours=1), aspects=["logistics"] if d % 2 == 0 else []),
        ])
    await service.handle_analyzed([analysed(5000 + i, 2, DAY1, aspects=["logistics"]) for i in range(6)])
    spikes = await alerts(service, "aspect_spike")
    assert [a.labels["aspect"] for a in spikes] == ["logistics"] and spikes[0].labels["count"] == "6"


async def test_policy_is_stored_per_tenant_and_bad_policies_change_nothing(service: AlertingService) -> None:
    policy, version = await service.get_policy(TENANT)
    assert (policy.baseline.red_daily_drop, policy.crisis.level2_rate, version) == (0.5, 0.15, 0)
    policy, version = await service.put_policy(TENANT, json.dumps({"baseline": {"red_daily_drop": 0.8}, "time_zones": {"de": "Europe/Vienna"}}))
    assert (policy.baseline.red_daily_drop, policy.baseline.orange_daily_drop, version) == (0.8, 0.3, 1)
    with pytest.raises(InvalidArgument) as refused:
        await service.put_policy(TENANT, json.dumps({"crisis": {"level2_rate": 3}}))
    assert refused.value.violations[0].field == "crisis.level2_rate"
    with pytest.raises(InvalidArgument):
        await service.put_policy(TENANT, "{not json")
    policy, version = await service.get_policy(TENANT)
    assert (policy.baseline.red_daily_drop, version) == (0.8, 1)
    other, _ = await service.get_policy(str(uuid.uuid4()))
    assert other.baseline.red_daily_drop == 0.5


async def test_acknowledge_and_resolve_are_recorded(service: AlertingService, clock: Clock) -> None:
    await service.handle_analyzed([analysed(1, 1, DAY1)])
    (alert,) = await alerts(service, "negative_review")
    clock.now = DAY1 + timedelta(minutes=7)
    acked = await service.acknowledge(TENANT, alert.id, "mei@seller.example")
    assert acked.status == alert_pb2.ALERT_STATUS_ACKNOWLEDGED and acked.acknowledged_by == "mei@seller.example"
    assert acked.acknowledged_at.ToDatetime(tzinfo=timezone.utc) == clock.now
    resolved = await service.resolve(TENANT, alert.id, "mei@seller.example")
    assert resolved.status == alert_pb2.ALERT_STATUS_RESOLVED
    assert (await service.acknowledge(TENANT, alert.id, "late")).status == alert_pb2.ALERT_STATUS_RESOLVED
    with pytest.raises(NotFound):
        await service.resolve(str(uuid.uuid4()), alert.id, "intruder")
    firing, _ = await service.list(TENANT, review_id="", page_size=10, page_token="", status=alert_pb2.ALERT_STATUS_FIRING)
    assert firing == []


async def test_importing_old_history_judges_no_stale_days(service: AlertingService) -> None:
    await replay_history(service, days=40)
    old = DAY1 - timedelta(days=20)
    await service.handle_analyzed([analysed(6000 + i, 1, old + timedelta(minutes=i)) for i in range(6)])
    assert await alerts(service, "rating_baseline") == []
