"""The case-events relay: a move's follow-on effects (A/B outcomes, knowledge base) run from the outbox,
once each, after the move committed; a relay cut short is caught up by the next round. And the bus
adapter: a message that can never be handled is refused as invalid."""

from __future__ import annotations

import uuid

import pytest

from libs import topology
from libs.bus import Delivery
from libs.errors import InvalidArgument
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import review_pb2
from reviewguard.resolution.v1 import case_pb2
from services.resolution.cases import flows as cases
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
