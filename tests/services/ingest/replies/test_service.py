"""Publishing replies from ingest against real PostgreSQL and a local server speaking Trustpilot's
business OAuth and private reply API: retried through 503 and 429 with Retry-After, sent once."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import asyncpg
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from libs import topology
from libs.crypto import SecretBox
from libs.errors import Unavailable
from libs.outbound import OutboundPolicy, outbound_client
from libs.token_bucket import TokenBuckets
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import ingest_pb2, review_pb2
from services.ingest.connectors import SourceUnavailable
from services.ingest.models import Limits
from services.ingest.replies.service import ReplyPublisher
from services.ingest.service import IngestService
from services.ingest.sources.service import SourceService
from tests.services.ingest.conftest import outbox_events
from tests.services.ingest.connectors.conftest import FAST_RETRY, secret_in_logs, serve
from tests.services.ingest.connectors.test_trustpilot import API_KEY, NOW, UNIT

TENANT = str(uuid.uuid4())
API_SECRET = "tp-secret-9b1e44c07a"
PASSWORD = "tp-password-71cc0e"
REFRESH = "tp-refresh-0aa7d3"
BUSINESS_USER = "5e1f0b7c9d3a2b0001c4d5e6"
REVIEW = "6488a1f2c3d4e5f6a7b8c9d0"


@dataclass
class Trustpilot:
    """The platform's state: tokens it issued, replies it holds, every reply call it answered."""

    faults: list[Response] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    grants: list[dict] = field(default_factory=list)
    replies: dict[str, str] = field(default_factory=dict)
    reply_calls: list[tuple[str, int]] = field(default_factory=list)
    revoked: bool = False
    # Takes the next reply, then answers only once released (the caller is killed meanwhile).
    hang_after_taking: bool = False
    release: asyncio.Event = field(default_factory=asyncio.Event)
    review_reads: int = 0

    def routes(self) -> list[Route]:
        async def token(request: Request) -> Response:
            basic = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {basic}":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            form = dict(await request.form())
            self.grants.append(form)
            good = (form.get("grant_type") == "password" and form.get("password") == PASSWORD) or (
                form.get("grant_type") == "refresh_token" and form.get("refresh_token") == REFRESH
            )
            if self.revoked or not good:
                return JSONResponse({"error": "invalid_grant", "error_description": "grant revoked"}, status_code=400)
            issued = f"access-{len(self.issued)}"
            self.issued.append(issued)
            return JSONResponse({"access_token": issued, "refresh_token": REFRESH, "expires_in": "359999", "token_type": "Bearer"})

        async def reply(request: Request) -> Response:
            review = request.path_params["review"]
            if request.headers.get("authorization") != f"Bearer {self.issued[-1] if self.issued else '-'}":
                self.reply_calls.append((request.method, 401))
                return JSONResponse({"message": "Unauthorized"}, status_code=401)
            if self.faults:
                fault = self.faults.pop(0)
                self.reply_calls.append((request.method, fault.status_code))
                return fault
            if request.method == "DELETE":
                self.replies.pop(review, None)
                self.reply_calls.append(("DELETE", 204))
                return Response(status_code=204)
            body = json.loads(await request.body())
            assert body["authorBusinessUserId"] == BUSINESS_USER
            self.replies[review] = body["message"]
            self.reply_calls.append(("POST", 201))
            if self.hang_after_taking:
                self.hang_after_taking = False
                await self.release.wait()
            return Response(status_code=201)

        async def public_review(request: Request) -> Response:
            if request.headers.get("apikey") != API_KEY:
                return JSONResponse({"message": "Unauthorized"}, status_code=401)
            review = request.path_params["review"]
            self.review_reads += 1
            body = {"id": review, "stars": 1, "text": "Never arrived."}
            if review in self.replies:
                body["companyReply"] = {"text": self.replies[review], "createdAt": "2026-11-23T12:00:00Z"}
            return JSONResponse(body)

        return [
            Route("/v1/oauth/oauth-business-users-for-applications/accesstoken", token, methods=["POST"]),
            Route("/v1/oauth/oauth-business-users-for-applications/refresh", token, methods=["POST"]),
            Route("/v1/private/reviews/{review}/reply", reply, methods=["POST", "DELETE"]),
            Route("/v1/reviews/{review}", public_review, methods=["GET"]),
        ]


