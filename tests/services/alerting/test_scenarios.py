"""A real seller's month through AlertingService and PostgreSQL (issue 13): steady noise never
pages, a real incident is one alert that updates, history informs without paging, attacks and
safety reach a person."""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from libs import db, topology
from libs.bus import Bus, Delivery
from libs.errors import InvalidArgument
from libs.telemetry import extract_context
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from reviewguard.nlp.v1 import analysis_pb2
from services.alerting import app as alerting_app
from services.alerting.grpc_api import AlertingServicer
from services.alerting.service import AlertingService
from tests.helpers import make_review

TREND_RULES = ("rating_baseline", "crisis", "aspect_spike")
START = datetime(2026, 10, 1, tzinfo=timezone.utc)  # day 0 of the month of history
# Which products each marketplace sells, and how many reviews one gets on an ordinary weekday.
CATALOGUE = {
    ("DE", "store-de"): {"B0KETTLE01": 30, "B0KETTLE02": 14, "B0TOASTER1": 10},
    ("FR", "store-fr"): {"B0KETTLE02": 12, "B0MIXER001": 16, "B0TOASTER1": 8},
}
# A steady 4.4-star shop: 7% of reviews are negative (1–2★).
STARS = [5] * 62 + [4] * 22 + [3] * 9 + [2] * 3 + [1] * 4


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def service(database_url: str, bus: Bus, clock: Clock):
    await db.migrate(database_url, schema=alerting_app.SCHEMA, directory=alerting_app.MIGRATIONS)
    pool = await db.create_pool(database_url, schema=alerting_app.SCHEMA)
    yield AlertingService(pool=pool, clock=clock)
    await pool.close()


class Seller:
    """One tenant's reviews as the NLP service hands them on."""

    def __init__(self) -> None:
        self.tenant = str(uuid.uuid4())
        self.n = 0

    def review(
        self, rating: int, posted: datetime, *, marketplace: str = "DE", store: str = "store-de",
        product: str = "B0KETTLE01", aspects=(), negative_score: float | None = None, terms=(),
        history: bool = False, cluster: str = "", cluster_size: int = 0, malicious: bool = False,
        subject: str = topology.REVIEW_ANALYZED,
    ) -> Delivery:
        self.n += 1
        review = make_review(
            external_id=f"R{self.n}", rating=rating, product_id=product, posted_at=posted, store_id=store,
            marketplace=marketplace, text_in="fr" if marketplace == "FR" else "de",
        )
        review.id, review.tenant_id, review.version, review.history = str(uuid.uuid4()), self.tenant, 1, history
        if negative_score is None:
            negative_score = {1: 0.92, 2: 0.8, 3: 0.45, 4: 0.15, 5: 0.05}[rating]
        analysis = analysis_pb2.Analysis(
            review_id=review.id, tenant_id=self.tenant, language="de", aspects=list(aspects),
            negative_score=negative_score, duplicate_cluster_id=cluster, duplicate_cluster_size=cluster_size,
            malicious=malicious, malicious_reasons=["near-duplicate of other reviews"] if malicious else [],
            risk_terms=[analysis_pb2.RiskTerm(term=t, category=c) for t, c in terms],
        )
        return Delivery(
            message=events_pb2.ReviewAnalyzed(review=review, analysis=analysis), subject=subject,
            headers={}, context=extract_context({}), deliveries=1, stream_sequence=0, raw=None,
        )

    def ordinary_day(self, rng: random.Random, day: int, **kwargs) -> list[Delivery]:
        """A day of ordinary reviews: binomial noise around the shop's star mix, busier weekends."""
        date0 = START + timedelta(days=day)
        weekend = date0.weekday() >= 5
        out = []
        for (marketplace, store), products in CATALOGUE.items():
            for product, usual in products.items():
                volume = round(usual * (1.6 if weekend else 1.0) * rng.uniform(0.7, 1.3))
                for _ in range(volume):
                    rating = rng.choice(STARS)
                    aspects = []
                    if rating <= 2:
                        aspects = rng.choice([["damage"], ["logistics"], ["quality"], []])
                    elif rng.random() < 0.3:
                        aspects = ["logistics"]  # "delivery was fast"
                    posted = date0 + timedelta(hours=6, minutes=rng.randint(0, 14 * 60))
                    out.append(self.review(rating, posted, marketplace=marketplace, store=store, product=product, aspects=aspects, **kwargs))
        rng.shuffle(out)
        return out


