"""Bus adapter of the resolution service: each JetStream batch handed to the use case it asks for.

- `alerts.fired` opens (and assigns) one case per alert and announces it (`cases.opened`);
- `reviews.ingested` (live and history) keeps what cases need of each review;
- `reviews.updated` keeps the review's facts current and records rating changes;
- `replies.published` / `replies.publish_failed` record what the platform answered ingest;
- `review_requests.outcome` records what became of each review request ingest was asked to send.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timezone

from opentelemetry import trace

from libs import topology
from libs.bus import Bus, Delivery
from libs.errors import require_uuid, require_uuids
from reviewguard.events.v1 import events_pb2
from reviewguard.resolution.v1 import case_pb2
from services.resolution import repository
from services.resolution.cases import flows as cases
from services.resolution.context import Context
from services.resolution.customers import flows as customers
from services.resolution.kpis import flows as kpis
from services.resolution.publishing import flows as publishing
from services.resolution.relay import CaseEventRelay
from services.resolution.requests import flows as review_requests

tracer = trace.get_tracer(__name__)


class Consumers:
    """The handlers `app.py` subscribes; each batch is one transaction, then the case-event relay runs."""

    def __init__(self, *, ctx: Context, bus: Bus | None, relay: CaseEventRelay) -> None:
        self._ctx = ctx
        self._bus = bus
        self._relay = relay

    async def handle_fired(self, batch: Sequence[Delivery[events_pb2.AlertFired]]) -> None:
        """Opens one case per alert (idempotent) for the whole batch in one transaction, assigns the new
        ones when a team serves their market, and announces each (a redelivery re-announces the same id)."""
        assert self._bus is not None, "handle_fired needs a bus"
        wanted = [d for d in batch if cases.opens_case(d.message.alert)]
        if not wanted:
            return
        for delivery in wanted:
            alert = delivery.message.alert
            ids = {"alert.id": alert.id, "alert.tenant_id": alert.tenant_id}
            if alert.review_id:
                ids["alert.review_id"] = alert.review_id
            require_uuids(ids)
        async with self._ctx.pool.acquire() as conn, conn.transaction():
            opened = await cases.open_for_alerts(self._ctx, conn, [d.message.alert for d in wanted])
        # NOTE: one publish round for the batch, after the commit and before the bus acks it; a crash
        # in between redelivers the batch, which finds its cases and announces them again (same ids).
        await asyncio.gather(*(self._announce(d, repository.to_proto(o.row)) for d, o in zip(wanted, opened)))
        # NOTE: opening moves no case along the state machine, so there are no follow-on effects to
        # apply here, only the assignment entries to publish (a leftover effect waits for the scheduled round).
        await self._relay.publish_pending()

    async def _announce(self, delivery: Delivery, case: case_pb2.Case) -> None:
        with tracer.start_as_current_span("resolution.open_case", context=delivery.context) as span:
            span.set_attribute("case.id", case.id)
            span.set_attribute("alert.id", case.alert_id)
            await self._bus.publish(topology.CASE_OPENED, events_pb2.CaseOpened(case=case), msg_id=f"case:{case.id}")

    async def handle_reviews_ingested(self, batch: Sequence[Delivery[events_pb2.ReviewIngested]]) -> None:
        """Keeps what cases need of each review (platform ids, order, reviewer, rating), live or history,
        and links the open cases already opened for them; one transaction per batch."""
        for delivery in batch:
            review = delivery.message.review
            if review.id and review.tenant_id:
                require_uuids({"review.id": review.id, "review.tenant_id": review.tenant_id})
        async with self._ctx.pool.acquire() as conn, conn.transaction():
            linked = await customers.record_reviews(self._ctx, conn, [d.message.review for d in batch])
        if linked:
            await self._relay.run()

    async def handle_review_updated(self, batch: Sequence[Delivery[events_pb2.ReviewUpdated]]) -> None:
        """Records rating changes from ingest's `reviews.updated` events (idempotent), and keeps the review's
        facts current (an order id added later links the case; a raised rating no longer blocks review requests)."""
        await self.handle_reviews_ingested(batch)
        recorded = False
        for delivery in batch:
            event = delivery.message
            if not event.old_rating or not event.new_rating or event.old_rating == event.new_rating:
                continue
            review = event.review
            changed_at = event.changed_at.ToDatetime(tzinfo=timezone.utc) if event.HasField("changed_at") else None
            recorded |= await kpis.record_rating_change(
                self._ctx, tenant=require_uuid(review.tenant_id, field="tenant_id"), review=require_uuid(review.id, field="review_id"),
                old_rating=event.old_rating, new_rating=event.new_rating, changed_at=changed_at,
            )
        if recorded:
            await self._relay.run()

    async def handle_reply_published(self, batch: Sequence[Delivery[events_pb2.ReplyPublished]]) -> None:
        """Records the platform's reply id and time of each published revision (idempotent)."""
        for delivery in batch:
            require_uuids({"tenant_id": delivery.message.tenant_id, "reply_id": delivery.message.reply_id})
        await publishing.record_published(self._ctx, [d.message for d in batch])

    async def handle_reply_publish_failed(self, batch: Sequence[Delivery[events_pb2.ReplyPublishFailed]]) -> None:
        """Records why the platform refused a revision (idempotent)."""
        for delivery in batch:
            require_uuids({"tenant_id": delivery.message.tenant_id, "reply_id": delivery.message.reply_id})
        await publishing.record_failed(self._ctx, [d.message for d in batch])

    async def handle_review_request_outcome(self, batch: Sequence[Delivery[events_pb2.ReviewRequestOutcome]]) -> None:
        """Records each review request's outcome (idempotent: only a request being sent changes)."""
        for delivery in batch:
            require_uuids({"tenant_id": delivery.message.tenant_id, "request_id": delivery.message.request_id})
        await review_requests.record_outcomes(self._ctx, [d.message for d in batch])
