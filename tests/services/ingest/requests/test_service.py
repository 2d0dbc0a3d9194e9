"""Sending review requests from ingest against real PostgreSQL and local servers speaking Amazon's
Solicitations API (with Login with Amazon) and Trustpilot's business OAuth and Invitation API."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from libs import topology
from libs.crypto import SecretBox
from libs.errors import InvalidArgument
from libs.outbound import OutboundPolicy, outbound_client
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import ingest_pb2
from services.ingest.connectors import SourceUnavailable
from services.ingest.requests.service import ReviewRequestSender
from services.ingest.service import IngestService
from services.ingest.sources.service import SourceService
from tests.services.ingest.conftest import outbox_events
from tests.services.ingest.connectors.conftest import FAST_RETRY, secret_in_logs, serve
from tests.services.ingest.connectors.test_amazon_sp import DELIVERED, ORDER, REFRESH, Amazon, error, settings
from tests.services.ingest.connectors.test_trustpilot import API_KEY, UNIT

API_SECRET, PASSWORD = "tp-secret-3e7a90c1", "tp-password-d41f"
NOW = DELIVERED + timedelta(days=6)


@dataclass
class Trustpilot:
    """Trustpilot's business OAuth and Invitation API: the invitations it accepted."""

    invitations: list[dict] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    def routes(self) -> list[Route]:
        async def token(request: Request) -> Response:
            basic = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
            form = dict(await request.form())
            if request.headers.get("authorization") != f"Basic {basic}" or form.get("password") != PASSWORD:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            self.tokens.append(f"tp-access-{len(self.tokens)}")
            return JSONResponse({"access_token": self.tokens[-1], "refresh_token": "r", "expires_in": "359999"})

        async def invite(request: Request) -> Response:
            if request.headers.get("authorization") != f"Bearer {self.tokens[-1] if self.tokens else '-'}":
                return JSONResponse({"message": "Unauthorized"}, status_code=401)
            assert request.path_params["unit"] == UNIT
            self.invitations.append(json.loads(await request.body()))
            return Response(status_code=202)

        return [
            Route("/v1/oauth/oauth-business-users-for-applications/accesstoken", token, methods=["POST"]),
            Route("/v1/private/business-units/{unit}/email-invitations", invite, methods=["POST"]),
        ]


@dataclass
class World:
    amazon: Amazon
    trustpilot: Trustpilot
    sources: SourceService
    sender: ReviewRequestSender
    pool: asyncpg.Pool
    amazon_url: str
    trustpilot_url: str


@pytest.fixture
async def world(ingest_pool: asyncpg.Pool, ingest: IngestService) -> AsyncIterator[World]:
    amazon, trustpilot = Amazon(), Trustpilot()
    box = SecretBox([SecretBox.new_key()])
    outbound = OutboundPolicy(["127.0.0.1"])
    async with serve(amazon.routes()) as amazon_url, serve(trustpilot.routes()) as trustpilot_url, outbound_client(outbound, timeout=5.0) as client:
        sources = SourceService(pool=ingest_pool, ingest=ingest, box=box, client=client, retry=FAST_RETRY, outbound=outbound)
        sender = ReviewRequestSender(pool=ingest_pool, box=box, client=client, retry=FAST_RETRY, clock=lambda: NOW)
        yield World(amazon, trustpilot, sources, sender, ingest_pool, amazon_url, trustpilot_url)


TENANT = str(uuid.uuid4())


async def add_amazon(world: World, tenant: str = TENANT) -> ingest_pb2.Source:
    return await world.sources.create(request=ingest_pb2.CreateSourceRequest(
        tenant_id=tenant, kind="amazon_sp", name="Acme on Amazon EU", settings_json=json.dumps(settings(world.amazon_url)),
    ))


async def add_trustpilot(world: World, tenant: str) -> ingest_pb2.Source:
    return await world.sources.create(request=ingest_pb2.CreateSourceRequest(
        tenant_id=tenant, kind="trustpilot", name="Acme on Trustpilot", settings_json=json.dumps({
            "business_unit_id": UNIT, "api_key": API_KEY, "base_url": world.trustpilot_url, "api_secret": API_SECRET,
            "username": "owner@acme.example", "password": PASSWORD,
        }),
    ))  # fmt: skip


def send_request(*, tenant: str = TENANT, order_id: str = ORDER, platform: str = "amazon", customer: str = "A2WEBER", request_id: str = "", language: str = "de"):
    message = events_pb2.ReviewRequestSendRequested(
        tenant_id=tenant, request_id=request_id or str(uuid.uuid4()), order_id=order_id, platform=platform, marketplace="DE",
        customer_id=customer, language=language, text="Guten Tag, vielen Dank für Ihre Bestellung.", channels=["order_page_button"],
    )
    message.delivered_at.FromDatetime(DELIVERED)
    return message


async def outcomes(pool: asyncpg.Pool) -> list[events_pb2.ReviewRequestOutcome]:
    return [events_pb2.ReviewRequestOutcome.FromString(p) for p in await outbox_events(pool, topology.REVIEW_REQUEST_OUTCOME)]