async def live_day(service: AlertingService, clock: Clock, day: int, reviews: list[Delivery]) -> None:
    """The day's reviews arrive as they are posted, in consumer-sized batches."""
    clock.now = START + timedelta(days=day, hours=21)
    for i in range(0, len(reviews), 64):
        await service.handle_analyzed(reviews[i : i + 64])


async def alerts(service: AlertingService, tenant: str, rule: str = "", **kwargs) -> list[alert_pb2.Alert]:
    found, _ = await service.list(tenant, review_id="", page_size=500, page_token="", rule=rule, **kwargs)
    return found


async def trend_alerts(service: AlertingService, tenant: str) -> list[alert_pb2.Alert]:
    return [a for rule in TREND_RULES for a in await alerts(service, tenant, rule)]


async def live_month(service: AlertingService, clock: Clock, seller: Seller, days: int = 30) -> None:
    rng = random.Random(2026)
    for day in range(days):
        await live_day(service, clock, day, seller.ordinary_day(rng, day))


async def test_a_steady_month_lived_day_by_day_raises_no_trend_alert(service: AlertingService, clock: Clock) -> None:
    seller = Seller()
    await live_month(service, clock, seller)
    assert await trend_alerts(service, seller.tenant) == []
    # Per-review grading works all month long: every 1–2★ review alerted.
    assert len(await alerts(service, seller.tenant, "negative_review")) > 100
    status = await service.policy_status(seller.tenant)
    assert status["rating_baseline"]["state"] == "active" and status["crisis"]["state"] == "active"


async def test_day_one_without_history_grades_reviews_but_judges_no_trend(service: AlertingService, clock: Clock) -> None:
    seller = Seller()
    clock.now = START + timedelta(hours=21)
    day_one = [seller.review(1 if i < 8 else 5, START + timedelta(hours=8, minutes=i)) for i in range(20)]
    await service.handle_analyzed(day_one)
    assert await trend_alerts(service, seller.tenant) == []
    assert len(await alerts(service, seller.tenant, "negative_review")) == 8
    status = await service.policy_status(seller.tenant)
    for rule in TREND_RULES:
        assert status[rule]["state"] == "insufficient_history", status[rule]
        assert "insufficient history" in status[rule]["detail"] and status[rule]["min_history_days"] == 14
    assert status["negative_review"]["state"] == "active"
    # The gRPC answer carries the status beside the policy (until Policy has a field of its own).
    answer = await AlertingServicer(service).GetPolicy(
        type("Request", (), {"tenant_id": seller.tenant})(), None
    )
    body = json.loads(answer.policy_json)
    assert body["status"]["crisis"]["state"] == "insufficient_history" and body["crisis"]["level2_rate"] == 0.15


async def test_three_days_of_damaged_kettles_at_four_times_the_usual_rate_is_one_incident(
    service: AlertingService, clock: Clock, bus: Bus
) -> None:
    seller = Seller()
    await live_month(service, clock, seller)
    rng = random.Random(7)
    for day in (30, 31, 32):
        ordinary = seller.ordinary_day(rng, day)
        volume = sum(1 for d in ordinary if d.message.review.product_id == "B0KETTLE01")
        # NOTE: three times the product's usual 7% negatives on top of its ordinary day: 4× in all.
        damaged = [
            seller.review(1, START + timedelta(days=day, hours=9, minutes=7 * i), aspects=["damage"])
            for i in range(round(3 * 0.07 * volume))
        ]
        await live_day(service, clock, day, ordinary + damaged)
    crisis = await alerts(service, seller.tenant, "crisis")
    assert len(crisis) == 1, [(a.scope, a.labels) for a in crisis]
    (incident,) = crisis
    assert (incident.scope, incident.labels["crisis_level"], incident.day) == ("product:B0KETTLE01", "2", "2026-11-02")
    assert incident.severity == alert_pb2.SEVERITY_HIGH and "48 h" in incident.summary
    everything = await trend_alerts(service, seller.tenant)
    # Over three days of judging, each rule speaks once, about the damaged kettle: its rating, its
    # crisis level, and the damage complaints of its market. Nothing about the other products.
    assert sorted((a.rule, a.scope, a.labels.get("aspect", "")) for a in everything) == [
        ("aspect_spike", "marketplace:DE", "damage"), ("crisis", "product:B0KETTLE01", ""),
        ("rating_baseline", "product:B0KETTLE01", ""),
    ]
    baseline = [a for a in everything if a.rule == "rating_baseline" and a.scope == "product:B0KETTLE01"]
    assert len(baseline) == 1 and baseline[0].labels["level"] in {"orange", "red"}


