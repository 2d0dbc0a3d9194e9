"""The Must-hold, end to end over real PostgreSQL and NATS: a case's reply sent with publish goes out
through resolution's outbox and JetStream to ingest, whose local Trustpilot fails the first two tries
(a 503, then a 429 with Retry-After) and takes the third; ingest's answer comes back the same way and
the reply shows published with the platform's id and time: one reply on the platform, sent once."""

from __future__ import annotations

import asyncio
import uuid

from starlette.responses import Response

from libs import topology
from libs.bus import Bus
from libs.outbox import OutboxRelay
from reviewguard.events.v1 import events_pb2
from services.ingest.reviews.repository import OUTBOX_CHANNEL as INGEST_OUTBOX
from services.resolution.publishing.repository import OUTBOX_CHANNEL as RESOLUTION_OUTBOX
from services.resolution.service import ResolutionService
from tests.helpers import eventually
from tests.services.ingest.conftest import ingest_pool  # noqa: F401 - fixture
from tests.services.ingest.replies.test_service import REVIEW, TENANT, World, world  # noqa: F401 - fixture
from tests.services.resolution.conftest import open_case
from tests.services.resolution.test_orders_and_ladder import ingested

TEXT = "We are sorry the kettle arrived cracked; a replacement is on its way."


async def test_an_outage_and_a_429_lose_no_reply_and_send_none_twice(workflow: ResolutionService, pool, bus: Bus, world: World) -> None:
    world.trustpilot.faults = [Response("upstream down", status_code=503), Response(status_code=429, headers={"Retry-After": "1"})]
    review = ingested(TENANT, external_id=REVIEW, review_id=world.review_id)
    await workflow.handle_reviews_ingested([review])
    case = await open_case(workflow, TENANT, platform="trustpilot", review_id=world.review_id)
    reply = await workflow.send_reply(TENANT, case.id, text=TEXT, scenario="", language="", placeholders={}, variant="", actor="lena", publish=True)
    assert reply.publish_state == "queued"

    stop = asyncio.Event()
    suffix = uuid.uuid4().hex[:8]
    tasks = bus.start_consumer(
        stream=topology.REPLIES.name, durable=f"ingest-replies-{suffix}", subject=topology.REPLY_PUBLISH_REQUESTED,
        message_type=events_pb2.ReplyPublishRequested, handler=world.publisher.handle, stop=stop, ack_wait_seconds=60,
    ) + bus.start_consumer(
        stream=topology.REPLIES.name, durable=f"resolution-published-{suffix}", subject=topology.REPLY_PUBLISHED,
        message_type=events_pb2.ReplyPublished, handler=workflow.handle_reply_published, stop=stop,
    )  # fmt: skip
    relays = [OutboxRelay(pool=p, bus=bus, channel=c, batch=50, poll_seconds=0.1) for p, c in ((pool, RESOLUTION_OUTBOX), (world.pool, INGEST_OUTBOX))]

    async def published():
        for relay in relays:  # what each service's relay does continuously
            await relay.publish_pending()
        [shown] = await workflow.list_replies(TENANT, case.id)
        return shown if shown.publish_state == "published" else None

    try:
        shown = await eventually(published, timeout=120)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert world.trustpilot.reply_calls == [("POST", 503), ("POST", 429), ("POST", 201)]
    assert world.trustpilot.replies == {REVIEW: TEXT}
    assert shown.platform_reply_id == REVIEW and shown.published_at.seconds > 0 and shown.revision == 1
