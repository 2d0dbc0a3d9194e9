"""Sends the review requests resolution asks for (`review_requests.send_requested`) and answers each outcome.

Ingest owns the platform credentials (sealed in `sources`) and the clients, so it is the one that
calls the platform, as for replies (replies/service.py). The route follows the order's platform and
the tenant's sources:
- an Amazon order goes through the Solicitations API of the tenant's `amazon_sp` source: once per
  order, only 5 to 30 days after delivery (too early answers `deferred` with the day it opens);
- any other order, where the tenant has a Trustpilot source with a business login, becomes a
  Trustpilot invitation e-mail (the buyer's customer_id must be an e-mail address);
- otherwise it is `manual`: ReviewGuard has no mail transport for buyers (the SMTP receiver is
  alerting's, for operators), so the localised text waits in the request to be sent by hand.
A request is done once: locked per order while it is sent, recorded together with the outcome event
in one transaction (ingest's outbox). A platform that stays unavailable after the client's retries
leaves the request on the bus, which redelivers it later: nothing is lost, nothing sent twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import asyncpg
import httpx

from libs import outbox, topology
from libs.bus import Delivery
from libs.crypto import SecretBox
from libs.errors import Unavailable, require_uuid
from libs.telemetry import current_traceparent
from reviewguard.events.v1 import events_pb2
from services.ingest.connectors import ConnectorError, RetryPolicy, SourceUnavailable
from services.ingest.connectors.amazon_sp import BURST, RATE_PER_SECOND, AmazonSolicitations, AmazonSpConfig, serves
from services.ingest.connectors.pacing import Pacer
from services.ingest.connectors.registry import parse_config
from services.ingest.connectors.trustpilot import TrustpilotConfig
from services.ingest.connectors.trustpilot_invitations import TrustpilotInviter, is_email
from services.ingest.requests import repository
from services.ingest.reviews.repository import OUTBOX_CHANNEL

log = logging.getLogger(__name__)

AMAZON, TRUSTPILOT, EMAIL = "amazon_solicitations", "trustpilot_invitation", "email"
SENT, REFUSED, FAILED, MANUAL, DEFERRED = "sent", "refused", "failed", "manual", "deferred"


@dataclass(frozen=True)
class _Outcome:
    outcome: str
    route: str
    reason: str = ""
    source_id: uuid.UUID | None = None
    platform_request_id: str = ""
    not_before: datetime | None = None


class ReviewRequestSender:
    """The `review_requests.send_requested` consumer of ingest."""

    def __init__(
        self, *, pool: asyncpg.Pool, box: SecretBox | None, client: httpx.AsyncClient, retry: RetryPolicy = RetryPolicy(),
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._pool = pool
        self._box = box
        self._client = client
        self._retry = retry
        self._clock = clock
        # NOTE: one pacer per Amazon credential (source), so every request of this process on one
        # seller's authorisation shares Amazon's 1 request/s, burst 5. A stop-gap until issue 16's
        # shared PostgreSQL bucket paces all replicas together.
        self._pacers: dict[uuid.UUID, Pacer] = {}

    async def handle(self, batch: Sequence[Delivery[events_pb2.ReviewRequestSendRequested]]) -> None:
        for delivery in batch:
            await self.send(delivery.message)

    async def send(self, request: events_pb2.ReviewRequestSendRequested) -> None:
        """Sends one review request unless it was handled already; queues its outcome for resolution."""
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        request_id = require_uuid(request.request_id, field="request_id")
        async with self._pool.acquire() as conn, conn.transaction():
            # NOTE: held while the platform is called, so a second request for the order (or a
            # redelivery on another replica) waits, then finds it done.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 17))", f"{tenant}:{request.order_id}")
            if await repository.outcome_of(conn, tenant, request_id) is not None:
                log.info("review request %s was handled already; not sent again", request_id)
                return
            now = self._clock()
            try:
                result = await self._send(conn, tenant, request, now)
            except SourceUnavailable:
                raise
            except ConnectorError as failed:
                # NOTE: connector messages name the status and a redacted URL, never a credential.
                log.warning("review request %s failed: %s", request_id, failed.message)
                result = _Outcome(FAILED, AMAZON if request.platform == "amazon" else TRUSTPILOT, reason=failed.message)
            if result.outcome != DEFERRED:
                await repository.record(
                    conn, tenant_id=tenant, request_id=request_id, order_id=request.order_id, route=result.route, outcome=result.outcome,
                    reason=result.reason, source_id=result.source_id, platform_request_id=result.platform_request_id, at=now,
                )
            await self._queue(conn, request, result, now)

    async def _send(self, conn: asyncpg.Connection, tenant: uuid.UUID, request: events_pb2.ReviewRequestSendRequested, now: datetime) -> _Outcome:
        if request.platform == "amazon":
            return await self._solicit(conn, tenant, request, now)
        for row in await repository.sources_of_kind(conn, tenant, "trustpilot"):
            config = parse_config("trustpilot", self._settings(row))
            if isinstance(config, TrustpilotConfig) and config.api_secret is not None:
                return await self._invite(row["id"], config, request, now)
        return _Outcome(MANUAL, EMAIL, reason="ReviewGuard sends no e-mail to buyers: send the request's text by hand")

    async def _solicit(self, conn: asyncpg.Connection, tenant: uuid.UUID, request: events_pb2.ReviewRequestSendRequested, now: datetime) -> _Outcome:
        sources = await repository.sources_of_kind(conn, tenant, "amazon_sp")
        if not sources:
            return _Outcome(MANUAL, AMAZON, reason="no Amazon SP-API source (kind amazon_sp): use Request a Review on the order page")
        if await repository.sent_for_order(conn, tenant, AMAZON, request.order_id) is not None:
            return _Outcome(REFUSED, AMAZON, reason="a review request was sent for this order already (Amazon allows one per order)")
        # NOTE: a seller authorised in several regions has a source per endpoint: take the one
        # serving the order's marketplace, else the oldest (a test or proxy endpoint).
        configs = [(row, parse_config("amazon_sp", self._settings(row))) for row in sources]
        source, config = next(((row, c) for row, c in configs if isinstance(c, AmazonSpConfig) and serves(c, request.marketplace)), configs[0])
        assert isinstance(config, AmazonSpConfig)
        pacer = self._pacers.setdefault(source["id"], Pacer(rate=RATE_PER_SECOND, burst=BURST))
        client = AmazonSolicitations(config, client=self._client, retry=self._retry, pacer=pacer)
        answer = await client.request_review(
            request.order_id, marketplace=request.marketplace, delivered_at=request.delivered_at.ToDatetime(tzinfo=timezone.utc), now=now
        )
        if answer.sent:
            return _Outcome(SENT, AMAZON, source_id=source["id"], platform_request_id=answer.platform_request_id)
        outcome = DEFERRED if answer.not_before is not None else REFUSED
        return _Outcome(outcome, AMAZON, reason=answer.reason, source_id=source["id"], not_before=answer.not_before)

    async def _invite(self, source_id: uuid.UUID, config: TrustpilotConfig, request: events_pb2.ReviewRequestSendRequested, now: datetime) -> _Outcome:
        if not is_email(request.customer_id):
            return _Outcome(REFUSED, TRUSTPILOT, reason="a Trustpilot invitation needs the buyer's e-mail address as customer_id", source_id=source_id)
        inviter = TrustpilotInviter(config, client=self._client, retry=self._retry)
        reference = await inviter.invite(order_id=request.order_id, email=request.customer_id, name="", language=request.language, at=now)
        return _Outcome(SENT, TRUSTPILOT, source_id=source_id, platform_request_id=reference)

    def _settings(self, row: asyncpg.Record) -> dict:
        if self._box is None:
            raise Unavailable("sending review requests needs the sources' encryption key: set REVIEWGUARD_SECRET_KEYS")
        return self._box.open(row["settings"]) if row["settings"] is not None else {}

    @staticmethod
    async def _queue(conn: asyncpg.Connection, request: events_pb2.ReviewRequestSendRequested, result: _Outcome, at: datetime) -> None:
        message = events_pb2.ReviewRequestOutcome(
            tenant_id=request.tenant_id, request_id=request.request_id, outcome=result.outcome, route=result.route, reason=result.reason,
            platform_request_id=result.platform_request_id,
        )
        message.at.FromDatetime(at)
        key = f"{topology.REVIEW_REQUEST_OUTCOME}:{request.request_id}:{result.outcome}"
        if result.not_before is not None:
            message.not_before.FromDatetime(result.not_before)
            key += f":{int(result.not_before.timestamp())}"
        event = outbox.Event(subject=topology.REVIEW_REQUEST_OUTCOME, msg_id=key, payload=message.SerializeToString(), headers=current_traceparent())
        await outbox.add(conn, [event], channel=OUTBOX_CHANNEL)