@dataclass
class World:
    trustpilot: Trustpilot
    publisher: ReplyPublisher
    pool: asyncpg.Pool
    review_id: str
    database_url: str = ""
    key: str = ""
    sources: SourceService | None = None
    source_id: str = ""
    settings: dict = field(default_factory=dict)


@pytest.fixture
async def world(ingest_pool: asyncpg.Pool, database_url: str) -> AsyncIterator[World]:
    platform = Trustpilot()
    key = SecretBox.new_key()
    box = SecretBox([key])
    outbound = OutboundPolicy(["127.0.0.1"])
    ingest = IngestService(pool=ingest_pool, limits=Limits(max_title_chars=500, max_body_chars=20_000), max_batch=500)
    async with serve(platform.routes()) as base_url, outbound_client(outbound, timeout=5.0) as client:
        sources = SourceService(pool=ingest_pool, ingest=ingest, box=box, client=client, retry=FAST_RETRY, outbound=outbound)
        source = await sources.create(request=ingest_pb2.CreateSourceRequest(
            tenant_id=TENANT, kind="trustpilot", name="Acme on Trustpilot", backfill_days=30, poll_interval_seconds=60,
            settings_json=json.dumps(settings := {
                "business_unit_id": UNIT, "api_key": API_KEY, "base_url": base_url, "api_secret": API_SECRET,
                "username": "owner@acme.example", "password": PASSWORD, "business_user_id": BUSINESS_USER,
            }),
        ))  # fmt: skip
        review = review_pb2.Review(
            platform="trustpilot", marketplace="trustpilot.com", store_id=UNIT, external_id=REVIEW, product_id=UNIT, rating=1,
            body="Never arrived.", reviewer=review_pb2.Reviewer(id="c1", name="Kunde"),
        )
        review.posted_at.FromDatetime(NOW)
        stored = await ingest.submit(TENANT, [review], channel="pull", source_id=source.id)
        async with ingest_pool.acquire() as conn:
            review_id = str(await conn.fetchval("SELECT id FROM reviews WHERE external_id = $1", REVIEW))
            await conn.execute("DELETE FROM outbox")
        assert stored is not None
        yield World(
            platform, ReplyPublisher(pool=ingest_pool, box=box, client=client, retry=FAST_RETRY, buckets=TokenBuckets(ingest_pool, max_wait_seconds=30)),
            ingest_pool, review_id, database_url, key,
            sources, source.id, settings,
        )


def request(world: World, *, text: str = "We are sorry; a replacement is on its way.", revision: int = 1, action: str = "publish", reply_id: str = "") -> events_pb2.ReplyPublishRequested:
    return events_pb2.ReplyPublishRequested(
        tenant_id=TENANT, reply_id=reply_id or "0b5f4a8e-1c2d-4e3f-8a9b-0c1d2e3f4a5b", case_id=str(uuid.uuid4()), review_id=world.review_id,
        platform="trustpilot", review_external_id=REVIEW, text=text, action=action, revision=revision,
    )


async def published(pool: asyncpg.Pool) -> list[events_pb2.ReplyPublished]:
    return [events_pb2.ReplyPublished.FromString(p) for p in await outbox_events(pool, topology.REPLY_PUBLISHED)]


