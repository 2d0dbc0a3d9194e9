"""Through the public API: a case shows the order posted after it opened (value, currency, VIP), €500 on a
€49.90 order is a 422 naming the cap, an offer above the agent's limit is approved by someone else, and
KPIs over no cases say "no data"."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from tests.services.gateway.conftest import TENANT
from tests.services.resolution.conftest import open_case
from tests.services.resolution.test_orders_and_ladder import ingested

ORDER = {"order_id": "302-4455667-1122334", "platform": "amazon", "marketplace": "DE", "fulfilment": "platform",
         "customer_id": "A2WEBER", "product_name": "Wasserkocher", "value": "49.90", "currency": "EUR",
         "annual_spend_usd": "640", "delivered_at": "2026-11-20T10:00:00+01:00"}


async def test_the_case_shows_its_order_and_the_ladder_holds(api, workflow) -> None:
    tenant = str(TENANT)
    review = ingested(tenant, order_id=ORDER["order_id"], reviewer="A2WEBER")
    await workflow.handle_reviews_ingested([review])
    case = await open_case(workflow, tenant, review_id=review.message.review.id)
    before = (await api.get(f"/v1/cases/{case.id}")).json()
    assert before["order_id"] == ORDER["order_id"] and before["order"] is None

    posted = await api.post("/v1/orders", json={"orders": [ORDER]})
    assert posted.status_code == 202, posted.text
    shown = (await api.get(f"/v1/cases/{case.id}")).json()
    assert shown["customer_id"] == "A2WEBER"
    assert shown["order"] == {"order_id": ORDER["order_id"], "customer_id": "A2WEBER", "value": "49.90", "currency": "EUR",
                              "fulfilment": "platform", "annual_spend_usd": "640.00", "vip": True}

    assert (await api.put("/v1/resolution-policy", json={"approval_threshold_usd": 50})).status_code == 200
    for status in ("assigned", "contacted"):
        assert (await api.post(f"/v1/cases/{case.id}/transitions", json={"status": status})).status_code == 200
    refused = await api.post(f"/v1/cases/{case.id}/offers", json={"option": "full_refund", "cost": "500.00", "currency": "EUR",
                                                                   "usd_rate": "1.08", "actor": "lena"})
    assert refused.status_code == 422
    assert "cap of 74.85 EUR (150% of the order value 49.90 EUR)" in refused.json()["detail"]

    # The recommendation uses the linked order: no need to type its value again.
    recommendation = (await api.post(f"/v1/cases/{case.id}/compensation/recommendation",
                                     json={"issue": "quality", "usd_rate": "1.08"})).json()
    assert recommendation["currency"] == "EUR" and recommendation["chosen"]["cap"] == "74.85" and recommendation["vip"] is True

    big = await api.post(f"/v1/cases/{case.id}/offers", json={"option": "full_refund", "cost": "49.90", "currency": "EUR",
                                                               "usd_rate": "1.08", "actor": "lena"})
    assert big.status_code == 201 and big.json()["status"] == "pending_approval", big.text  # 53.89 USD > 50 USD
    approved = await api.post(f"/v1/cases/{case.id}/offers/{big.json()['id']}/approve", json={"approver": "team-lead"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "offered" and approved.json()["approved_by"] == "team-lead"
    assert (await api.get(f"/v1/cases/{case.id}")).json()["status"] == "compensation_offered"
    kinds = [e["kind"] for e in (await api.get(f"/v1/cases/{case.id}/events")).json()["items"]]
    assert [k for k in kinds if k.startswith("offer_")] == ["offer_recorded", "offer_approved", "offer_offered"]


async def test_kpis_over_no_cases_say_no_data(api) -> None:
    kpis = (await api.get("/v1/kpis")).json()
    assert kpis["cases"] == 0 and kpis["status"] == "no data"
    assert kpis["response_rate_24h"] is None and kpis["response_rate_met"] is None and kpis["resolution_rate"] is None
    assert set(kpis["no_data"]) >= {"response_rate_24h", "resolution_rate", "rating_recovery_rate"}


async def test_the_buyer_declines_an_offer_and_the_evidence_pack_downloads_as_a_zip(api, workflow) -> None:
    tenant = str(TENANT)
    review = ingested(tenant, order_id=ORDER["order_id"], reviewer="A2WEBER")
    await workflow.handle_reviews_ingested([review])
    case = await open_case(workflow, tenant, review_id=review.message.review.id)
    assert (await api.post("/v1/orders", json={"orders": [ORDER]})).status_code == 202
    for status in ("assigned", "contacted"):
        assert (await api.post(f"/v1/cases/{case.id}/transitions", json={"status": status})).status_code == 200
    offer = await api.post(f"/v1/cases/{case.id}/offers", json={"option": "partial_refund", "cost": "15.00", "currency": "EUR",
                                                                 "usd_rate": "1.08", "actor": "lena"})
    assert offer.status_code == 201 and offer.json()["status"] == "offered", offer.text
    declined = await api.post(f"/v1/cases/{case.id}/offers/{offer.json()['id']}/decision",
                              json={"decision": "declined", "actor": "buyer via messages"})
    assert declined.status_code == 200 and declined.json()["status"] == "declined", declined.text
    # A declined offer frees its share of the cap: a second offer may be made.
    again = await api.post(f"/v1/cases/{case.id}/offers", json={"option": "partial_refund", "cost": "20.00", "currency": "EUR",
                                                                 "usd_rate": "1.08", "actor": "lena"})
    assert again.status_code == 201, again.text
    unknown = await api.post(f"/v1/cases/{case.id}/offers/{case.id}/decision", json={"decision": "accepted"})
    assert unknown.status_code == 404

    pack = await api.get(f"/v1/cases/{case.id}/evidence/pack")
    assert pack.status_code == 200 and pack.headers["content-type"] == "application/zip"
    assert "attachment" in pack.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
        assert {"manifest.json", "chain.json", "verification.json"} <= names
        assert manifest["case_id"] == case.id and manifest["chain"]["intact"] is True
        for entry in manifest["files"]:
            assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
