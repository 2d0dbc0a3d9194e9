"""Resolution domain logic: a case with an SLA for every fired alert."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

import asyncpg
from opentelemetry import trace

from libs import paging, topology
from libs.bus import Bus, Delivery
from libs.errors import NotFound, require_uuid
from reviewguard.events.v1 import events_pb2
from reviewguard.resolution.v1 import case_pb2
from services.resolution import repository
from services.resolution.sla import SlaPolicy

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class ResolutionService:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        sla: SlaPolicy,
        bus: Bus | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self._pool = pool
        self._sla = sla
        self._bus = bus
        self._clock = clock

    async def handle_fired(self, batch: list[Delivery[events_pb2.AlertFired]]) -> None:
        """Opens one case per alert (idempotent) and announces it."""
        assert self._bus is not None, "handle_fired needs a bus"
        opened: list[tuple[Delivery, case_pb2.Case]] = []
        async with self._pool.acquire() as conn:
            for delivery in batch:
                alert = delivery.message.alert
                # NOTE: the SLA clock starts when the alert fired, not when this consumer got to it.
                opened_at = alert.fired_at.ToDatetime(tzinfo=timezone.utc) if alert.HasField("fired_at") else self._clock()
                row = await repository.open_or_get(
                    conn,
                    tenant_id=uuid.UUID(alert.tenant_id),
                    alert_id=uuid.UUID(alert.id),
                    review_id=uuid.UUID(alert.review_id) if alert.review_id else None,
                    severity=alert.severity,
                    product_id=alert.product_id,
                    marketplace=alert.marketplace,
                    opened_at=opened_at,
                    due_at=self._sla.due_at(alert.severity, opened_at),
                    first_response_due_at=self._sla.first_response_due_at(opened_at),
                )
                opened.append((delivery, repository.to_proto(row)))
        await asyncio.gather(*(self._announce(delivery, case) for delivery, case in opened))

    async def _announce(self, delivery: Delivery, case: case_pb2.Case) -> None:
        with tracer.start_as_current_span("resolution.open_case", context=delivery.context) as span:
            span.set_attribute("case.id", case.id)
            span.set_attribute("alert.id", case.alert_id)
            await self._bus.publish(topology.CASE_OPENED, events_pb2.CaseOpened(case=case), msg_id=f"case:{case.id}")

    async def list(
        self, tenant_id: str, *, review_id: str, status: int, page_size: int, page_token: str
    ) -> tuple[list[case_pb2.Case], str]:
        tenant = require_uuid(tenant_id, field="tenant_id")
        review = require_uuid(review_id, field="review_id") if review_id else None
        limit = paging.page_size(page_size)
        async with self._pool.acquire() as conn:
            rows = await repository.list_cases(
                conn, tenant, review_id=review, status=status or None, after=paging.decode(page_token), limit=limit + 1
            )
        next_token = paging.encode(rows[limit - 1]["opened_at"], rows[limit - 1]["id"]) if len(rows) > limit else ""
        return [repository.to_proto(r) for r in rows[:limit]], next_token

    async def get(self, tenant_id: str, case_id: str) -> case_pb2.Case:
        tenant = require_uuid(tenant_id, field="tenant_id")
        case = require_uuid(case_id, field="case_id")
        async with self._pool.acquire() as conn:
            row = await repository.get(conn, tenant, case)
        if row is None:
            raise NotFound(f"case {case_id} not found")
        return repository.to_proto(row)