async def test_an_outage_then_a_429_still_publishes_exactly_one_reply(world: World, caplog: pytest.LogCaptureFixture) -> None:
    world.trustpilot.faults = [Response("upstream down", status_code=503), Response(status_code=429, headers={"Retry-After": "1"})]
    caplog.set_level("DEBUG")
    await world.publisher.publish(request(world))
    # The third try answered; the platform holds one reply, and its answer waits in the outbox.
    assert world.trustpilot.reply_calls == [("POST", 503), ("POST", 429), ("POST", 201)]
    assert world.trustpilot.replies == {REVIEW: "We are sorry; a replacement is on its way."}
    [event] = await published(world.pool)
    assert (event.reply_id, event.revision, event.action, event.platform_reply_id) == (request(world).reply_id, 1, "publish", REVIEW)
    assert event.published_at.seconds > 0
    # A redelivery of the same request (a lost ack) sends nothing again.
    await world.publisher.publish(request(world))
    assert len(world.trustpilot.reply_calls) == 3 and len(await published(world.pool)) == 1
    # The 429 held the credential's shared bucket (every replica waits it out); the key names no secret.
    async with world.pool.acquire() as conn:
        [bucket] = await conn.fetch("SELECT key, blocked_until FROM rate_buckets")
    assert bucket["key"].startswith("trustpilot:") and API_KEY not in bucket["key"] and bucket["blocked_until"] is not None
    for secret in (API_SECRET, PASSWORD, world.trustpilot.issued[0]):
        assert not secret_in_logs(caplog, secret)


async def test_an_edit_replaces_the_reply_and_a_deletion_takes_it_down(world: World) -> None:
    await world.publisher.publish(request(world))
    await world.publisher.publish(request(world, text="Your refund was sent today.", revision=2))
    assert world.trustpilot.replies == {REVIEW: "Your refund was sent today."}
    await world.publisher.publish(request(world, action="delete", revision=3))
    assert world.trustpilot.replies == {}
    assert [(e.revision, e.action) for e in await published(world.pool)] == [(1, "publish"), (2, "publish"), (3, "delete")]


async def test_an_expired_token_is_renewed_and_a_revoked_login_fails_the_reply_without_sending(world: World) -> None:
    await world.publisher.publish(request(world))
    # The platform forgets the token (expired early): the next call renews it once and goes through.
    world.trustpilot.issued.append("someone-elses-token")
    await world.publisher.publish(request(world, text="Second thoughts.", revision=2))
    assert world.trustpilot.replies[REVIEW] == "Second thoughts."
    assert [g["grant_type"] for g in world.trustpilot.grants] == ["password", "password"]
    world.trustpilot.revoked = True
    world.trustpilot.issued.append("expired")
    await world.publisher.publish(request(world, text="Third.", revision=3))
    assert world.trustpilot.replies[REVIEW] == "Second thoughts."
    [failed] = [events_pb2.ReplyPublishFailed.FromString(p) for p in await outbox_events(world.pool, topology.REPLY_PUBLISH_FAILED)]
    assert failed.revision == 3 and "invalid_grant" in failed.reason and PASSWORD not in failed.reason
    # The source needs a person now: marked with the reason, polled no more, and announced once for alerting.
    async with world.pool.acquire() as conn:
        source = await conn.fetchrow("SELECT status, attention_reason, next_poll_at FROM sources")
    assert source["status"] == "needs_attention" and "invalid_grant" in source["attention_reason"] and source["next_poll_at"] is None
    await world.publisher.publish(request(world, text="Fourth.", revision=4))
    [notice] = [events_pb2.SourceNeedsAttention.FromString(p) for p in await outbox_events(world.pool, topology.SOURCE_NEEDS_ATTENTION)]
    assert (notice.tenant_id, notice.kind, notice.name) == (TENANT, "trustpilot", "Acme on Trustpilot") and "invalid_grant" in notice.reason
    assert PASSWORD not in notice.reason and API_SECRET not in notice.reason
    assert [g["grant_type"] for g in world.trustpilot.grants].count("password") == 3  # revision 4 asked nobody
    # Signing in again (new settings) makes the source active again and clears the reason.
    world.trustpilot.revoked = False
    fixed = await world.sources.update(request=ingest_pb2.UpdateSourceRequest(
        tenant_id=TENANT, source_id=world.source_id, settings_json=json.dumps(world.settings), fields=["settings_json"],
    ))  # fmt: skip
    assert fixed.status == "active" and fixed.last_error == ""


