"""Reply publishing through a Google source: a review collected from the local Business Profile server
gets its reply by updateReply after two failed tries, once; a deletion goes out by deleteReply."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import asyncpg
from starlette.responses import JSONResponse

from libs import topology
from libs.crypto import SecretBox
from libs.outbound import OutboundPolicy, outbound_client
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import ingest_pb2
from services.ingest.replies.service import ReplyPublisher
from services.ingest.service import IngestService
from services.ingest.sources.service import SourceService
from tests.services.ingest.conftest import outbox_events
from tests.services.ingest.connectors.conftest import FAST_RETRY, serve
from tests.services.ingest.connectors.test_google import ACCOUNT, CLIENT_ID, CLIENT_SECRET, LOCATION, NOW, PARENT, REFRESH, Google

TENANT = str(uuid.uuid4())


async def test_a_google_review_gets_one_reply_through_two_failures_and_its_deletion(ingest_pool: asyncpg.Pool, ingest: IngestService) -> None:
    google = Google()
    box, outbound = SecretBox([SecretBox.new_key()]), OutboundPolicy(["127.0.0.1"])
    async with serve(google.routes()) as base_url, outbound_client(outbound, timeout=5.0) as client:
        sources = SourceService(pool=ingest_pool, ingest=ingest, box=box, client=client, retry=FAST_RETRY, outbound=outbound, clock=lambda: NOW)
        settings = {"account_id": ACCOUNT, "location_id": LOCATION, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                    "refresh_token": REFRESH, "page_size": 3, "base_url": base_url, "token_url": f"{base_url}/token"}  # fmt: skip
        await sources.create(request=ingest_pb2.CreateSourceRequest(
            tenant_id=TENANT, kind="google", name="Café", backfill_days=1, poll_interval_seconds=60, settings_json=json.dumps(settings),
        ))
        assert await sources.poll_due() == 1
        async with ingest_pool.acquire() as conn:
            review_id = str(await conn.fetchval("SELECT id FROM reviews WHERE external_id = 'g000'"))
        publisher = ReplyPublisher(pool=ingest_pool, box=box, client=client, retry=FAST_RETRY, clock=lambda: NOW + timedelta(minutes=5))
        reply_id = str(uuid.uuid4())

        def request(revision: int, action: str = "publish") -> events_pb2.ReplyPublishRequested:
            return events_pb2.ReplyPublishRequested(
                tenant_id=TENANT, reply_id=reply_id, case_id=str(uuid.uuid4()), review_id=review_id, platform="google",
                review_external_id="g000", text="Das tut uns leid – wir melden uns heute noch." if action == "publish" else "",
                action=action, revision=revision,
            )

        busy = {"error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}}
        google.script.fail(0, JSONResponse(busy, status_code=503), JSONResponse(busy, status_code=503))
        await publisher.publish(request(1))
        await publisher.publish(request(1))
        assert google.replies == {"g000": "Das tut uns leid – wir melden uns heute noch."}
        puts = [r.method for r in google.script.seen if r.method == "PUT"]
        assert puts == ["PUT", "PUT", "PUT"], "two failed tries, the third answered, the redelivery sent nothing"
        await publisher.publish(request(2, action="delete"))
        assert google.replies == {}
    published = [events_pb2.ReplyPublished.FromString(p) for p in await outbox_events(ingest_pool, topology.REPLY_PUBLISHED)]
    assert [(e.revision, e.action, e.platform_reply_id) for e in published] == [(1, "publish", f"{PARENT}/reviews/g000"), (2, "delete", f"{PARENT}/reviews/g000")]