async def test_an_incident_judged_again_updates_its_alert_instead_of_firing_another(service: AlertingService, clock: Clock) -> None:
    seller = Seller()
    await live_month(service, clock, seller)
    for day in (30, 31, 32, 33):
        clock.now = START + timedelta(days=day, hours=21)
        await service.handle_analyzed([seller.review(1, START + timedelta(days=day, hours=10, minutes=i)) for i in range(25)])
        await service.evaluate_trends(seller.tenant)
    red = [a for a in await alerts(service, seller.tenant, "rating_baseline") if a.scope == "product:B0KETTLE01"]
    assert len(red) == 1 and red[0].labels["level"] == "red"
    assert (red[0].labels["incident_start"], red[0].day) == ("2026-10-31", "2026-11-03")


async def test_praise_of_fast_delivery_never_spikes(service: AlertingService, clock: Clock) -> None:
    seller = Seller()
    await live_month(service, clock, seller)
    promo = START + timedelta(days=30, hours=9)
    await live_day(service, clock, 30, [
        seller.review(5, promo + timedelta(minutes=i), aspects=["logistics"]) for i in range(120)  # "Lieferung war schnell"
    ])
    assert await alerts(service, seller.tenant, "aspect_spike") == []


async def test_five_near_identical_one_star_reviews_in_a_day_are_one_competitor_attack(service: AlertingService, clock: Clock, bus: Bus) -> None:
    seller = Seller()
    clock.now = START + timedelta(hours=23)
    first = None
    burst = []
    for i in range(5):
        d = seller.review(1, START + timedelta(hours=2 + 4 * i), product="B0TOASTER1", cluster="", malicious=i >= 2)
        first = first or d.message.review.id
        d.message.analysis.duplicate_cluster_id = first if i else ""
        d.message.analysis.duplicate_cluster_size = i + 1
        burst.append(d)
    burst[0].message.analysis.duplicate_cluster_id = first  # NOTE: the NLP names the cluster after its earliest member
    for d in burst:  # one at a time, as they arrive, and each delivered twice
        await service.handle_analyzed([d])
        await service.handle_analyzed([d])
    (attack,) = await alerts(service, seller.tenant, "competitor_attack")
    assert attack.product_id == "B0TOASTER1" and attack.severity == alert_pb2.SEVERITY_HIGH
    assert (attack.labels["escalation"], attack.labels["team"], attack.labels["cluster_reviews"]) == ("competitor_attack", "risk", "5")
    assert attack.labels["duplicate_cluster"] == first and attack.labels["malicious_reviews"] == "3"
    assert "5 near-identical negative reviews" in attack.summary
    # Each review still alerts on its own, marked with its cluster for the appeal.
    singles = await alerts(service, seller.tenant, "negative_review")
    assert len(singles) == 5 and all(a.labels["duplicate_cluster"] == first for a in singles)


async def test_near_duplicates_spread_over_weeks_are_no_attack(service: AlertingService, clock: Clock) -> None:
    seller = Seller()
    cluster = str(uuid.uuid4())
    for i in range(4):
        clock.now = START + timedelta(days=5 * i, hours=12)
        await service.handle_analyzed([seller.review(1, START + timedelta(days=5 * i, hours=10), cluster=cluster, cluster_size=i + 1)])
    two = str(uuid.uuid4())
    await service.handle_analyzed([seller.review(1, clock.now, product="B0MIXER001", cluster=two) for _ in range(2)])
    assert await alerts(service, seller.tenant, "competitor_attack") == []