async def test_a_review_no_source_collected_fails_for_good(world: World) -> None:
    message = request(world)
    message.review_id = ""
    message.review_external_id = "not-collected"
    await world.publisher.publish(message)
    [failed] = [events_pb2.ReplyPublishFailed.FromString(p) for p in await outbox_events(world.pool, topology.REPLY_PUBLISH_FAILED)]
    assert "no source" in failed.reason and world.trustpilot.reply_calls == []


async def killed_while_sending(world: World, message: events_pb2.ReplyPublishRequested) -> None:
    """Runs the publisher in a process of its own and SIGKILLs it once the platform has taken the reply
    (before its answer arrives, so before ingest could record anything)."""
    args = json.dumps({"dsn": world.database_url, "key": world.key, "request": message.SerializeToString().hex()})
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.services.ingest.replies.publish_once", args)
    try:
        for _ in range(1200):  # NOTE: a bound on waiting for the child to start, not a timing claim
            if world.trustpilot.reply_calls or process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        assert world.trustpilot.reply_calls == [("POST", 201)], "the child reached the platform"
    finally:
        process.kill()
        await process.wait()
        world.trustpilot.release.set()  # lets the server shut down; nobody is left to read the answer


async def test_a_kill_between_send_and_record_does_not_send_twice(world: World) -> None:
    world.trustpilot.hang_after_taking = True
    await killed_while_sending(world, request(world))
    assert await published(world.pool) == []  # nothing was recorded: the kill came first
    # The bus redelivers (no ack came): the platform shows the reply already, so it is recorded, not sent.
    await world.publisher.publish(request(world))
    assert world.trustpilot.reply_calls == [("POST", 201)] and world.trustpilot.review_reads == 1
    [event] = await published(world.pool)
    assert (event.revision, event.platform_reply_id) == (1, REVIEW) and event.published_at.seconds > 0
    await world.publisher.publish(request(world))
    assert len(world.trustpilot.reply_calls) == 1 and len(await published(world.pool)) == 1


async def test_a_try_cut_short_before_the_platform_took_it_is_sent_on_redelivery(world: World) -> None:
    world.trustpilot.faults = [Response("upstream down", status_code=503)] * 8
    with pytest.raises(SourceUnavailable):
        await world.publisher.publish(request(world))
    assert world.trustpilot.replies == {}
    world.trustpilot.faults = []
    await world.publisher.publish(request(world))
    # Checked first (an earlier try had begun), found missing, then sent once.
    assert world.trustpilot.review_reads == 1 and world.trustpilot.replies == {REVIEW: "We are sorry; a replacement is on its way."}
    assert [c for c in world.trustpilot.reply_calls if c[1] == 201] == [("POST", 201)] and len(await published(world.pool)) == 1


async def test_a_late_redelivery_of_an_older_revision_does_not_undo_a_newer_one(world: World) -> None:
    await world.publisher.publish(request(world))
    await world.publisher.publish(request(world, action="delete", revision=2))
    calls = len(world.trustpilot.reply_calls)
    await world.publisher.publish(request(world, text="An old draft.", revision=1))
    assert world.trustpilot.replies == {} and len(world.trustpilot.reply_calls) == calls


async def test_a_credential_out_of_tokens_sends_nothing_now_and_keeps_the_request(world: World) -> None:
    await world.publisher.publish(request(world))
    # Another replica used up the allowance (or the platform said 429 for an hour).
    async with world.pool.acquire() as conn:
        await conn.execute("UPDATE rate_buckets SET tokens = 0, blocked_until = now() + interval '1 hour'")
    with pytest.raises(Unavailable):
        await world.publisher.publish(request(world, text="Your refund was sent today.", revision=2))
    assert world.trustpilot.replies == {REVIEW: "We are sorry; a replacement is on its way."} and len(world.trustpilot.reply_calls) == 1
    assert [e.revision for e in await published(world.pool)] == [1]  # revision 2 waits on the bus, not lost
    async with world.pool.acquire() as conn:
        await conn.execute("UPDATE rate_buckets SET tokens = 833, blocked_until = NULL")
    await world.publisher.publish(request(world, text="Your refund was sent today.", revision=2))
    assert world.trustpilot.replies == {REVIEW: "Your refund was sent today."}
