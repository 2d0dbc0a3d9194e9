"""Replies published on the platform, resolution's side, over real PostgreSQL: what reaches the outbox
(`replies.publish_requested`), what never does (a non-compliant reply, an 81-character eBay reply),
`manual` where the platform has no reply API, and the platform's answers recorded on the reply."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from libs import topology
from libs.bus import Delivery
from libs.errors import InvalidArgument
from libs.telemetry import extract_context
from reviewguard.events.v1 import events_pb2
from services.resolution.service import ResolutionService
from tests.services.resolution.conftest import open_case
from tests.services.resolution.test_orders_and_ladder import ingested

REPLY = "We are sorry the kettle arrived cracked; a replacement is on its way."
# Compliance rule review.remove_or_change: asking the buyer to delete or change the review.
NOT_COMPLIANT = "We refund everything if you delete your review."


async def requests(pool: asyncpg.Pool) -> list[events_pb2.ReplyPublishRequested]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT payload FROM outbox WHERE subject = $1 ORDER BY id", topology.REPLY_PUBLISH_REQUESTED)
    return [events_pb2.ReplyPublishRequested.FromString(r["payload"]) for r in rows]


async def case_on(workflow: ResolutionService, tenant: str, platform: str, *, external_id: str = "6488a1f2c3d4e5f6a7b8c9d0"):
    review = ingested(tenant, external_id=external_id)
    await workflow.handle_reviews_ingested([review])
    return await open_case(workflow, tenant, platform=platform, review_id=review.message.review.id)


async def send(workflow: ResolutionService, tenant: str, case_id: str, text: str = REPLY, *, publish: bool = True):
    return await workflow.send_reply(tenant, case_id, text=text, scenario="", language="", placeholders={}, variant="", actor="lena", publish=publish)


def published(tenant: str, reply_id: str, revision: int, *, at_seconds: int = 1_795_000_000, platform_id: str = "6488a1f2c3d4e5f6a7b8c9d0"):
    event = events_pb2.ReplyPublished(tenant_id=tenant, reply_id=reply_id, revision=revision, action="publish", platform_reply_id=platform_id)
    event.published_at.seconds = at_seconds
    return event


def delivered(message, subject: str) -> Delivery:
    return Delivery(message=message, subject=subject, headers={}, context=extract_context({}), deliveries=1, stream_sequence=0, raw=None)


async def test_a_published_reply_is_queued_once_then_records_the_platforms_id_and_time(workflow: ResolutionService, pool) -> None:
    tenant = str(uuid.uuid4())
    case = await case_on(workflow, tenant, "trustpilot")
    reply = await send(workflow, tenant, case.id)
    assert reply.publish_state == "queued" and reply.revision == 1
    [request] = await requests(pool)
    assert (request.reply_id, request.revision, request.action, request.text, request.platform) == (reply.id, 1, "publish", REPLY, "trustpilot")
    assert request.review_id == case.review_id and request.review_external_id == "6488a1f2c3d4e5f6a7b8c9d0"

    # ingest's answer, delivered twice (a lost ack): recorded once, the same either way.
    for _ in range(2):
        await workflow.handle_reply_published([delivered(published(tenant, reply.id, 1), topology.REPLY_PUBLISHED)])
    [shown] = await workflow.list_replies(tenant, case.id)
    assert (shown.publish_state, shown.platform_reply_id, shown.published_at.seconds) == ("published", "6488a1f2c3d4e5f6a7b8c9d0", 1_795_000_000)
    assert len(await requests(pool)) == 1


async def test_a_reply_that_fails_the_compliance_check_is_never_published(workflow: ResolutionService, pool) -> None:
    tenant = str(uuid.uuid4())
    case = await case_on(workflow, tenant, "trustpilot")
    with pytest.raises(InvalidArgument) as refused:
        await send(workflow, tenant, case.id, NOT_COMPLIANT)
    assert "review.remove_or_change" in refused.value.message
    assert await requests(pool) == [] and await workflow.list_replies(tenant, case.id) == []
    # Nor can an edit slip one through: the published reply keeps its text and nothing more is queued.
    reply = await send(workflow, tenant, case.id)
    with pytest.raises(InvalidArgument):
        await workflow.edit_reply(tenant, case.id, reply.id, text=NOT_COMPLIANT, actor="lena")
    assert [r.text for r in await requests(pool)] == [REPLY]
    assert [r.text for r in await workflow.list_replies(tenant, case.id)] == [REPLY]


async def test_an_81_character_ebay_reply_is_refused_naming_the_field_and_nothing_is_queued(workflow: ResolutionService, pool) -> None:
    tenant = str(uuid.uuid4())
    case = await case_on(workflow, tenant, "ebay", external_id="2234567890123")
    with pytest.raises(InvalidArgument) as refused:
        await send(workflow, tenant, case.id, "x" * 81)
    assert [v.field for v in refused.value.violations] == ["text"] and "80 characters" in refused.value.message
    assert await requests(pool) == [] and await workflow.list_replies(tenant, case.id) == []
    fits = await send(workflow, tenant, case.id, "Thanks - a replacement ships today. Sorry for the trouble!".ljust(80, "!"))
    assert fits.publish_state == "queued" and [len(r.text) for r in await requests(pool)] == [80]
    # Kept in ReviewGuard only, a longer reply is fine (it never goes to eBay).
    kept = await send(workflow, tenant, case.id, "y" * 120, publish=False)
    assert kept.publish_state == "not_requested" and len(await requests(pool)) == 1


async def test_a_platform_without_a_reply_api_gets_manual_with_the_text_ready(workflow: ResolutionService, pool) -> None:
    tenant = str(uuid.uuid4())
    case = await case_on(workflow, tenant, "amazon", external_id="R2KX9QWERTY01")
    reply = await send(workflow, tenant, case.id)
    assert (reply.publish_state, reply.text) == ("manual", REPLY)
    assert await requests(pool) == []


async def test_an_edit_and_a_deletion_go_to_the_platform_once_each_and_late_answers_change_nothing(workflow: ResolutionService, pool) -> None:
    tenant = str(uuid.uuid4())
    case = await case_on(workflow, tenant, "trustpilot")
    reply = await send(workflow, tenant, case.id)
    await workflow.handle_reply_published([delivered(published(tenant, reply.id, 1), topology.REPLY_PUBLISHED)])
    edited = await workflow.edit_reply(tenant, case.id, reply.id, text="Your refund was sent today.", actor="lena")
    assert (edited.publish_state, edited.revision, edited.text) == ("queued", 2, "Your refund was sent today.")
    deleted = await workflow.delete_reply(tenant, case.id, reply.id, actor="lena")
    assert (deleted.publish_state, deleted.revision, deleted.deleted) == ("queued", 3, True)
    assert [(r.revision, r.action, r.text) for r in await requests(pool)] == [
        (1, "publish", REPLY), (2, "publish", "Your refund was sent today."), (3, "delete", ""),
    ]
    # The answer to revision 2 arrives after the deletion was asked for: the reply stays queued for revision 3.
    await workflow.handle_reply_published([delivered(published(tenant, reply.id, 2, at_seconds=1_795_000_100), topology.REPLY_PUBLISHED)])
    [shown] = await workflow.list_replies(tenant, case.id)
    assert (shown.publish_state, shown.revision) == ("queued", 3)
    with pytest.raises(InvalidArgument):
        await workflow.delete_reply(tenant, case.id, reply.id, actor="lena")
    assert len(await requests(pool)) == 3


async def test_a_reply_not_to_publish_changes_nothing_on_the_platform(workflow: ResolutionService, pool) -> None:
    tenant = str(uuid.uuid4())
    case = await case_on(workflow, tenant, "trustpilot")
    reply = await send(workflow, tenant, case.id, publish=False)
    assert reply.publish_state == "not_requested"
    await workflow.edit_reply(tenant, case.id, reply.id, text="Changed here only.", actor="lena")
    await workflow.delete_reply(tenant, case.id, reply.id, actor="lena")
    assert await requests(pool) == []


async def test_a_refusal_is_recorded_with_its_reason_and_an_edit_tries_again(workflow: ResolutionService, pool) -> None:
    tenant = str(uuid.uuid4())
    case = await case_on(workflow, tenant, "trustpilot")
    reply = await send(workflow, tenant, case.id)
    failed = events_pb2.ReplyPublishFailed(tenant_id=tenant, reply_id=reply.id, revision=1, action="publish", reason="trustpilot: the business login was refused")
    await workflow.handle_reply_publish_failed([delivered(failed, topology.REPLY_PUBLISH_FAILED)])
    [shown] = await workflow.list_replies(tenant, case.id)
    assert (shown.publish_state, shown.publish_error) == ("failed", "trustpilot: the business login was refused")
    again = await workflow.edit_reply(tenant, case.id, reply.id, text="We are sorry; a replacement ships today.", actor="lena")
    assert (again.publish_state, again.publish_error, again.revision) == ("queued", "", 2)
    assert [r.revision for r in await requests(pool)] == [1, 2]


async def test_what_a_platform_cannot_change_is_refused_before_anything_is_queued(workflow: ResolutionService, pool) -> None:
    tenant = str(uuid.uuid4())
    ebay = await case_on(workflow, tenant, "ebay", external_id="2234567890123")
    reply = await send(workflow, tenant, ebay.id, "Sorry! A replacement ships today.")
    for change in (
        workflow.edit_reply(tenant, ebay.id, reply.id, text="Second thoughts.", actor="lena"),
        workflow.delete_reply(tenant, ebay.id, reply.id, actor="lena"),
    ):
        with pytest.raises(InvalidArgument) as refused:
            await change
        assert [v.field for v in refused.value.violations] == ["reply_id"] and "ebay" in refused.value.message
    [kept] = await workflow.list_replies(tenant, ebay.id)
    assert (kept.text, kept.revision, kept.deleted) == ("Sorry! A replacement ships today.", 1, False) and len(await requests(pool)) == 1

    # Judge.me (Shopify): a private reply is queued as one; an edit replaces it, a deletion is refused.
    shop = await case_on(workflow, tenant, "shopify", external_id="judgeme:4711")
    private = await workflow.send_reply(tenant, shop.id, text="Could you send a photo?", scenario="", language="", placeholders={},
                                        variant="", actor="lena", publish=True, private=True)  # fmt: skip
    assert private.private and private.publish_state == "queued"
    await workflow.edit_reply(tenant, shop.id, private.id, text="Could you send a photo of the crack?", actor="lena")
    with pytest.raises(InvalidArgument):
        await workflow.delete_reply(tenant, shop.id, private.id, actor="lena")
    assert [(r.private, r.revision) for r in (await requests(pool))[1:]] == [(True, 1), (True, 2)]
    # Trustpilot has no private reply: refused, naming the field.
    trustpilot = await case_on(workflow, tenant, "trustpilot")
    with pytest.raises(InvalidArgument) as refused:
        await workflow.send_reply(tenant, trustpilot.id, text=REPLY, scenario="", language="", placeholders={}, variant="", actor="lena",
                                  publish=True, private=True)  # fmt: skip
    assert [v.field for v in refused.value.violations] == ["private"] and len(await requests(pool)) == 3