async def test_an_amazon_order_is_solicited_once_through_outages_and_a_repeat_is_refused(world: World, caplog: pytest.LogCaptureFixture) -> None:
    source = await add_amazon(world)
    assert source.status == "send_only" and REFRESH not in str(source)
    assert await world.sources.poll_due() == 0, "a send-only source is never polled"
    world.amazon.faults = [error("InternalFailure", "We encountered an internal error.", 500) for _ in range(4)]
    first = send_request()
    with pytest.raises(SourceUnavailable):
        await world.sender.send(first)
    assert await outcomes(world.pool) == [], "an outage answers nothing: the bus redelivers the request"
    world.amazon.faults = [error("QuotaExceeded", "You exceeded your quota.", 429, **{"Retry-After": "0"})]
    await world.sender.send(first)
    await world.sender.send(first)
    await world.sender.send(send_request(order_id=ORDER))

    assert world.amazon.solicited == [ORDER], "one request per order, never twice"
    sent, refused = await outcomes(world.pool)
    assert (sent.request_id, sent.outcome, sent.route, sent.platform_request_id) == (first.request_id, "sent", "amazon_solicitations", f"{ORDER}/productReviewAndSellerFeedback")
    assert sent.at.ToDatetime(tzinfo=timezone.utc) == NOW
    assert (refused.outcome, refused.route) == ("refused", "amazon_solicitations") and "one per order" in refused.reason
    assert secret_in_logs(caplog, REFRESH) == []


async def test_outside_amazons_window_nothing_is_sent_and_an_early_request_is_deferred(world: World) -> None:
    await add_amazon(world)
    early, late = send_request(order_id="302-0000000-0000001"), send_request(order_id="302-0000000-0000002")
    early.delivered_at.FromDatetime(NOW - timedelta(days=2))
    late.delivered_at.FromDatetime(NOW - timedelta(days=31))
    world.amazon.eligible |= {early.order_id, late.order_id}
    await world.sender.send(early)
    await world.sender.send(late)
    deferred, refused = await outcomes(world.pool)
    assert deferred.outcome == "deferred" and deferred.not_before.ToDatetime(tzinfo=timezone.utc) == NOW + timedelta(days=3)
    assert refused.outcome == "refused" and "more than 30 days" in refused.reason
    assert world.amazon.calls == [], "refused locally"
    # NOTE: a deferred request is not done: the same request sent again on its day goes out.
    later = ReviewRequestSender(pool=world.pool, box=world.sender._box, client=world.sender._client, retry=FAST_RETRY, clock=lambda: NOW + timedelta(days=3))
    await later.send(early)
    assert world.amazon.solicited == [early.order_id] and (await outcomes(world.pool))[-1].outcome == "sent"


async def test_other_orders_become_trustpilot_invitations_or_manual_e_mail(world: World) -> None:
    with_trustpilot, without = str(uuid.uuid4()), str(uuid.uuid4())
    await add_trustpilot(world, with_trustpilot)
    invited = send_request(tenant=with_trustpilot, order_id="12-34567-89012", platform="ebay", customer="kunde@example.de")
    await world.sender.send(invited)
    await world.sender.send(send_request(tenant=with_trustpilot, order_id="12-34567-89013", platform="ebay", customer="K-1001"))
    await world.sender.send(send_request(tenant=without, order_id="12-34567-89014", platform="ebay", customer="kunde@example.de"))
    await world.sender.send(send_request(tenant=without, order_id=ORDER))

    (invitation,) = world.trustpilot.invitations
    assert (invitation["consumerEmail"], invitation["referenceNumber"], invitation["locale"], invitation["type"]) == (
        "kunde@example.de", "12-34567-89012", "de-DE", "email")
    sent, no_email, email, amazon = await outcomes(world.pool)
    assert (sent.outcome, sent.route, sent.platform_request_id) == ("sent", "trustpilot_invitation", "12-34567-89012")
    assert (no_email.outcome, no_email.route) == ("refused", "trustpilot_invitation") and "e-mail address" in no_email.reason
    assert (email.outcome, email.route) == ("manual", "email") and "by hand" in email.reason
    assert (amazon.outcome, amazon.route) == ("manual", "amazon_solicitations") and "no Amazon SP-API source" in amazon.reason
    assert world.amazon.calls == []


async def test_revoked_amazon_credentials_fail_the_request_without_sending(world: World) -> None:
    await add_amazon(world)
    world.amazon.revoked = True
    await world.sender.send(send_request())
    (failed,) = await outcomes(world.pool)
    assert (failed.outcome, failed.route) == ("failed", "amazon_solicitations") and "Seller Central" in failed.reason
    assert world.amazon.solicited == [] and REFRESH not in failed.reason


async def test_amazon_sp_settings_are_validated_field_by_field(world: World) -> None:
    for broken, name in [({"client_id": "x"}, "client_secret"), ({**settings(world.amazon_url), "client_id": ""}, "client_id")]:
        with pytest.raises(InvalidArgument) as raised:
            await world.sources.create(request=ingest_pb2.CreateSourceRequest(tenant_id=TENANT, kind="amazon_sp", name="bad", settings_json=json.dumps(broken)))
        assert name in [v.field for v in raised.value.violations]
    with pytest.raises(InvalidArgument) as raised:
        await world.sources.create(request=ingest_pb2.CreateSourceRequest(
            tenant_id=TENANT, kind="amazon_sp", name="hooked", settings_json=json.dumps(settings(world.amazon_url)), webhook_secret="s"))
    assert [v.field for v in raised.value.violations] == ["webhook_secret"]
    assert await world.sources.list(tenant_id=TENANT) == []
