"""Alerting and resolution consumers against real PostgreSQL and NATS: once per review, once per alert."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from libs import db, topology
from libs.bus import Bus, Delivery
from libs.embedded import EmbeddedNats
from libs.errors import InvalidArgument, NotFound
from libs.telemetry import extract_context
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from reviewguard.nlp.v1 import analysis_pb2
from libs.outbox import OutboxRelay
from services.alerting import app as alerting_app
from services.alerting import repository
from services.alerting.service import AlertingService
from tests.helpers import eventually, make_review

TENANT = str(uuid.uuid4())


@pytest.fixture
async def pool(database_url: str):
    await db.migrate(database_url, schema=alerting_app.SCHEMA, directory=alerting_app.MIGRATIONS)
    pool = await db.create_pool(database_url, schema=alerting_app.SCHEMA)
    yield pool
    await pool.close()


@pytest.fixture
async def service(pool):
    return AlertingService(pool=pool)


async def relay_all(pool, bus: Bus) -> None:
    """What the alerting app's relay does continuously: publish the outbox until it is empty."""
    relay = OutboxRelay(pool=pool, bus=bus, channel=repository.OUTBOX_CHANNEL, batch=100, poll_seconds=0.1)
    while await relay.publish_pending():
        pass


def analyzed(external_id: str, rating: int, *terms: tuple[str, str]) -> Delivery:
    review = make_review(external_id=external_id, rating=rating)
    review.id, review.tenant_id = str(uuid.uuid5(uuid.NAMESPACE_URL, external_id)), TENANT
    analysis = analysis_pb2.Analysis(
        review_id=review.id, tenant_id=TENANT, language="de",
        risk_terms=[analysis_pb2.RiskTerm(term=t, category=c) for t, c in terms],
    )
    return Delivery(
        message=events_pb2.ReviewAnalyzed(review=review, analysis=analysis), subject=topology.REVIEW_ANALYZED,
        headers={}, context=extract_context({}), deliveries=1, stream_sequence=0, raw=None,
    )


async def fired(pool, bus: Bus) -> list[str]:
    await relay_all(pool, bus)
    info = await bus.jetstream.stream_info(topology.ALERTS.name)
    if not info.state.messages:
        return []
    return [
        events_pb2.AlertFired.FromString((await bus.jetstream.get_msg(topology.ALERTS.name, s)).data).alert.id
        for s in range(info.state.first_seq, info.state.last_seq + 1)
    ]


async def test_negative_reviews_fire_once_even_when_redelivered(service: AlertingService, pool, bus: Bus) -> None:
    batch = [analyzed("one-star", 1), analyzed("five-star", 5), analyzed("risky", 4, ("betrug", "fraud"))]
    await service.handle_analyzed(batch)
    await service.handle_analyzed(batch)
    alerts, token = await service.list(TENANT, review_id="", page_size=10, page_token="")
    assert len(alerts) == 2 and token == ""
    assert sorted(await fired(pool, bus)) == sorted(a.id for a in alerts)


async def test_alert_history_pages_newest_first_and_filters_by_review(service: AlertingService) -> None:
    await service.handle_analyzed([analyzed(f"r{i}", 1) for i in range(5)])
    first, token = await service.list(TENANT, review_id="", page_size=2, page_token="")
    second, token2 = await service.list(TENANT, review_id="", page_size=2, page_token=token)
    third, token3 = await service.list(TENANT, review_id="", page_size=2, page_token=token2)
    ids = [a.id for a in first + second + third]
    assert len(ids) == len(set(ids)) == 5 and token3 == ""
    review_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "r3"))
    only, _ = await service.list(TENANT, review_id=review_id, page_size=10, page_token="")
    assert [a.review_id for a in only] == [review_id]


