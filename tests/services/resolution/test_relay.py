"""The case-events relay: a move's follow-on effects (A/B outcomes, knowledge base) run from the outbox,
once each, after the move committed; a relay cut short is caught up by the next round. The events
go out through libs/outbox.py's ordered mode: one case's in commit order, each once, however many
replicas relay. And the bus adapter: a message that can never be handled is refused as invalid."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from libs import topology
from libs.bus import Bus, Delivery
from libs.embedded import EmbeddedNats
from libs.errors import InvalidArgument
from libs.metrics import Metrics
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import review_pb2
from reviewguard.resolution.v1 import case_pb2
from services.resolution.cases import flows as cases
from services.resolution.relay import CaseEventRelay
from services.resolution.service import ResolutionService
from services.resolution.sla import SlaPolicy
from tests.helpers import eventually
from tests.services.resolution.conftest import fired_alert, open_case

TENANT = str(uuid.uuid4())
BUYER = {"buyer_name": "Ms Weber", "product_name": "Kettle 1.7 l", "order_id": "302-1234567-1234567", "seller_name": "Kettle Co."}
SEARCH = {"query": "", "issue_type": "", "region": "", "outcome": "", "limit": 20}


async def test_a_resolution_reaches_the_knowledge_base_and_the_variant_stats_through_the_relay(workflow, clock) -> None:
    case = await open_case(workflow, TENANT, summary="Kettle arrived with a cracked lid")
    await workflow.update_case(TENANT, case.id, language="en", issue_type="damaged", customer_id="", order_id="", platform="", actor="")
    await workflow.send_reply(TENANT, case.id, text="", scenario="damaged", language="en", placeholders=BUYER, variant="", actor="lena")
    await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_AWAITING_CUSTOMER, reason=0, actor="", note="")
    clock.advance(hours=1)
    # NOTE: the move alone, as a crash right after its commit would leave it: the case is resolved,
    # its effects wait in the outbox.
    await cases.transition(
        workflow._ctx, tenant=uuid.UUID(TENANT), case=uuid.UUID(case.id), to_status=case_pb2.CASE_STATUS_RESOLVED,
        reason=case_pb2.RESOLUTION_REASON_CUSTOMER_SATISFIED, actor="lena", note="replacement sent",
    )
    assert (await workflow.get(TENANT, case.id)).status == case_pb2.CASE_STATUS_RESOLVED
    assert await workflow.search_knowledge(TENANT, **SEARCH) == []
    (before,) = await workflow.variant_stats(TENANT, scenario="damaged", language="en")
    assert (before.sent, before.responded, before.resolved) == (1, 0, 0)

    assert await workflow.relay.apply_effects() == 1
    assert await workflow.relay.apply_effects() == 0  # once each
    (entry,) = await workflow.search_knowledge(TENANT, **SEARCH)
    assert (entry.case_id, entry.outcome) == (case.id, "customer_satisfied")
    (after,) = await workflow.variant_stats(TENANT, scenario="damaged", language="en")
    assert (after.sent, after.responded, after.resolved) == (1, 1, 1)


async def test_a_reply_sent_after_a_move_takes_no_outcome_from_it(workflow, clock) -> None:
    case = await open_case(workflow, TENANT)
    await workflow.update_case(TENANT, case.id, language="en", issue_type="damaged", customer_id="", order_id="", platform="", actor="")
    await workflow.send_reply(TENANT, case.id, text="", scenario="damaged", language="en", placeholders=BUYER, variant="", actor="lena")
    await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_AWAITING_CUSTOMER, reason=0, actor="", note="")
    clock.advance(minutes=5)
    await cases.transition(
        workflow._ctx, tenant=uuid.UUID(TENANT), case=uuid.UUID(case.id), to_status=case_pb2.CASE_STATUS_CONTACTED, reason=0,
        actor="lena", note="",
    )
    clock.advance(minutes=5)
    await workflow.send_reply(TENANT, case.id, text="", scenario="damaged", language="en", placeholders=BUYER, variant="", actor="lena")
    replies = await workflow.list_replies(TENANT, case.id)
    assert len(replies) == 2
    # NOTE: the buyer answered the first reply (awaiting customer → contacted); the second came after.
    assert [r.responded for r in replies] == [True, False]


async def test_a_message_with_an_id_that_is_not_a_uuid_is_refused_as_invalid(workflow) -> None:
    # NOTE: InvalidArgument is what the bus sends to the dead-letter queue at once (libs/bus.py _fail).
    bad = fired_alert(TENANT)
    bad.message.alert.tenant_id = "not-a-uuid"
    with pytest.raises(InvalidArgument):
        await workflow.handle_fired([bad])
    review = fired_alert(TENANT)
    ingested = Delivery(
        message=events_pb2.ReviewIngested(review=review_pb2.Review(id="r-1", tenant_id=TENANT)), subject=topology.REVIEW_INGESTED,
        headers={}, context=review.context, deliveries=1, stream_sequence=0, raw=None,
    )
    with pytest.raises(InvalidArgument):
        await workflow.handle_reviews_ingested([ingested])


# ---- publication: libs/outbox.py in its ordered mode ---------------------------------------------

MOVES = (case_pb2.CASE_STATUS_ESCALATED, case_pb2.CASE_STATUS_CONTACTED, case_pb2.CASE_STATUS_AWAITING_CUSTOMER, case_pb2.CASE_STATUS_CONTACTED)


async def _published_event_ids(bus: Bus) -> dict[str, list[str]]:
    """The case-event ids of every cases.updated message in the stream, per case, in stream order."""
    info = await bus.jetstream.stream_info(topology.CASES.name)
    found: dict[str, list[str]] = {}
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await bus.jetstream.get_msg(topology.CASES.name, seq)
        if msg.subject == topology.CASE_UPDATED:
            event = events_pb2.CaseUpdated.FromString(msg.data).event
            found.setdefault(event.case_id, []).append(event.id)
    return found


async def _committed_event_ids(pool, case_id: str) -> list[str]:
    """A case's cases.updated events that the relay publishes, in the order they committed (seq)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT id FROM case_events WHERE case_id = $1 AND subject = $2 AND kind <> 'opened' ORDER BY seq",
            uuid.UUID(case_id), topology.CASE_UPDATED,
        )
    return [str(r["id"]) for r in rows]


