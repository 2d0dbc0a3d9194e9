"""Replies (templates, A/B, compliance), compensation offers with approval, appeals and the stored evidence chain."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import asyncpg
import pytest

from libs.errors import InvalidArgument
from reviewguard.resolution.v1 import case_pb2, resolution_pb2
from services.resolution.cases.service import TransitionNotAllowed
from tests.services.resolution.conftest import MONDAY_9_UTC, open_case

TENANT = str(uuid.uuid4())
BUYER = {"buyer_name": "Frau Weber", "product_name": "Wasserkocher 1,7 l", "order_id": "302-1234567-1234567", "seller_name": "Kettle Co."}


async def reply(workflow, case_id, **kw):
    args = {"text": "", "scenario": "", "language": "", "placeholders": {}, "variant": "", "actor": "lena"} | kw
    return await workflow.send_reply(TENANT, case_id, **args)


async def test_template_replies_in_the_buyers_language_are_first_responses(workflow, clock) -> None:
    case = await open_case(workflow, TENANT)
    clock.advance(hours=2)
    sent = await reply(workflow, case.id, scenario="damaged", placeholders=BUYER)
    assert sent.language == "de" and sent.variant in {"a", "b"} and "Frau Weber" in sent.text and "302-1234567-1234567" in sent.text
    again = await workflow.get(TENANT, case.id)
    assert again.status == case_pb2.CASE_STATUS_CONTACTED
    assert again.first_response_at.ToDatetime().replace(tzinfo=clock.now.tzinfo) == clock.now
    # A Japanese and a French case, rendered in keigo and vouvoiement from the same scenario.
    ja = await open_case(workflow, TENANT, marketplace="JP")
    ja_reply = await reply(workflow, ja.id, scenario="delay", placeholders={**BUYER, "buyer_name": "佐藤"})
    assert ja_reply.language == "ja" and "佐藤様" in ja_reply.text
    fr = await open_case(workflow, TENANT, marketplace="FR")
    fr_reply = await reply(workflow, fr.id, scenario="quality", placeholders={**BUYER, "buyer_name": "Madame Martin"})
    assert "vous" in fr_reply.text.lower()
    with pytest.raises(InvalidArgument, match="missing placeholder value"):
        await reply(workflow, fr.id, scenario="quality", placeholders={"buyer_name": "Madame Martin"})


@pytest.mark.parametrize(
    ("marketplace", "text", "phrase", "rule"),
    [
        ("DE", "Wir erstatten Ihnen den Betrag, wenn Sie die Bewertung löschen.", "Bewertung löschen", "review.remove_or_change"),
        ("US", "We will send a free replacement in exchange for a positive review.", "in exchange for a positive review", "review.incentive"),
        ("JP", "返金いたしますので、レビューを削除していただけますか。", "レビューを削除", "review.remove_or_change"),
        ("US", "Please contact me at kettle.support@gmail.com for a faster refund.", "kettle.support@gmail.com", "contact.email"),
    ],
)
async def test_non_compliant_replies_are_refused_naming_phrase_and_rule(workflow, marketplace, text, phrase, rule) -> None:
    case = await open_case(workflow, TENANT, marketplace=marketplace)
    with pytest.raises(InvalidArgument) as refused:
        await reply(workflow, case.id, text=text)
    assert phrase in refused.value.message and rule in refused.value.message
    assert any(phrase in v.description and rule in v.description for v in refused.value.violations)
    assert await workflow.list_replies(TENANT, case.id) == []
    assert (await workflow.get(TENANT, case.id)).status == case_pb2.CASE_STATUS_NEW


async def test_ab_variants_are_kept_with_their_outcomes(workflow) -> None:
    outcomes = {}
    for i in range(8):
        case = await open_case(workflow, TENANT)
        sent = await reply(workflow, case.id, scenario="damaged", placeholders=BUYER)
        await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_AWAITING_CUSTOMER, reason=0, actor="", note="")
        if i % 2:
            reason = case_pb2.RESOLUTION_REASON_NO_RESPONSE
        else:
            reason = case_pb2.RESOLUTION_REASON_CUSTOMER_SATISFIED
        await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_RESOLVED, reason=reason, actor="", note="")
        outcomes.setdefault(sent.variant, []).append(reason == case_pb2.RESOLUTION_REASON_CUSTOMER_SATISFIED)
        stored = await workflow.list_replies(TENANT, case.id)
        assert stored[0].variant == sent.variant and stored[0].resolved == stored[0].responded == (i % 2 == 0)
    stats = {s.variant: s for s in await workflow.variant_stats(TENANT, scenario="damaged", language="de")}
    assert {v: (s.sent, s.resolved) for v, s in stats.items()} == {v: (len(o), sum(o)) for v, o in outcomes.items()}
    assert sum(s.sent for s in stats.values()) == 8


async def test_compensation_recommendation_and_offers_above_the_threshold_wait_for_approval(workflow, clock) -> None:
    await workflow.put_policy(TENANT, '{"approval_threshold_usd": 50}')
    case = await open_case(workflow, TENANT)
    await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_ASSIGNED, reason=0, actor="", note="")
    await reply(workflow, case.id, scenario="damaged", placeholders=BUYER)
    recommendation = await workflow.recommend_compensation(resolution_pb2.RecommendCompensationRequest(
        tenant_id=TENANT, case_id=case.id, issue="damaged", order_value="89.90", currency="EUR", annual_spend="640.00",
        usd_rate="1.08", cross_border=True, duties_paid="12.40",
    ))
    assert recommendation.vip and recommendation.chosen.option in {"reship_with_discount", "full_refund"}
    assert all(float(c.total) <= 89.90 * 1.5 + 0.01 for c in recommendation.candidates)
    assert recommendation.chosen.requires_approval  # above 50 USD
    small = await workflow.record_offer(resolution_pb2.RecordOfferRequest(
        tenant_id=TENANT, case_id=case.id, option="partial_refund_10", cost="8.99", currency="EUR", usd_rate="1.08", actor="lena"))
    assert small.status == "offered" and small.cost_usd == "9.71"
    assert (await workflow.get(TENANT, case.id)).status == case_pb2.CASE_STATUS_COMPENSATION_OFFERED
    await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_AWAITING_CUSTOMER, reason=0, actor="", note="")
    clock.advance(hours=20)
    big = await workflow.record_offer(resolution_pb2.RecordOfferRequest(
        tenant_id=TENANT, case_id=case.id, option="reship_with_discount", cost="103.39", currency="EUR", usd_rate="1.08", actor="lena"))
    assert big.status == "pending_approval" and big.requires_approval
    assert (await workflow.get(TENANT, case.id)).status == case_pb2.CASE_STATUS_AWAITING_CUSTOMER
    with pytest.raises(InvalidArgument, match="someone other"):
        await workflow.approve_offer(TENANT, case.id, big.id, approver="lena")
    approved = await workflow.approve_offer(TENANT, case.id, big.id, approver="team-lead@kettle.example")
    assert approved.status == "offered" and approved.approved_by == "team-lead@kettle.example"
    assert (await workflow.get(TENANT, case.id)).status == case_pb2.CASE_STATUS_COMPENSATION_OFFERED
    with pytest.raises(InvalidArgument, match="only pending"):
        await workflow.approve_offer(TENANT, case.id, big.id, approver="boss")
    kinds = [e.kind for e in await workflow.list_events(TENANT, case.id)]
    assert kinds.count("offer_recorded") == 2 and kinds.count("offer_approved") == 1
    assert [o.option for o in await workflow.list_offers(TENANT, case.id)] == ["partial_refund_10", "reship_with_discount"]


async def add(workflow, case_id, kind, *, content=None, raw=b"", minutes=0, source="amazon-sp-api", description=""):
    request = resolution_pb2.AddEvidenceRequest(tenant_id=TENANT, case_id=case_id, kind=kind, source=source, description=description)
    if raw:
        request.content_bytes = raw
    else:
        request.content_json = json.dumps(content, ensure_ascii=False)
    request.captured_at.FromDatetime(MONDAY_9_UTC - timedelta(days=3) + timedelta(minutes=minutes))
    return await workflow.add_evidence(request)


async def test_evidence_chain_in_postgres_detects_tampering_by_sql(workflow, pool, clock) -> None:
    case = await open_case(workflow, TENANT)
    order = await add(workflow, case.id, "order", content={"order_id": "302-1234567-1234567", "total": "89.90", "currency": "EUR"}, description="Bestellung")
    clock.advance(minutes=1)
    pod = await add(workflow, case.id, "delivery_proof", raw=b"%PDF-1.7 DHL POD 00340434161094042557", minutes=5, source="dhl")
    clock.advance(minutes=1)
    await add(workflow, case.id, "message", content={"from": "buyer", "text": "Das Gerät kam beschädigt an."}, minutes=9, source="amazon-messaging")
    assert pod.prev_sha256 == order.link_sha256 and pod.index == 1
    assert (await workflow.verify_evidence(TENANT, case.id)).intact
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE evidence_items SET description = 'x' WHERE case_id = $1", uuid.UUID(case.id))
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM evidence_items WHERE case_id = $1", uuid.UUID(case.id))
        # Someone with the rights to switch the guard off rewrites the order total.
        await conn.execute("ALTER TABLE evidence_items DISABLE TRIGGER evidence_items_append_only")
        await conn.execute(
            """UPDATE evidence_items SET content = convert_to('{"currency":"EUR","order_id":"302-1234567-1234567","total":"9.90"}', 'UTF8')
               WHERE case_id = $1 AND idx = 0""",
            uuid.UUID(case.id),
        )
        await conn.execute("ALTER TABLE evidence_items ENABLE TRIGGER evidence_items_append_only")
    broken = await workflow.verify_evidence(TENANT, case.id)
    assert not broken.intact and broken.broken_at == 0 and broken.reason == "content_changed"
    assert "order from amazon-sp-api" in broken.detail


async def test_evidence_chain_names_a_rewritten_link(workflow, pool, clock) -> None:
    case = await open_case(workflow, TENANT)
    for i in range(3):
        clock.advance(minutes=1)
        await add(workflow, case.id, "message", content={"from": "buyer", "n": i}, minutes=i)
    async with pool.acquire() as conn:
        await conn.execute("ALTER TABLE evidence_items DISABLE TRIGGER evidence_items_append_only")
        await conn.execute("UPDATE evidence_items SET appended_at = appended_at + interval '1 hour' WHERE case_id = $1 AND idx = 1", uuid.UUID(case.id))
        await conn.execute("ALTER TABLE evidence_items ENABLE TRIGGER evidence_items_append_only")
    broken = await workflow.verify_evidence(TENANT, case.id)
    assert (broken.intact, broken.broken_at, broken.reason) == (False, 1, "link_hash_mismatch")


async def test_appeal_letter_in_the_marketplace_language_cites_the_clause_and_lists_evidence(workflow) -> None:
    case = await open_case(workflow, TENANT, marketplace="FR")
    await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_ASSIGNED, reason=0, actor="", note="")
    with pytest.raises(InvalidArgument, match="still needs evidence: listing_snapshot"):
        await workflow.file_appeal(resolution_pb2.FileAppealRequest(tenant_id=TENANT, case_id=case.id, facts=["abusive_language"]))
    with pytest.raises(InvalidArgument, match="no clause"):
        await workflow.file_appeal(resolution_pb2.FileAppealRequest(tenant_id=TENANT, case_id=case.id, facts=[]))
    snapshot = await add(workflow, case.id, "listing_snapshot", content={"asin": "B0KETTLE01", "review": "Arnaque, vendeur ****"}, source="crawler", description="Capture de l'avis")
    appeal = await workflow.file_appeal(resolution_pb2.FileAppealRequest(
        tenant_id=TENANT, case_id=case.id, facts=["abusive_language"], actions=["replied_publicly", "contacted_buyer"],
        seller_name="Kettle Co.", product_name="Bouilloire 1,7 l",
    ))
    assert appeal.clause_id == "amazon.cg.abusive" and appeal.language == "fr"
    assert "amazon.cg.abusive" in appeal.letter and snapshot.item_sha256 in appeal.letter
    assert "1." in appeal.letter and "2." in appeal.letter and "3." in appeal.letter
    assert any(f.clause_id == "amazon.cg.abusive" and f.ready for f in appeal.findings)
    assert (await workflow.get(TENANT, case.id)).status == case_pb2.CASE_STATUS_APPEALED
    with pytest.raises(TransitionNotAllowed):
        await workflow.file_appeal(resolution_pb2.FileAppealRequest(tenant_id=TENANT, case_id=case.id, facts=["abusive_language"]))
    accepted = await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_APPEAL_ACCEPTED, reason=0, actor="", note="Amazon removed the review")
    assert accepted.status == case_pb2.CASE_STATUS_APPEAL_ACCEPTED
