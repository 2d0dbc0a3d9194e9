"""Alerting domain logic: evaluate analysed reviews, store alerts once, announce them."""

from __future__ import annotations

import asyncio
import logging
import uuid

import asyncpg
from opentelemetry import trace

from libs import paging, topology
from libs.bus import Bus, Delivery
from libs.errors import NotFound, require_uuid
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from services.alerting import repository, rules

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class AlertingService:
    def __init__(self, *, pool: asyncpg.Pool, bus: Bus | None = None) -> None:
        self._pool = pool
        self._bus = bus

    async def handle_analyzed(self, batch: list[Delivery[events_pb2.ReviewAnalyzed]]) -> None:
        """Fires at most one alert per review and rule; re-announces it on redelivery."""
        assert self._bus is not None, "handle_analyzed needs a bus"
        fired: list[tuple[Delivery, alert_pb2.Alert]] = []
        async with self._pool.acquire() as conn:
            for delivery in batch:
                review, analysis = delivery.message.review, delivery.message.analysis
                draft = rules.evaluate_review(review, analysis)
                if draft is None:
                    continue
                row = await repository.insert_or_get(
                    conn,
                    tenant_id=uuid.UUID(review.tenant_id),
                    dedup_key=f"{draft.rule}:{review.id}",
                    rule=draft.rule,
                    severity=draft.severity,
                    review_id=uuid.UUID(review.id),
                    platform=review.platform,
                    marketplace=review.marketplace,
                    product_id=review.product_id,
                    reasons=draft.reasons,
                    labels=draft.labels,
                )
                fired.append((delivery, repository.to_proto(row)))
        await asyncio.gather(*(self._announce(delivery, alert) for delivery, alert in fired))

    async def _announce(self, delivery: Delivery, alert: alert_pb2.Alert) -> None:
        with tracer.start_as_current_span("alerting.alert_fired", context=delivery.context) as span:
            span.set_attribute("alert.id", alert.id)
            span.set_attribute("review.id", alert.review_id)
            await self._bus.publish(topology.ALERT_FIRED, events_pb2.AlertFired(alert=alert), msg_id=f"alert:{alert.id}")

    async def list(self, tenant_id: str, *, review_id: str, page_size: int, page_token: str) -> tuple[list[alert_pb2.Alert], str]:
        tenant = require_uuid(tenant_id, field="tenant_id")
        review = require_uuid(review_id, field="review_id") if review_id else None
        limit = paging.page_size(page_size)
        async with self._pool.acquire() as conn:
            rows = await repository.list_alerts(conn, tenant, review_id=review, after=paging.decode(page_token), limit=limit + 1)
        next_token = paging.encode(rows[limit - 1]["fired_at"], rows[limit - 1]["id"]) if len(rows) > limit else ""
        return [repository.to_proto(r) for r in rows[:limit]], next_token

    async def get(self, tenant_id: str, alert_id: str) -> alert_pb2.Alert:
        tenant = require_uuid(tenant_id, field="tenant_id")
        alert = require_uuid(alert_id, field="alert_id")
        async with self._pool.acquire() as conn:
            row = await repository.get(conn, tenant, alert)
        if row is None:
            raise NotFound(f"alert {alert_id} not found")
        return repository.to_proto(row)