async def test_moves_committed_while_nats_is_down_are_published_in_commit_order_once_it_is_back(
    pool, clock, toolkit, nats_server: EmbeddedNats
) -> None:
    bus = await Bus.connect(nats_server.url, name="replica", duplicate_window_seconds=60, publish_retry_seconds=0, metrics=Metrics("replica"))
    try:
        await bus.ensure_streams()
        workflow = ResolutionService(pool=pool, sla=SlaPolicy(), bus=bus, clock=clock, toolkit=toolkit)
        case = await open_case(workflow, TENANT)

        nats_server.kill()
        for to_status in MOVES[:3]:
            clock.advance(minutes=1)
            # NOTE: each move commits and answers although its event cannot go out.
            moved = await workflow.transition(TENANT, case.id, to_status=to_status, reason=0, actor="lena", note="")
            assert moved.status == to_status
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM case_events WHERE published_at IS NULL") == 3, "the events wait in order"

        nats_server.start()
        await eventually(lambda: asyncio.sleep(0, bus.connected))
        assert await workflow.publish_pending() == 3
        assert await workflow.publish_pending() == 0
        expected = await _committed_event_ids(pool, case.id)
        assert len(expected) == 3
        assert (await _published_event_ids(bus))[case.id] == expected, "in commit order, each once"
    finally:
        await bus.close()


async def test_two_replicas_relaying_at_once_keep_each_cases_order_without_doubles(pool, clock, toolkit, nats_server, bus) -> None:
    opener = ResolutionService(pool=pool, sla=SlaPolicy(), bus=bus, clock=clock, toolkit=toolkit)
    offline = ResolutionService(pool=pool, sla=SlaPolicy(), bus=None, clock=clock, toolkit=toolkit)
    opened = [await open_case(opener, TENANT) for _ in range(4)]
    # NOTE: the moves interleave across cases, so each relay batch holds several cases' events.
    for to_status in MOVES:
        for case in opened:
            clock.advance(seconds=1)
            await offline.transition(TENANT, case.id, to_status=to_status, reason=0, actor="lena", note="")

    metrics = [Metrics("replica-a"), Metrics("replica-b")]
    buses = [await Bus.connect(nats_server.url, name=f"replica-{i}", duplicate_window_seconds=60, metrics=m) for i, m in enumerate(metrics)]
    try:
        relays = [CaseEventRelay(ctx=offline._ctx, bus=b) for b in buses]

        async def drain(relay: CaseEventRelay) -> int:
            total = 0
            while published := await relay.publish_pending(limit=3):
                total += published
            return total

        assert sum(await asyncio.gather(*(drain(r) for r in relays))) == len(opened) * len(MOVES)
        published = await _published_event_ids(bus)
        for case in opened:
            assert published[case.id] == await _committed_event_ids(pool, case.id)
        for m in metrics:
            assert not m.registry.get_sample_value(
                "reviewguard_bus_published_total", {"subject": topology.CASE_UPDATED, "outcome": "duplicate"}
            ), "no event was published twice"
    finally:
        for b in buses:
            await b.close()
