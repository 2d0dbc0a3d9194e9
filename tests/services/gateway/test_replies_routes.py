"""Through the public API: a reply sent with `publish: true` shows its publish state, an edit and a deletion
go to the platform too, an 81-character eBay reply is a 422 naming `text` before anything is queued, and a
platform without a reply API answers `manual`."""

from __future__ import annotations

from libs import topology
from tests.services.gateway.conftest import TENANT
from tests.services.resolution.conftest import open_case
from tests.services.resolution.test_orders_and_ladder import ingested


async def case_on(workflow, platform: str, external_id: str) -> str:
    review = ingested(str(TENANT), external_id=external_id)
    await workflow.handle_reviews_ingested([review])
    return (await open_case(workflow, str(TENANT), platform=platform, review_id=review.message.review.id)).id


async def queued(pool) -> list[str]:
    async with pool.acquire() as conn:
        return [r["msg_id"] for r in await conn.fetch("SELECT msg_id FROM outbox WHERE subject = $1 ORDER BY id", topology.REPLY_PUBLISH_REQUESTED)]


async def test_a_published_reply_shows_its_state_and_its_edit_and_deletion_are_queued(api, workflow, pool) -> None:
    cid = await case_on(workflow, "trustpilot", "6488a1f2c3d4e5f6a7b8c9d0")
    kept = await api.post(f"/v1/cases/{cid}/replies", json={"text": "Noted internally."})
    assert kept.status_code == 201 and kept.json()["publish_state"] == "not_requested", kept.text
    sent = await api.post(f"/v1/cases/{cid}/replies", json={"text": "We are sorry; a replacement is on its way.", "publish": True})
    assert sent.status_code == 201, sent.text
    reply = sent.json()
    assert (reply["publish_state"], reply["platform_reply_id"], reply["published_at"], reply["revision"]) == ("queued", None, None, 1)

    edited = await api.patch(f"/v1/cases/{cid}/replies/{reply['id']}", json={"text": "Your refund was sent today."})
    assert edited.status_code == 200 and (edited.json()["text"], edited.json()["revision"]) == ("Your refund was sent today.", 2), edited.text
    deleted = await api.delete(f"/v1/cases/{cid}/replies/{reply['id']}")
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert await queued(pool) == [f"reply-publish:{reply['id']}:{n}" for n in (1, 2, 3)]
    listed = {r["id"]: r for r in (await api.get(f"/v1/cases/{cid}/replies")).json()["items"]}
    assert listed[reply["id"]]["publish_state"] == "queued" and listed[reply["id"]]["deleted"] is True
    assert listed[kept.json()["id"]]["publish_state"] == "not_requested"

    again = await api.delete(f"/v1/cases/{cid}/replies/{reply['id']}")
    assert again.status_code == 422 and len(await queued(pool)) == 3


async def test_an_81_character_ebay_reply_is_a_422_naming_text_and_nothing_is_queued(api, workflow, pool) -> None:
    cid = await case_on(workflow, "ebay", "2234567890123")
    refused = await api.post(f"/v1/cases/{cid}/replies", json={"text": "x" * 81, "publish": True})
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["text"] and "80 characters" in refused.json()["detail"]
    assert await queued(pool) == [] and (await api.get(f"/v1/cases/{cid}/replies")).json()["items"] == []


async def test_a_non_compliant_reply_is_a_422_and_nothing_is_published(api, workflow, pool) -> None:
    cid = await case_on(workflow, "trustpilot", "6488a1f2c3d4e5f6a7b8c9d1")
    refused = await api.post(f"/v1/cases/{cid}/replies", json={"text": "We refund everything if you delete your review.", "publish": True})
    assert refused.status_code == 422 and "review.remove_or_change" in refused.json()["detail"]
    assert await queued(pool) == []


async def test_a_platform_without_a_reply_api_answers_manual(api, workflow, pool) -> None:
    cid = await case_on(workflow, "amazon", "R2KX9QWERTY01")
    sent = await api.post(f"/v1/cases/{cid}/replies", json={"text": "We are sorry; a replacement is on its way.", "publish": True})
    assert sent.status_code == 201 and sent.json()["publish_state"] == "manual" and sent.json()["text"].startswith("We are sorry")
    assert await queued(pool) == []
    bad = await api.post(f"/v1/cases/{cid}/replies", json={"text": "Hi", "publish": "sometimes"})
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["publish"]