async def test_other_tenants_and_bad_tokens(service: AlertingService) -> None:
    await service.handle_analyzed([analyzed("x", 1)])
    alerts, _ = await service.list(str(uuid.uuid4()), review_id="", page_size=10, page_token="")
    assert alerts == []
    mine, _ = await service.list(TENANT, review_id="", page_size=10, page_token="")
    with pytest.raises(NotFound):
        await service.get(str(uuid.uuid4()), mine[0].id)
    with pytest.raises(InvalidArgument, match="page_token"):
        await service.list(TENANT, review_id="", page_size=10, page_token="garbage!")


async def test_a_syndicated_copy_is_not_alerted_twice(service: AlertingService) -> None:
    original = analyzed("orig", 1)
    copy = analyzed("copy", 1)
    copy.message.review.marketplace = "AT"
    copy.message.review.syndicated_from = original.message.review.id
    await service.handle_analyzed([original, copy])
    alerts, _ = await service.list(TENANT, review_id="", page_size=10, page_token="")
    assert [a.review_id for a in alerts] == [original.message.review.id]


async def test_case_sla_breach_becomes_one_alert(service: AlertingService, bus: Bus) -> None:
    from reviewguard.resolution.v1 import case_pb2

    case = case_pb2.Case(id=str(uuid.uuid4()), tenant_id=TENANT, review_id=str(uuid.uuid4()), marketplace="JP", product_id="B0X", owner="aiko")
    notice = events_pb2.CaseSlaNotice(case=case, sla="first_response", stage="breached")
    delivery = Delivery(message=notice, subject="cases.sla_breached", headers={}, context=extract_context({}),
                        deliveries=1, stream_sequence=0, raw=None)
    await service.handle_sla_notice([delivery])
    await service.handle_sla_notice([delivery])
    alerts, _ = await service.list(TENANT, review_id="", page_size=10, page_token="", rule="case_sla")
    assert len(alerts) == 1 and alerts[0].severity == alert_pb2.SEVERITY_HIGH
    assert alerts[0].labels["owner"] == "aiko" and "missed its first response" in alerts[0].summary


async def test_an_sla_alert_fired_while_nats_is_down_is_announced_once_when_it_is_back(
    service: AlertingService, pool, nats_server: EmbeddedNats
) -> None:
    """Issue 21: alerts.fired is written with the alert, so resolution still opens the case."""
    from reviewguard.resolution.v1 import case_pb2

    nats_server.kill()
    case = case_pb2.Case(id=str(uuid.uuid4()), tenant_id=TENANT, review_id=str(uuid.uuid4()), marketplace="DE", product_id="B0K", owner="lena")
    notice = events_pb2.CaseSlaNotice(case=case, sla="resolution", stage="breached")
    delivery = Delivery(message=notice, subject="cases.sla_breached", headers={}, context=extract_context({}),
                        deliveries=1, stream_sequence=0, raw=None)
    await service.handle_sla_notice([delivery])
    (alert,), _ = await service.list(TENANT, review_id="", page_size=10, page_token="", rule="case_sla")
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1, "the event waits beside the alert"

    nats_server.start()
    bus = await Bus.connect(nats_server.url, name="relay", duplicate_window_seconds=60)
    try:
        await bus.ensure_streams()
        relay = OutboxRelay(pool=pool, bus=bus, channel=repository.OUTBOX_CHANNEL, batch=100, poll_seconds=0.1)
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        await service.handle_sla_notice([delivery])  # redelivered: the alert exists, nothing more to announce
        async with pool.acquire() as conn:
            await eventually(lambda: conn.fetchval("SELECT count(*) = 0 FROM outbox"), timeout=30)
        stop.set()
        await task
        assert await fired(pool, bus) == [alert.id], "announced exactly once"
    finally:
        await bus.close()


async def test_a_message_with_an_id_that_is_not_a_uuid_is_refused_as_invalid(service: AlertingService) -> None:
    # NOTE: InvalidArgument is what the bus sends to the dead-letter queue at once (libs/bus.py _fail).
    bad = analyzed("bad-tenant", 1)
    bad.message.review.tenant_id = "not-a-uuid"
    with pytest.raises(InvalidArgument):
        await service.handle_analyzed([bad])
    assert (await service.list(TENANT, review_id="", page_size=10, page_token=""))[0] == []
