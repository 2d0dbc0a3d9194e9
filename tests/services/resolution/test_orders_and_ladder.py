"""A case knows its order and customer (from the review or an order posted later), review requests spare
unhappy customers, and compensation obeys the ladder: the 150% cap, explicit exchange rates, approval by
someone else, the buyer's answer, a new offer after a declined one, every step in the ledger."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from libs import topology
from libs.bus import Delivery
from libs.errors import InvalidArgument
from libs.telemetry import extract_context
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import review_pb2
from reviewguard.resolution.v1 import case_pb2, resolution_pb2
from tests.services.resolution.conftest import MONDAY_9_UTC, open_case, send_requests

S = case_pb2


def ingested(tenant: str, *, order_id: str = "", reviewer: str = "", rating: int = 1, posted_at: datetime = MONDAY_9_UTC,
             external_id: str = "R2KX9QWERTY01", review_id: str | None = None, history: bool = False) -> Delivery:
    review = review_pb2.Review(
        id=review_id or str(uuid.uuid4()), tenant_id=tenant, platform="amazon", marketplace="DE", external_id=external_id,
        product_id="B0KETTLE01", order_id=order_id, reviewer=review_pb2.Reviewer(id=reviewer, name="M. Weber"), rating=rating,
        title="Kaputt angekommen", body="Der Wasserkocher kam mit einem Riss im Gehäuse an.", history=history,
    )
    review.posted_at.FromDatetime(posted_at)
    return Delivery(message=events_pb2.ReviewIngested(review=review), subject=topology.REVIEW_INGESTED, headers={},
                    context=extract_context({}), deliveries=1, stream_sequence=0, raw=None)


def order(order_id: str, *, customer: str, value: str = "49.90", currency: str = "EUR", spend: str = "640", delivered: datetime = MONDAY_9_UTC):
    o = resolution_pb2.Order(order_id=order_id, platform="amazon", marketplace="DE", fulfilment="platform", customer_id=customer,
                             product_name="Wasserkocher", value=value, currency=currency, annual_spend_usd=spend)
    o.delivered_at.FromDatetime(delivered)
    return o


def order_facts(events) -> list[dict]:
    return [json.loads(e.detail_json) for e in events if e.kind == "order_linked"]


async def contacted_case_with_order(workflow, tenant: str, *, order_id: str, value: str = "49.90", currency: str = "EUR"):
    review = ingested(tenant, order_id=order_id, reviewer="A2WEBER")
    await workflow.handle_reviews_ingested([review])
    case = await open_case(workflow, tenant, review_id=review.message.review.id)
    await workflow.submit_orders(tenant, [order(order_id, customer="A2WEBER", value=value, currency=currency)])
    for status in (S.CASE_STATUS_ASSIGNED, S.CASE_STATUS_CONTACTED):
        case = await workflow.transition(tenant, case.id, to_status=status, reason=0, actor="lena", note="")
    return case


def offer(tenant: str, case_id: str, cost: str, *, option: str = "partial_refund_20", currency: str = "EUR", actor: str = "lena", usd_rate: str = ""):
    return resolution_pb2.RecordOfferRequest(tenant_id=tenant, case_id=case_id, option=option, cost=cost, currency=currency,
                                             usd_rate=usd_rate, actor=actor)


async def test_a_case_learns_the_order_posted_later_and_shows_value_currency_and_vip(workflow) -> None:
    tenant = str(uuid.uuid4())
    review = ingested(tenant, order_id="302-4455667-1122334", reviewer="A2WEBER")
    await workflow.handle_reviews_ingested([review])
    case = await open_case(workflow, tenant, review_id=review.message.review.id)
    # The review named the order, so the case knows it at once; the order itself is not known yet.
    assert case.order_id == "302-4455667-1122334" and case.customer_id == ""
    assert order_facts(await workflow.list_events(tenant, case.id)) == []

    accepted, _, _ = await workflow.submit_orders(tenant, [order("302-4455667-1122334", customer="A2WEBER", spend="640")])
    assert accepted == 1
    case = await workflow.get(tenant, case.id)
    assert case.customer_id == "A2WEBER"
    (facts,) = order_facts(await workflow.list_events(tenant, case.id))
    assert facts == {"order_id": "302-4455667-1122334", "customer_id": "A2WEBER", "value": "49.90", "currency": "EUR",
                     "fulfilment": "platform", "annual_spend_usd": "640.00", "vip": True}

    # The other way round: the alert's case opens before resolution hears of the review.
    other = ingested(tenant, order_id="302-9999999-0000001", reviewer="A3SMALL", external_id="R3OTHER")
    case2 = await open_case(workflow, tenant, review_id=other.message.review.id)
    await workflow.submit_orders(tenant, [order("302-9999999-0000001", customer="A3SMALL", spend="120", value="19.99")])
    assert order_facts(await workflow.list_events(tenant, case2.id)) == []
    await workflow.handle_reviews_ingested([other])
    (facts2,) = order_facts(await workflow.list_events(tenant, case2.id))
    assert facts2["value"] == "19.99" and facts2["vip"] is False and (await workflow.get(tenant, case2.id)).customer_id == "A3SMALL"

    # A tenant's own VIP threshold decides.
    await workflow.put_policy(tenant, '{"vip_annual_spend_usd": 100}')
    third = ingested(tenant, order_id="302-1010101-0000002", reviewer="A4")
    await workflow.handle_reviews_ingested([third])
    case3 = await open_case(workflow, tenant, review_id=third.message.review.id)
    await workflow.submit_orders(tenant, [order("302-1010101-0000002", customer="A4", spend="120")])
    assert order_facts(await workflow.list_events(tenant, case3.id))[0]["vip"] is True


async def test_review_requests_spare_customers_with_an_open_case_or_a_recent_bad_review(workflow, pool) -> None:
    tenant = str(uuid.uuid4())
    # Weber has an open case for a 1★ review; the case knows her only through the review's order.
    review = ingested(tenant, order_id="302-0000001-0000001", reviewer="A2WEBER")
    await workflow.handle_reviews_ingested([review])
    case = await open_case(workflow, tenant, review_id=review.message.review.id)
    # Klein wrote a 2★ review 30 days ago (history import) whose case is long closed; Braun is happy.
    old = ingested(tenant, order_id="302-0000002-0000001", reviewer="A5KLEIN", rating=2, posted_at=MONDAY_9_UTC - timedelta(days=30),
                   external_id="R5OLD", history=True)
    await workflow.handle_reviews_ingested([old])
    orders = [order("302-0000001-0000002", customer="A2WEBER"), order("302-0000002-0000002", customer="A5KLEIN"),
              order("302-0000003-0000002", customer="A6BRAUN")]
    accepted, duplicates, _ = await workflow.submit_orders(tenant, orders)
    assert (accepted, duplicates) == (3, 0)
    await workflow.submit_orders(tenant, [order("302-0000001-0000001", customer="A2WEBER")])
    assert (await workflow.get(tenant, case.id)).customer_id == "A2WEBER"

    sent = await workflow.run_review_requests(now=MONDAY_9_UTC + timedelta(days=12))
    by_customer = {r.customer_id: r for r in await workflow.list_review_requests(tenant, status="") if r.order_id.endswith("0002")}
    assert by_customer["A2WEBER"].status == "skipped_open_case"
    assert by_customer["A5KLEIN"].status == "skipped_negative_review" and "2-star" in by_customer["A5KLEIN"].status_detail
    assert by_customer["A6BRAUN"].status == "sending"
    assert sent == len([m for m in await send_requests(pool) if m.customer_id == "A6BRAUN"]) == 1
    # At most once per order: the same order posted again schedules nothing, a second run sends nothing.
    again_accepted, again_duplicates, again = await workflow.submit_orders(tenant, [orders[2]])
    assert (again_duplicates, again) == (1, [])
    assert await workflow.run_review_requests(now=MONDAY_9_UTC + timedelta(days=20)) == 0

    # With a shorter quiet period, Klein is invited for her next order.
    await workflow.put_policy(tenant, '{"review_request_quiet_days": 14}')
    await workflow.submit_orders(tenant, [order("302-0000002-0000003", customer="A5KLEIN")])
    await workflow.run_review_requests(now=MONDAY_9_UTC + timedelta(days=12))
    assert {r.order_id: r.status for r in await workflow.list_review_requests(tenant, status="")}["302-0000002-0000003"] == "sending"


async def test_500_eur_on_a_49_90_order_is_refused_naming_the_cap(workflow) -> None:
    tenant = str(uuid.uuid4())
    case = await contacted_case_with_order(workflow, tenant, order_id="302-5000000-0000001")
    with pytest.raises(InvalidArgument) as refused:
        await workflow.record_offer(offer(tenant, case.id, "500.00", option="full_refund", usd_rate="1.08"))
    assert refused.value.http_status == 422
    assert "cap of 74.85 EUR" in refused.value.message and "150% of the order value 49.90 EUR" in refused.value.message
    assert await workflow.list_offers(tenant, case.id) == []

    # The offers of a case together stay within the cap.
    first = await workflow.record_offer(offer(tenant, case.id, "49.90", option="full_refund", usd_rate="1.08", actor="lena"))
    assert first.status == "offered"
    with pytest.raises(InvalidArgument, match="already offered") as over:
        await workflow.record_offer(offer(tenant, case.id, "30.00", option="partial_refund_30", usd_rate="1.08", actor="lena"))
    assert "at most 24.95 EUR is left" in over.value.message

    # An offer in another currency is converted by the tenant's explicit rates, or refused without one.
    with pytest.raises(InvalidArgument, match="no exchange rate for EUR"):
        await workflow.record_offer(offer(tenant, case.id, "20.00", currency="USD"))
    await workflow.put_policy(tenant, '{"fx_usd_rates": {"EUR": 1.08}}')
    dollars = await workflow.record_offer(offer(tenant, case.id, "20.00", currency="USD", option="goodwill_credit"))
    assert dollars.cost_usd == "20.00"
    with pytest.raises(InvalidArgument, match="cap of 74.85 EUR"):
        await workflow.record_offer(offer(tenant, case.id, "10.00", currency="USD", option="goodwill_credit"))


async def test_without_an_order_value_cash_offers_stay_under_the_tenant_ceiling(workflow) -> None:
    tenant = str(uuid.uuid4())
    case = await open_case(workflow, tenant)
    for status in (S.CASE_STATUS_ASSIGNED, S.CASE_STATUS_CONTACTED):
        await workflow.transition(tenant, case.id, to_status=status, reason=0, actor="lena", note="")
    with pytest.raises(InvalidArgument, match="order value of this case is unknown.*25.0 USD"):
        await workflow.record_offer(offer(tenant, case.id, "40.00", option="full_refund", usd_rate="1.08"))
    # A replacement is goods, not cash; a small goodwill refund is fine.
    assert (await workflow.record_offer(offer(tenant, case.id, "15.00", option="partial_refund_10", usd_rate="1.08"))).status == "offered"
    await workflow.put_policy(tenant, '{"no_order_cash_ceiling_usd": 60}')
    assert (await workflow.record_offer(offer(tenant, case.id, "40.00", option="full_refund", usd_rate="1.08"))).status == "offered"


async def test_the_full_ladder_with_an_approver_a_declined_offer_and_a_new_one(workflow, clock) -> None:
    tenant = str(uuid.uuid4())
    await workflow.put_policy(tenant, json.dumps({"approval_threshold_usd": 20, "fx_usd_rates": {"EUR": 1.08},
                                                  "agent_limits_usd": {"team-lead": 500, "mia": 30}}))
    case = await contacted_case_with_order(workflow, tenant, order_id="302-6000000-0000001", value="89.90")
    small = await workflow.record_offer(offer(tenant, case.id, "8.99", option="partial_refund_10"))
    assert small.status == "offered" and (await workflow.get(tenant, case.id)).status == S.CASE_STATUS_COMPENSATION_OFFERED
    big = await workflow.record_offer(offer(tenant, case.id, "62.93", option="partial_refund_70_goodwill"))
    assert big.status == "pending_approval" and big.requires_approval
    with pytest.raises(InvalidArgument, match="mia's limit of 30 USD is below"):
        await workflow.approve_offer(tenant, case.id, big.id, approver="mia")
    # Approving while the case is already in compensation_offered works (it was a 409 before).
    approved = await workflow.approve_offer(tenant, case.id, big.id, approver="team-lead")
    assert approved.status == "offered" and approved.approved_by == "team-lead" and approved.HasField("approved_at")
    # The team lead's own limit covers an offer without approval.
    with pytest.raises(InvalidArgument, match="only pending"):
        await workflow.approve_offer(tenant, case.id, big.id, approver="boss")

    declined = await workflow.decide_offer(tenant, case.id, big.id, decision="declined", actor="buyer")
    assert declined.status == "declined"
    assert (await workflow.get(tenant, case.id)).status == S.CASE_STATUS_COMPENSATION_OFFERED  # the small one is still out
    await workflow.decide_offer(tenant, case.id, small.id, decision="declined", actor="buyer")
    assert (await workflow.get(tenant, case.id)).status == S.CASE_STATUS_AWAITING_CUSTOMER
    with pytest.raises(InvalidArgument, match="only an offer the buyer has"):
        await workflow.decide_offer(tenant, case.id, small.id, decision="accepted", actor="buyer")

    # Declined offers free the cap (134.85 EUR): a new, larger one is possible.
    clock.advance(hours=2)
    reship = await workflow.record_offer(offer(tenant, case.id, "103.39", option="reship_with_discount", actor="team-lead"))
    assert reship.status == "offered" and not reship.requires_approval
    assert (await workflow.get(tenant, case.id)).status == S.CASE_STATUS_COMPENSATION_OFFERED
    accepted = await workflow.decide_offer(tenant, case.id, reship.id, decision="accepted", actor="buyer")
    assert accepted.status == "accepted"

    ledger = [(e.kind, json.loads(e.detail_json).get("offer_id")) for e in await workflow.list_events(tenant, case.id)
              if e.kind.startswith("offer_")]
    assert [k for k, _ in ledger] == [
        "offer_recorded", "offer_offered",                                     # small, within lena's 20 USD
        "offer_recorded", "offer_approved", "offer_offered", "offer_declined",  # big, approved by the team lead
        "offer_declined",                                                      # small
        "offer_recorded", "offer_offered", "offer_accepted",                   # the reship
    ]
    assert [o.status for o in await workflow.list_offers(tenant, case.id)] == ["declined", "declined", "accepted"]


async def test_an_edited_review_keeps_its_facts_current(workflow) -> None:
    tenant = str(uuid.uuid4())
    # A 1★ review without an order; the buyer later edits it: adds the order number and raises it to 4★.
    first = ingested(tenant, reviewer="A7LATER", rating=1, posted_at=MONDAY_9_UTC - timedelta(days=5))
    await workflow.handle_reviews_ingested([first])
    case = await open_case(workflow, tenant, review_id=first.message.review.id)
    await workflow.submit_orders(tenant, [order("302-7777777-0000001", customer="A7LATER", value="29.90")])
    edited = review_pb2.Review()
    edited.CopyFrom(first.message.review)
    edited.order_id, edited.rating = "302-7777777-0000001", 4
    update = Delivery(message=events_pb2.ReviewUpdated(review=edited, old_rating=1, new_rating=4, changed_fields=["rating", "order_id"]),
                      subject=topology.REVIEW_UPDATED, headers={}, context=extract_context({}), deliveries=1, stream_sequence=0, raw=None)
    await workflow.handle_review_updated([update])
    (facts,) = order_facts(await workflow.list_events(tenant, case.id))
    assert facts["order_id"] == "302-7777777-0000001" and facts["value"] == "29.90"
    # Resolved, and the review is no longer negative: the next order's invitation goes out.
    await workflow.transition(tenant, case.id, to_status=S.CASE_STATUS_ASSIGNED, reason=0, actor="lena", note="")
    await workflow.transition(tenant, case.id, to_status=S.CASE_STATUS_RESOLVED, reason=S.RESOLUTION_REASON_REVIEW_UPDATED, actor="lena", note="")
    await workflow.submit_orders(tenant, [order("302-7777777-0000002", customer="A7LATER")])
    await workflow.run_review_requests(now=MONDAY_9_UTC + timedelta(days=12))
    statuses = {r.order_id: r.status for r in await workflow.list_review_requests(tenant, status="")}
    assert statuses["302-7777777-0000002"] == "sending"
