"""Review requests: scheduled after delivery by fulfilment, later around holidays, tiered, never to a buyer
with an open case, never with incentive wording, each handed to ingest exactly once, its outcome recorded."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from libs import topology
from libs.errors import InvalidArgument
from reviewguard.events.v1 import events_pb2
from reviewguard.resolution.v1 import resolution_pb2
from services.resolution.calendar.service import load_calendar
from tests.services.resolution.conftest import delivery, open_case, send_requests

TENANT = str(uuid.uuid4())
DELIVERED = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def order(order_id: str, *, marketplace="DE", fulfilment="platform", customer="c-1", spend="120", delivered=DELIVERED, platform="amazon", language="", product="Wasserkocher"):
    o = resolution_pb2.Order(
        order_id=order_id, platform=platform, marketplace=marketplace, fulfilment=fulfilment, customer_id=customer, language=language,
        product_name=product, value="89.90", currency="EUR", annual_spend_usd=spend,
    )
    o.delivered_at.FromDatetime(delivered)
    return o


def at(ts) -> datetime:
    return ts.ToDatetime(tzinfo=timezone.utc)


async def test_schedule_by_fulfilment_holidays_and_quiet_hours(workflow) -> None:
    orders = [order(f"302-000000{i}-1", fulfilment="platform") for i in range(6)]
    orders += [order(f"113-000000{i}-2", marketplace="US", fulfilment="merchant", product="Kettle") for i in range(6)]
    accepted, duplicates, scheduled = await workflow.submit_orders(TENANT, orders)
    assert (accepted, duplicates, len(scheduled)) == (12, 0, 12)
    for request in scheduled:
        days = (at(request.send_at) - DELIVERED) / timedelta(days=1)
        if request.order_id.startswith("302"):
            assert 3 <= days <= 5, (request.order_id, days)
        else:
            # NOTE: Thanksgiving (26 November) falls in the US window: 2–3 days later, and 10:00 UTC
            # is night in New York, so the message waits for 08:00 there.
            assert 7 + 2 <= days <= 10 + 3 + 1, (request.order_id, days)
            assert "Thanksgiving" in request.status_detail
            assert at(request.send_at).astimezone(ZoneInfo("America/New_York")).hour >= 8
    # NOTE: the days spread over the range instead of all going out on the same day.
    assert len({at(r.send_at).date() for r in scheduled if r.order_id.startswith("302")}) > 1
    assert {r.language for r in scheduled} == {"de", "en"}

    # Delivered just before Christmas: 2–3 days later, and never on a holiday or at night in Berlin.
    christmas = [order(f"302-999999{i}-3", fulfilment="merchant", delivered=datetime(2026, 12, 21, 20, 0, tzinfo=timezone.utc)) for i in range(5)]
    _, _, late = await workflow.submit_orders(TENANT, christmas)
    calendar = load_calendar(marketplace="DE")
    for request in late:
        local = at(request.send_at).astimezone(ZoneInfo("Europe/Berlin"))
        assert 9 <= (at(request.send_at) - datetime(2026, 12, 21, 20, 0, tzinfo=timezone.utc)) / timedelta(days=1) <= 14
        assert calendar.holiday_name(local.date()) is None and 8 <= local.hour < 21
        assert "Weihnachtstag" in request.status_detail or "Christmas" in request.status_detail

    _, duplicates, again = await workflow.submit_orders(TENANT, orders[:2])
    assert (duplicates, again) == (2, [])
    with pytest.raises(InvalidArgument) as bad:
        await workflow.submit_orders(TENANT, [order("x", fulfilment="drone", marketplace="ZZ")])
    assert {v.field for v in bad.value.violations} == {"orders[0].fulfilment", "orders[0].marketplace"}


async def test_invitations_are_localised_tiered_and_handed_to_ingest_exactly_once(workflow, pool) -> None:
    await workflow.submit_orders(TENANT, [
        order("250-1111111-1", marketplace="JP", customer="tanaka", spend="820", product="電気ケトル"),
        order("171-2222222-2", marketplace="FR", customer="martin", product="Bouilloire"),
        order("302-3333333-3", marketplace="DE", customer="weber", product="Wasserkocher"),
    ])
    assert await workflow.run_review_requests(now=DELIVERED + timedelta(days=2)) == 0
    # NOTE: 23 November is Labour Thanksgiving Day in Japan, so the JP invitation may wait 8 days.
    assert await workflow.run_review_requests(now=DELIVERED + timedelta(days=10)) == 3
    queued = {m.customer_id: m for m in await send_requests(pool)}
    assert set(queued) == {"tanaka", "martin", "weber"}
    # The VIP by message and email, the others by the order-page button.
    assert [list(queued[c].channels) for c in ("tanaka", "martin", "weber")] == [["message", "email"], ["order_page_button"], ["order_page_button"]]
    assert "電気ケトル" in queued["tanaka"].text and "レビュー" in queued["tanaka"].text
    assert "avis" in queued["martin"].text and "Bewertung" in queued["weber"].text
    assert (queued["weber"].platform, queued["weber"].order_id, queued["weber"].marketplace) == ("amazon", "302-3333333-3", "DE")
    assert queued["weber"].delivered_at.ToDatetime(tzinfo=timezone.utc) == DELIVERED
    assert await workflow.run_review_requests(now=DELIVERED + timedelta(days=11)) == 0
    assert len(await send_requests(pool)) == 3
    sending = await workflow.list_review_requests(TENANT, status="sending")
    assert {r.tier for r in sending} == {"vip", "standard"} and not any(r.HasField("sent_at") for r in sending)


def outcome(request_id: str, kind: str, *, route: str = "amazon_solicitations", reason: str = "", platform_id: str = "", at=None, not_before=None):
    message = events_pb2.ReviewRequestOutcome(tenant_id=TENANT, request_id=request_id, outcome=kind, route=route, reason=reason, platform_request_id=platform_id)
    message.at.FromDatetime(at or DELIVERED + timedelta(days=6))
    if not_before is not None:
        message.not_before.FromDatetime(not_before)
    return delivery(message, topology.REVIEW_REQUEST_OUTCOME)


async def test_each_outcome_is_recorded_once_and_a_deferred_request_goes_out_again_on_its_day(workflow, pool) -> None:
    await workflow.submit_orders(TENANT, [order(f"302-000000{i}-7", customer=f"c{i}") for i in range(5)])
    assert await workflow.run_review_requests(now=DELIVERED + timedelta(days=6)) == 5
    ids = {r.order_id: r.id for r in await workflow.list_review_requests(TENANT, status="sending")}
    reopens = DELIVERED + timedelta(days=9)
    answers = [
        outcome(ids["302-0000000-7"], "sent", platform_id="302-0000000-7/productReviewAndSellerFeedback"),
        outcome(ids["302-0000001-7"], "refused", reason="Amazon offers no review request for this order (already requested, or not eligible)"),
        outcome(ids["302-0000002-7"], "failed", reason="amazon_sp: Login with Amazon refused the refresh token"),
        outcome(ids["302-0000003-7"], "manual", route="email", reason="ReviewGuard sends no e-mail: send the text by hand"),
        outcome(ids["302-0000004-7"], "deferred", reason="not before day 9", not_before=reopens),
    ]
    await workflow.consumers.handle_review_request_outcome(answers)
    # A redelivered answer changes nothing.
    await workflow.consumers.handle_review_request_outcome([outcome(ids["302-0000000-7"], "failed", reason="late copy")])
    requests = {r.order_id: r for r in await workflow.list_review_requests(TENANT, status="")}
    sent, refused, failed, manual, deferred = (requests[f"302-000000{i}-7"] for i in range(5))
    assert (sent.status, sent.route, sent.platform_request_id) == ("sent", "amazon_solicitations", "302-0000000-7/productReviewAndSellerFeedback")
    assert at(sent.sent_at) == at(sent.outcome_at) == DELIVERED + timedelta(days=6)
    assert (refused.status, failed.status, manual.status, manual.route) == ("refused", "failed", "manual", "email")
    assert "already requested" in refused.status_detail and not refused.HasField("sent_at") and refused.HasField("outcome_at")
    assert manual.text.startswith("Guten Tag"), "a manual request keeps its localised text, ready to send by hand"
    assert (deferred.status, at(deferred.send_at), deferred.status_detail) == ("scheduled", reopens, "not before day 9")
    assert [r.order_id for r in await workflow.list_review_requests(TENANT, status="refused")] == ["302-0000001-7"]

    assert await workflow.run_review_requests(now=reopens - timedelta(hours=1)) == 0
    assert await workflow.run_review_requests(now=reopens) == 1
    assert [m.order_id for m in await send_requests(pool)][-1] == "302-0000004-7"
    with pytest.raises(InvalidArgument):
        await workflow.list_review_requests(TENANT, status="lost")


async def test_no_invitation_to_a_customer_with_an_open_case_nor_with_incentive_wording(workflow, pool) -> None:
    case = await open_case(workflow, TENANT)
    await workflow.update_case(TENANT, case.id, language="", issue_type="", customer_id="weber", order_id="302-4444444-4", platform="", actor="")
    await workflow.put_policy(TENANT, json.dumps({"invitation_texts": {
        "en": "Thanks for order {{ order_id }}! Leave us a 5-star review and get a $10 gift card in exchange for a review.",
    }}))
    await workflow.submit_orders(TENANT, [
        order("302-4444444-4", customer="weber"),
        order("113-5555555-5", marketplace="US", customer="smith", product="Kettle"),
        order("302-6666666-6", customer="schulz"),
    ])
    await workflow.run_review_requests(now=DELIVERED + timedelta(days=15))
    requests = {r.order_id: r for r in await workflow.list_review_requests(TENANT, status="")}
    assert requests["302-4444444-4"].status == "skipped_open_case"
    assert requests["113-5555555-5"].status == "blocked_compliance"
    assert "review.incentive" in requests["113-5555555-5"].status_detail
    assert "review.request_positive" in requests["113-5555555-5"].status_detail
    assert requests["302-6666666-6"].status == "sending"
    assert [m.customer_id for m in await send_requests(pool)] == ["schulz"]
