"""Resolution end to end through the gateway: a German 1★ review becomes a case that is assigned, answered
(compliance enforced), compensated with approval, evidenced (tampering found), appealed, resolved and found
in the knowledge base; orders get review requests; an edited rating counts as recovered."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import httpx

from tests.helpers import eventually, recent


def german_review(**changes) -> dict:
    return {
        "platform": "amazon", "marketplace": "DE", "external_id": f"R-{uuid.uuid4().hex[:10]}", "product_id": "B0KETTLE01",
        "rating": 1, "title": "Kaputt angekommen",
        "body": "Der Wasserkocher kam mit einem Riss im Gehäuse an. Totaler Betrug, ich will mein Geld zurück!",
        "posted_at": recent(), **changes,
    }


async def case_for(api: httpx.AsyncClient, review: dict) -> dict:
    posted = await api.post("/v1/reviews", json={"reviews": [review]})
    assert posted.status_code == 202, posted.text
    review_id = posted.json()["ids"][0]

    async def opened():
        return (await api.get("/v1/cases", params={"review_id": review_id})).json()["items"]

    (case,) = await eventually(opened, timeout=60)
    return case


async def test_a_case_from_review_to_knowledge_base(system, api_keys, base_url) -> None:
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {api_keys['acme']}"}, timeout=20) as api:
        team = (await api.put("/v1/teams", json={"name": "DACH", "markets": ["DE", "AT"], "timezone": "Europe/Berlin",
                                                 "work_start": "00:00", "work_end": "23:59", "work_days": [0, 1, 2, 3, 4, 5, 6]})).json()
        for name, languages in (("jonas", ["de", "en"]), ("mia", ["de"])):
            put = await api.put("/v1/agents", json={"name": name, "team_id": team["id"], "languages": languages, "skills": ["damaged"]})
            assert put.status_code == 200, put.text
        case = await case_for(api, german_review())
        assert case["status"] in ("new", "assigned") and case["platform"] == "amazon" and case["language"] == "de"
        case = (await api.post(f"/v1/cases/{case['id']}/assign")).json()
        assert case["status"] == "assigned" and case["owner"] in {"jonas", "mia"}
        cid = case["id"]
        patched = await api.patch(f"/v1/cases/{cid}", json={"issue_type": "damaged", "customer_id": "A2WEBER", "order_id": "302-1234567-1234567"})
        assert patched.json()["issue_type"] == "damaged"

        refused = await api.post(f"/v1/cases/{cid}/replies", json={"text": "Wir erstatten alles, wenn Sie die Bewertung löschen."})
        assert refused.status_code == 422
        assert "Bewertung löschen" in refused.json()["detail"] and "review.remove_or_change" in refused.json()["detail"]
        assert "review.remove_or_change" in refused.json()["errors"][0]["message"]
        check = (await api.post("/v1/compliance/check", json={"text": "Write us at help@kettle.de to get a refund for a positive review", "platform": "amazon"})).json()
        assert not check["passed"] and {v["rule_id"] for v in check["violations"]} >= {"contact.email", "review.incentive"}

        sent = await api.post(f"/v1/cases/{cid}/replies", json={"scenario": "damaged", "placeholders": {
            "buyer_name": "Frau Weber", "product_name": "Wasserkocher", "order_id": "302-1234567-1234567", "seller_name": "Kettle Co."}})
        assert sent.status_code == 201, sent.text
        assert sent.json()["variant"] in {"a", "b"} and "Frau Weber" in sent.json()["text"]
        assert (await api.get(f"/v1/cases/{cid}")).json()["status"] == "contacted"

        recommendation = (await api.post(f"/v1/cases/{cid}/compensation/recommendation", json={
            "issue": "damaged", "order_value": "89.90", "currency": "EUR", "usd_rate": "1.08"})).json()
        assert recommendation["chosen"]["option"] in {"reship_with_discount", "full_refund"}
        reship = next(c for c in recommendation["candidates"] if c["option"] == "reship_with_discount")
        assert reship["total"] == "103.39" and reship["requires_approval"]  # 111.66 USD > 100 USD
        offer = await api.post(f"/v1/cases/{cid}/offers", json={"option": "reship_with_discount", "cost": reship["total"],
                                                                "currency": "EUR", "usd_rate": "1.08", "actor": "jonas"})
        assert offer.status_code == 201 and offer.json()["status"] == "pending_approval"
        approved = await api.post(f"/v1/cases/{cid}/offers/{offer.json()['id']}/approve", json={"approver": "lead@acme.example"})
        assert approved.json()["status"] == "offered"
        assert (await api.get(f"/v1/cases/{cid}")).json()["status"] == "compensation_offered"

        for kind, content in (("order", {"order_id": "302-1234567-1234567", "total": "89.90"}), ("listing_snapshot", {"review": "Totaler Betrug"})):
            added = await api.post(f"/v1/cases/{cid}/evidence", json={"kind": kind, "content": content, "source": "amazon-sp-api"})
            assert added.status_code == 201, added.text
        photo = await api.post(f"/v1/cases/{cid}/evidence", json={"kind": "file", "content_base64": "iVBORw0KGgo=", "source": "buyer-photo"})
        assert photo.json()["index"] == 2
        assert (await api.get(f"/v1/cases/{cid}/evidence/verify")).json()["intact"] is True

        appeal = await api.post(f"/v1/cases/{cid}/appeal", json={"facts": ["abusive_language"], "actions": ["contacted_buyer"], "seller_name": "Kettle Co."})
        assert appeal.status_code == 201, appeal.text
        assert appeal.json()["language"] == "de" and "amazon.cg.abusive" in appeal.json()["letter"]
        rejected = await api.post(f"/v1/cases/{cid}/transitions", json={"status": "appeal_rejected"})
        assert rejected.json()["status"] == "appeal_rejected"
        wrong = await api.post(f"/v1/cases/{cid}/transitions", json={"status": "appealed"})
        assert wrong.status_code == 409 and "allowed" in wrong.json()["detail"]
        resolved = await api.post(f"/v1/cases/{cid}/transitions", json={"status": "resolved", "reason": "customer_satisfied", "note": "Ersatz angekommen"})
        assert resolved.json()["resolution_reason"] == "customer_satisfied"

        kinds = [e["kind"] for e in (await api.get(f"/v1/cases/{cid}/events")).json()["items"]]
        assert kinds[0] == "opened" and "reply_sent" in kinds and "offer_approved" in kinds and "appeal_filed" not in kinds
        assert kinds.count("evidence_added") == 3
        found = (await api.get("/v1/knowledge", params={"q": "Ersatz", "type": "damaged", "region": "EU", "outcome": "customer_satisfied"})).json()["items"]
        assert [e["case_id"] for e in found] == [cid]
        kpis = (await api.get("/v1/kpis")).json()
        assert kpis["resolved"] >= 1 and kpis["response_rate_target"] == 0.95

        conn = await asyncpg.connect(system.dsn)
        try:
            await conn.execute("ALTER TABLE resolution.evidence_items DISABLE TRIGGER evidence_items_append_only")
            await conn.execute("UPDATE resolution.evidence_items SET source = 'forged' WHERE case_id = $1 AND idx = 1", uuid.UUID(cid))
            await conn.execute("ALTER TABLE resolution.evidence_items ENABLE TRIGGER evidence_items_append_only")
        finally:
            await conn.close()
        verdict = (await api.get(f"/v1/cases/{cid}/evidence/verify")).json()
        assert verdict["intact"] is False and verdict["broken_at"] == 1 and verdict["reason"] == "content_changed"

    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {api_keys['globex']}"}, timeout=10) as other:
        assert (await other.get(f"/v1/cases/{cid}")).status_code == 404
        assert (await other.get(f"/v1/cases/{cid}/evidence/verify")).status_code == 404
        assert (await other.get("/v1/knowledge", params={"q": "Ersatz"})).json()["items"] == []


async def test_orders_get_review_requests_and_policy_is_validated(system, api_keys, base_url) -> None:
    delivered = datetime.now(timezone.utc) - timedelta(hours=1)
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {api_keys['globex']}"}, timeout=10) as api:
        orders = [
            {"order_id": "249-0000001-1", "platform": "amazon", "marketplace": "JP", "fulfilment": "platform", "customer_id": "tanaka",
             "product_name": "電気ケトル", "value": "5980", "currency": "JPY", "annual_spend_usd": "900", "delivered_at": delivered.isoformat()},
            {"order_id": "12-34567-89012", "platform": "ebay", "marketplace": "DE", "fulfilment": "merchant", "customer_id": "weber",
             "value": "49.90", "currency": "EUR", "delivered_at": delivered.isoformat()},
        ]
        posted = await api.post("/v1/orders", json={"orders": orders})
        assert posted.status_code == 202, posted.text
        assert posted.json()["accepted"] == 2 and len(posted.json()["scheduled"]) == 2
        requests = {r["order_id"]: r for r in (await api.get("/v1/review-requests", params={"status": "scheduled"})).json()["items"]}
        assert requests["249-0000001-1"]["tier"] == "vip" and requests["249-0000001-1"]["channels"] == ["message", "email"]
        assert requests["12-34567-89012"]["channels"] == ["order_page_button"] and requests["12-34567-89012"]["language"] == "de"
        assert (await api.post("/v1/orders", json={"orders": orders})).json()["duplicates"] == 2
        bad = await api.post("/v1/orders", json={"orders": [{**orders[0], "fulfilment": "drone"}]})
        assert bad.status_code == 422
        policy = await api.put("/v1/resolution-policy", json={"sla_clock": "business", "approval_threshold_usd": 250})
        assert policy.status_code == 200 and policy.json()["policy"]["approval_threshold_usd"] == 250
        bad_policy = await api.put("/v1/resolution-policy", json={"sla_clock": "sundial"})
        assert bad_policy.status_code == 422 and bad_policy.json()["errors"][0]["field"] == "sla_clock"


async def test_a_raised_rating_counts_as_recovered(system, api_keys, base_url) -> None:
    """Ingest publishes reviews.updated when a review's rating changes; resolution counts the recovery."""
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {api_keys['globex']}"}, timeout=10) as api:
        review = german_review()
        case = await case_for(api, review)
        edited = await api.post("/v1/reviews", json={"reviews": [{**review, "rating": 4, "body": "Ersatz kam schnell, jetzt alles gut."}]})
        assert edited.status_code == 202

        async def noted():
            events = (await api.get(f"/v1/cases/{case['id']}/events")).json()["items"]
            return [e for e in events if e["kind"] == "rating_changed"]

        (event,) = await eventually(noted, timeout=30)
        assert event["detail"] == {"old_rating": 1, "new_rating": 4}
        assert (await api.get("/v1/kpis")).json()["ratings_recovered"] >= 1