async def test_a_caught_fire_review_reaches_the_manual_queue_whatever_its_score(service: AlertingService, clock: Clock) -> None:
    seller = Seller()
    fire = seller.review(1, START + timedelta(hours=9), negative_score=0.6, terms=[("caught fire", "safety")])
    lawyer = seller.review(4, START + timedelta(hours=10), negative_score=0.2, terms=[("anwalt", "legal")])
    plain = seller.review(2, START + timedelta(hours=11), negative_score=0.6)
    await service.handle_analyzed([fire, lawyer, plain])
    queue = await alerts(service, seller.tenant, labels=["queue=manual_review"])
    assert {a.review_id for a in queue} == {fire.message.review.id, lawyer.message.review.id}
    (burning,) = [a for a in queue if a.review_id == fire.message.review.id]
    assert burning.severity == alert_pb2.SEVERITY_CRITICAL and burning.labels["escalation"] == "safety"


async def announced(database_url: str) -> int:
    """alerts.fired events written to alerting's outbox (what its relay publishes)."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": alerting_app.SCHEMA})
    try:
        return await conn.fetchval("SELECT count(*) FROM outbox WHERE subject = $1", topology.ALERT_FIRED)
    finally:
        await conn.close()


async def test_history_is_counted_in_baselines_but_pages_no_one(service: AlertingService, clock: Clock, database_url: str) -> None:
    seller = Seller()
    clock.now = START + timedelta(days=31, hours=9)
    rng = random.Random(5)
    # A month imported at once: on the history lane, and as history-flagged reviews on the live one.
    imported = [d for day in range(30) for d in seller.ordinary_day(rng, day, history=True, subject=topology.REVIEW_ANALYZED_HISTORY)]
    imported += [seller.review(1, START + timedelta(days=29, hours=h), history=True) for h in range(8, 20)]
    for i in range(0, len(imported), 64):
        await service.handle_analyzed(imported[i : i + 64])
    assert await alerts(service, seller.tenant) == []
    assert await announced(database_url) == 0, "history announces nothing, so resolution opens no case"
    backlog, token = await service.history_backlog(seller.tenant, page_size=500, page_token="")
    assert len(backlog) >= 12 and all(item["severity"] >= alert_pb2.SEVERITY_NORMAL for item in backlog)
    assert {item["rating"] for item in backlog} <= {1, 2} and token == ""
    # The history is the baseline today's live reviews are judged against.
    status = await service.policy_status(seller.tenant)
    assert status["rating_baseline"]["ready_scopes"] > 0
    clock.now = START + timedelta(days=30, hours=21)
    await service.handle_analyzed([seller.review(1, START + timedelta(days=30, hours=10, minutes=i)) for i in range(25)])
    red = [a for a in await alerts(service, seller.tenant, "rating_baseline") if a.scope == "product:B0KETTLE01"]
    assert len(red) == 1 and red[0].labels["level"] == "red"
    assert len(await alerts(service, seller.tenant, "negative_review")) == 25


async def test_a_team_promotes_chosen_backlog_reviews_to_alerts_once(service: AlertingService, clock: Clock, database_url: str) -> None:
    seller = Seller()
    clock.now = START + timedelta(days=31, hours=9)
    imported = [seller.review(1, START + timedelta(days=20, hours=h), history=True) for h in range(8, 14)]
    await service.handle_analyzed(imported)
    backlog, _ = await service.history_backlog(seller.tenant, page_size=50, page_token="")
    assert len(backlog) == 6 and await alerts(service, seller.tenant) == []
    chosen = [backlog[0]["review_id"], backlog[3]["review_id"]]

    stranger = str(uuid.uuid4())
    with pytest.raises(InvalidArgument) as refused:
        await service.promote_backlog(seller.tenant, [chosen[0], stranger], actor="mei@seller.example")
    assert [v.field for v in refused.value.violations] == ["review_ids[1]"]
    assert await alerts(service, seller.tenant) == [] and await announced(database_url) == 0, "all or nothing"

    promoted = await service.promote_backlog(seller.tenant, chosen, actor="mei@seller.example")
    assert [a.review_id for a in promoted] == chosen
    assert all(a.rule == "negative_review" and a.labels["promoted_from"] == "history" for a in promoted)
    assert await announced(database_url) == 2, "each promoted alert is announced, so resolution opens its case"
    left, _ = await service.history_backlog(seller.tenant, page_size=50, page_token="")
    assert {i["review_id"] for i in left} == {i["review_id"] for i in backlog} - set(chosen)

    again = await service.promote_backlog(seller.tenant, chosen, actor="mei@seller.example")
    assert [a.id for a in again] == [a.id for a in promoted] and await announced(database_url) == 2, "a retry fires nothing twice"
