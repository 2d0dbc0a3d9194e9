"""Publishes the replies resolution asks for (`replies.publish_requested`) through the review's source.

Ingest owns the platform credentials (sealed in `sources`) and the clients, so it is the one that
calls the platform; resolution only records the outcome. A request is done once per
(reply_id, revision): the revision is locked while it is sent, and recorded together with the
outcome event in one transaction (ingest's outbox), so a redelivery or a second replica sends nothing
twice. A platform that stays unavailable after the connector's retries (5xx, 429 past its
Retry-After) leaves the request on the bus, which redelivers it with a growing delay: nothing is lost.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timezone

import asyncpg
import httpx

from libs import outbox, topology
from libs.bus import Delivery
from libs.crypto import SecretBox
from libs.errors import Unavailable, require_uuid
from libs.telemetry import current_traceparent
from reviewguard.events.v1 import events_pb2
from libs.token_bucket import TokenBuckets
from services.ingest.connectors import (
    ConnectorError,
    CredentialsRejected,
    PublishedReply,
    RepliesTo,
    ReplyTarget,
    RetryPolicy,
    SourceUnavailable,
    build_connector,
)
from services.ingest.connectors.rates import RATES
from services.ingest.replies import repository
from services.ingest.sources import attention
from services.ingest.sources.attention import NEEDS_ATTENTION
from services.ingest.reviews.repository import OUTBOX_CHANNEL

log = logging.getLogger(__name__)

PUBLISH, DELETE = "publish", "delete"


class ReplyPublisher:
    """The `replies.publish_requested` consumer of ingest."""

    def __init__(
        self, *, pool: asyncpg.Pool, box: SecretBox | None, client: httpx.AsyncClient, retry: RetryPolicy = RetryPolicy(),
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc), buckets: TokenBuckets | None = None,
    ) -> None:
        self._pool = pool
        self._buckets = buckets
        self._box = box
        self._client = client
        self._retry = retry
        self._clock = clock

    async def handle(self, batch: Sequence[Delivery[events_pb2.ReplyPublishRequested]]) -> None:
        for delivery in batch:
            await self.publish(delivery.message)

    async def publish(self, request: events_pb2.ReplyPublishRequested) -> None:
        """Sends one revision of a reply to the platform unless it was sent already; queues the outcome."""
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        reply = require_uuid(request.reply_id, field="reply_id")
        review = require_uuid(request.review_id, field="review_id") if request.review_id else None
        async with self._pool.acquire() as conn:
            # NOTE: a session lock, held while the platform is called, so a redelivery on another replica
            # waits, then finds it done; a killed replica's connection ends and frees it.
            await conn.execute("SELECT pg_advisory_lock(hashtextextended($1, 16))", str(reply))
            try:
                await self._publish_locked(conn, request, tenant=tenant, reply=reply, review=review)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 16))", str(reply))

    async def _publish_locked(
        self, conn: asyncpg.Connection, request: events_pb2.ReplyPublishRequested, *, tenant: uuid.UUID, reply: uuid.UUID,
        review: uuid.UUID | None,
    ) -> None:
        if await repository.done(conn, reply, request.revision) is not None:
            log.info("reply %s revision %d was published already; not sent again", reply, request.revision)
            return
        if await repository.newer_done(conn, reply, request.revision):
            # NOTE: a late redelivery of an older revision must not undo a newer edit or deletion.
            log.info("reply %s revision %d is superseded by a newer one; not sent", reply, request.revision)
            return
        row = await repository.review_and_source(conn, tenant, review_id=review, platform=request.platform, external_id=request.review_external_id)
        action = request.action or PUBLISH
        try:
            connector = self._connector(row, request, tenant)
            target = ReplyTarget(external_id=row["external_id"], product_id=row["product_id"], reviewer_id=row["reviewer_id"], order_id=row["order_id"])
            answer = None
            if not await repository.begin_attempt(conn, tenant_id=tenant, reply_id=reply, revision=request.revision, action=action):
                # NOTE: an earlier try of this revision may have reached the platform before ingest died:
                # what the platform shows decides, so it is not sent twice.
                answer = await self._already_there(connector, target, request)
            if answer is None:
                if action == DELETE:
                    answer = await connector.delete_reply(target, private=request.private)
                else:
                    answer = await connector.publish_reply(target, text=request.text, private=request.private)
        except SourceUnavailable:
            raise
        except ConnectorError as refused:
            # NOTE: connector messages name the status and a redacted URL, never a credential.
            log.warning("reply %s revision %d refused: %s", reply, request.revision, refused.message)
            async with conn.transaction():
                if isinstance(refused, CredentialsRejected) and row is not None:
                    await attention.needs_attention(conn, tenant_id=tenant, source_id=row["source_id"], reason=refused.message, now=self._clock())
                await self._queue(conn, topology.REPLY_PUBLISH_FAILED, request, events_pb2.ReplyPublishFailed(
                    tenant_id=request.tenant_id, reply_id=request.reply_id, revision=request.revision, action=action, reason=refused.message,
                ))
            return
        now = self._clock()
        async with conn.transaction():
            await repository.record(
                conn, tenant_id=tenant, reply_id=reply, revision=request.revision, action=action,
                source_id=row["source_id"], platform_reply_id=answer.platform_reply_id, published_at=now,
            )
            published = events_pb2.ReplyPublished(
                tenant_id=request.tenant_id, reply_id=request.reply_id, revision=request.revision, action=action,
                platform_reply_id=answer.platform_reply_id,
            )
            published.published_at.FromDatetime(now)
            await self._queue(conn, topology.REPLY_PUBLISHED, request, published)

    @staticmethod
    async def _already_there(connector: RepliesTo, target: ReplyTarget, request: events_pb2.ReplyPublishRequested) -> PublishedReply | None:
        """The platform's answer when it already shows what this revision asks for, else None (send it)."""
        shown = await connector.current_reply(target, private=request.private)
        wanted = None if request.action == DELETE else request.text
        if shown == wanted or (shown is not None and wanted is not None and shown.strip() == wanted.strip()):
            log.info("reply %s revision %d is on the platform already (an earlier try got through); recorded, not sent", request.reply_id, request.revision)
            return PublishedReply(platform_reply_id=target.external_id)
        return None

    def _connector(self, row: asyncpg.Record | None, request: events_pb2.ReplyPublishRequested, tenant: uuid.UUID) -> RepliesTo:
        if row is None:
            raise _NoPublisher(f"no source of this tenant collected review {request.review_external_id or request.review_id}; reply by hand")
        if row["status"] == NEEDS_ATTENTION:
            # NOTE: the platform refused this credential for good already: asking again only repeats that.
            raise CredentialsRejected(f"the source's credential needs attention ({row['attention_reason']}); sign in again, then edit the reply to resend")
        if self._box is None:
            raise Unavailable("publishing replies needs the sources' encryption key: set REVIEWGUARD_SECRET_KEYS")
        settings = self._box.open(row["settings"]) if row["settings"] is not None else {}
        connector = build_connector(row["kind"], settings, client=self._client, retry=self._retry)
        if not isinstance(connector, RepliesTo):
            raise _NoPublisher(f"a {row['kind']} source has no reply API; reply by hand")
        rate = RATES.get(connector.platform)
        if rate is not None and self._buckets is not None:
            limiter = self._buckets.limiter(tenant, connector.rate_key(), rate)
            connector = build_connector(row["kind"], settings, client=self._client, retry=self._retry, limiter=limiter)
        return connector

    @staticmethod
    async def _queue(conn: asyncpg.Connection, subject: str, request: events_pb2.ReplyPublishRequested, message) -> None:
        event = outbox.Event(
            subject=subject, msg_id=f"{subject}:{request.reply_id}:{request.revision}", payload=message.SerializeToString(),
            headers=current_traceparent(),
        )
        await outbox.add(conn, [event], channel=OUTBOX_CHANNEL)


class _NoPublisher(ConnectorError):
    """The review has no source whose platform takes replies: a permanent answer, not a retry."""

    permanent = True


