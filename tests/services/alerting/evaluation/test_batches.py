"""A fetched batch is handled as one: many tenants, duplicates and redeliveries in it still fire one
alert per review and announce it once; a bad message goes to the dead-letter queue and the rest of
its batch is stored; the figures trends are judged on follow every edit of a review."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from libs import db, topology
from libs.bus import Bus, Delivery
from libs.outbox import OutboxRelay
from libs.telemetry import extract_context
from reviewguard.events.v1 import events_pb2
from reviewguard.nlp.v1 import analysis_pb2
from reviewguard.resolution.v1 import case_pb2
from services.alerting import app as alerting_app
from services.alerting import repository
from services.alerting.evaluation import repository as evaluation_repository
from services.alerting.service import AlertingService
from tests.helpers import eventually, make_review

POSTED = datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)


@pytest.fixture
async def pool(database_url: str):
    await db.migrate(database_url, schema=alerting_app.SCHEMA, directory=alerting_app.MIGRATIONS)
    pool = await db.create_pool(database_url, schema=alerting_app.SCHEMA)
    yield pool
    await pool.close()


@pytest.fixture
async def service(pool):
    return AlertingService(pool=pool, clock=lambda: POSTED + timedelta(hours=1))


def analyzed(tenant: str, external_id: str, rating: int, *, version: int = 1, product: str = "B0KETTLE01",
             posted_at: datetime = POSTED, aspects: tuple[str, ...] = (), score: float | None = None,
             competitor: bool = False) -> Delivery:
    review = make_review(external_id=external_id, rating=rating, product_id=product, posted_at=posted_at, competitor=competitor)
    review.id, review.tenant_id, review.version = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{external_id}")), tenant, version
    analysis = analysis_pb2.Analysis(review_id=review.id, tenant_id=tenant, language="de", aspects=list(aspects))
    if score is not None:
        analysis.negative_score = score
    return Delivery(
        message=events_pb2.ReviewAnalyzed(review=review, analysis=analysis), subject=topology.REVIEW_ANALYZED,
        headers={}, context=extract_context({}), deliveries=1, stream_sequence=0, raw=None,
    )


async def announced(pool, bus: Bus) -> list[str]:
    """The alert ids of every alerts.fired the outbox relay published."""
    relay = OutboxRelay(pool=pool, bus=bus, channel=repository.OUTBOX_CHANNEL, batch=500, poll_seconds=0.1)
    while await relay.publish_pending():
        pass
    info = await bus.jetstream.stream_info(topology.ALERTS.name)
    if not info.state.messages:
        return []
    return [
        events_pb2.AlertFired.FromString((await bus.jetstream.get_msg(topology.ALERTS.name, s)).data).alert.id
        for s in range(info.state.first_seq, info.state.last_seq + 1)
    ]


async def test_a_batch_of_several_tenants_with_duplicates_and_redeliveries_fires_one_alert_per_review(
    service: AlertingService, pool, bus: Bus
) -> None:
    tenants = [str(uuid.uuid4()) for _ in range(3)]
    first = [analyzed(tenants[i % 3], f"r{i}", 1 if i % 4 else 5) for i in range(48)]
    # NOTE: four copies inside the same fetch (a redelivery that caught up), then a batch that
    # redelivers half of the first beside new reviews.
    await service.handle_analyzed(first + first[:4])
    second = first[:24] + [analyzed(tenants[i % 3], f"n{i}", 2) for i in range(12)]
    await service.handle_analyzed(second)

    alert_ids = []
    for tenant in tenants:
        alerts, _ = await service.list(tenant, review_id="", page_size=100, page_token="")
        negatives = {d.message.review.id for d in first + second if d.message.review.tenant_id == tenant and d.message.review.rating <= 2}
        assert sorted(a.review_id for a in alerts) == sorted(negatives)
        # NOTE: routed in the same batch: with no receiver configured, each is kept and marked so.
        assert all(a.labels["undeliverable"] == "no receiver configured for its route" for a in alerts)
        alert_ids += [a.id for a in alerts]
    assert len(alert_ids) == 36 + 12
    assert sorted(await announced(pool, bus)) == sorted(alert_ids)


async def test_one_bad_message_goes_to_the_dead_letter_queue_and_the_rest_of_its_batch_is_stored(
    service: AlertingService, bus: Bus
) -> None:
    tenant = str(uuid.uuid4())
    good = [analyzed(tenant, f"g{i}", 1) for i in range(20)]
    bad = analyzed(tenant, "bad", 1)
    bad.message.review.tenant_id = "not-a-tenant"
    for n, delivery in enumerate(good[:10] + [bad] + good[10:]):
        await bus.publish(topology.REVIEW_ANALYZED, delivery.message, msg_id=f"analysed-{n}")
    stop = asyncio.Event()
    tasks = bus.start_consumer(
        stream=topology.REVIEWS.name, durable="alerting-batch-test", subject=topology.REVIEW_ANALYZED,
        message_type=events_pb2.ReviewAnalyzed, handler=service.handle_analyzed, stop=stop,
    )
    try:
        async def stored():
            alerts, _ = await service.list(tenant, review_id="", page_size=100, page_token="")
            return alerts if len(alerts) == len(good) else None

        alerts = await eventually(stored, timeout=30)
        letter = await eventually(lambda: dead_letters(bus, "alerting-batch-test"), timeout=30)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    assert sorted(a.review_id for a in alerts) == sorted(d.message.review.id for d in good)
    assert letter.reason.startswith("poison:") and "review.tenant_id" in letter.reason


async def dead_letters(bus: Bus, consumer: str) -> events_pb2.DeadLetter | None:
    info = await bus.jetstream.stream_info(topology.DEAD_LETTERS.name)
    for seq in range(info.state.first_seq, info.state.last_seq + 1) if info.state.messages else ():
        msg = await bus.jetstream.get_msg(topology.DEAD_LETTERS.name, seq)
        if msg.subject == topology.dead_letter_subject(consumer):
            return events_pb2.DeadLetter.FromString(msg.data)
    return None


async def test_sla_notices_and_case_links_of_one_batch_are_stored_once_each(service: AlertingService) -> None:
    tenants = [str(uuid.uuid4()) for _ in range(2)]
    cases = [case_pb2.Case(id=str(uuid.uuid4()), tenant_id=tenants[i % 2], marketplace="DE", product_id="B0K", owner="lena")
             for i in range(6)]
    notices = [
        Delivery(message=events_pb2.CaseSlaNotice(case=c, sla="resolution", stage=stage), subject="cases.sla_breached",
                 headers={}, context=extract_context({}), deliveries=1, stream_sequence=0, raw=None)
        for c in cases for stage in ("warning", "breached")
    ]
    await service.handle_sla_notice(notices + notices[:3])
    await service.handle_sla_notice(notices[5:])
    for tenant in tenants:
        alerts, _ = await service.list(tenant, review_id="", page_size=100, page_token="", rule="case_sla")
        assert sorted((a.labels["case_id"], a.labels["stage"]) for a in alerts) == sorted(
            (c.id, stage) for c in cases if c.tenant_id == tenant for stage in ("warning", "breached")
        )
        opened = [
            Delivery(message=events_pb2.CaseOpened(case=case_pb2.Case(id=str(uuid.uuid4()), tenant_id=tenant, alert_id=a.id)),
                     subject=topology.CASE_OPENED, headers={}, context=extract_context({}), deliveries=1, stream_sequence=0, raw=None)
            for a in alerts
        ]
        await service.handle_case_opened(opened + opened[:1])
        linked = {a.id: a.case_id for a in (await service.list(tenant, review_id="", page_size=100, page_token=""))[0]}
        assert linked == {d.message.case.alert_id: d.message.case.id for d in opened}


async def recount(pool, tenant: uuid.UUID, kind: str, value: str) -> dict[date, tuple[int, int, int, int]]:
    column = {"marketplace": "marketplace", "store": "store_id", "product": "product_id"}[kind]
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"""SELECT local_day, count(*) AS n, sum(rating) AS s, count(*) FILTER (WHERE rating <= 2) AS neg,
                       sum(rating * rating) AS sq
                FROM review_facts WHERE tenant_id = $1 AND {column} = $2 AND NOT competitor GROUP BY local_day""",
            tenant, value,
        )
    return {r["local_day"]: (r["n"], r["s"], r["neg"], r["sq"]) for r in rows}


async def test_the_figures_trends_are_judged_on_follow_edited_and_redelivered_reviews(service: AlertingService, pool) -> None:
    tenant = str(uuid.uuid4())
    v1 = [analyzed(tenant, f"e{i}", 1 + i % 5, product=f"P{i % 3}", aspects=("damaged",) if i % 2 else ("logistics", "damaged"),
                   score=(0.49, 0.5, 0.555, 0.9, None, 0.29)[i % 6])
          for i in range(30)]
    competitor = analyzed(tenant, "rival", 1, competitor=True, aspects=("damaged",))
    await service.handle_analyzed(v1 + [competitor])
    # NOTE: edits: ratings raised, a review moved to another product and day, aspects dropped; then
    # the old versions arrive late (a redelivery) and must change nothing.
    v2 = [analyzed(tenant, f"e{i}", 5 if i % 2 else 2, version=2, product="P9" if i == 4 else f"P{i % 3}",
                   posted_at=POSTED - timedelta(days=1) if i == 7 else POSTED, aspects=() if i == 9 else ("damaged",),
                   score=0.6)
          for i in range(0, 30, 2)] + [analyzed(tenant, f"e{i}", 4, version=3, aspects=("damaged",), score=0.5) for i in range(1, 30, 4)]
    await service.handle_analyzed(v2)
    await service.handle_analyzed(v1)

    t = uuid.UUID(tenant)
    first, last = POSTED.date() - timedelta(days=3), POSTED.date()
    async with pool.acquire() as conn:
        for kind, value in (("marketplace", "DE"), ("store", ""), ("product", "P0"), ("product", "P1"), ("product", "P9")):
            figures = await evaluation_repository.daily_figures(conn, kind=kind, keys=[(t, value, first, last, 2)])
            got = {day: (f.reviews, f.rating_sum, f.negatives, f.rating_sq_sum) for day, f in figures.get((t, value), {}).items()}
            assert got == await recount(pool, t, kind, value), (kind, value)
        for threshold in (0.29, 0.5, 0.555, 0.9):
            counted = await evaluation_repository.aspect_counts(conn, keys=[(t, "DE", first, last, 2, 4, threshold)])
            expected = await conn.fetch(
                """SELECT aspect, local_day, count(*) AS n FROM review_facts, unnest(aspects) AS aspect
                   WHERE tenant_id = $1 AND NOT competitor AND (rating <= 2 OR (rating <= 4 AND negative_score >= $2))
                   GROUP BY aspect, local_day""",
                t, threshold,
            )
            assert {(a, d): n for a, by_day in counted[(t, "DE")].items() for d, n in by_day.items()} == {
                (r["aspect"], r["local_day"]): r["n"] for r in expected
            }, threshold
