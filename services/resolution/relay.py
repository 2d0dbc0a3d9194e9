"""The case-events relay: what follows from each committed move, then the events to the bus.

`case_events` is a case's audit trail and the outbox of its `cases.*` events. The relay runs after
every use case that changed a case, and on every scheduled round (a change whose relay was cut short
by a crash is picked up there). It does two things, each in its own transaction:

1. Follow-on effects of a transition, applied once (`effects_done_at`): the A/B outcome of the
   replies sent on the case, and the knowledge-base entry of a case that reached a final status.
2. Publication of unpublished events (`published_at`), one case's in order, cases side by side,
   de-duplicated by JetStream on the event id.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import asyncpg

from libs import topology
from libs.bus import Bus
from reviewguard.events.v1 import events_pb2
from services.resolution import repository
from services.resolution.cases.models import FINAL, RESOLVED, status_name
from services.resolution.context import Context
from services.resolution.knowledge import flows as knowledge
from services.resolution.templates import flows as replies

async def follow_on(conn: asyncpg.Connection, event: asyncpg.Record, case: asyncpg.Record) -> None:
    """Applies what one transition implies beyond the case itself (idempotent: flags only rise, entries are upserts)."""
    detail = json.loads(event["detail"]) if isinstance(event["detail"], str) else dict(event["detail"])
    to_status = event["to_status"]
    # NOTE: the move records the resolution reason by its outcome name (cases.flows.move).
    reason = detail.get("reason", "") if to_status == RESOLVED else ""
    await replies.record_outcome(
        conn, case=event["case_id"], from_status=event["from_status"], to_status=to_status, reason=reason, at=event["at"]
    )
    if to_status in FINAL:
        await knowledge.remember(conn, case, outcome=reason or status_name(to_status), at=event["at"])


class CaseEventRelay:
    """Applies the follow-on effects of committed moves and publishes the case-events outbox."""

    def __init__(self, *, ctx: Context, bus: Bus | None) -> None:
        self._ctx = ctx
        self._bus = bus

    async def run(self, *, limit: int = 500) -> int:
        """Effects first (they need no bus), then publication; returns how many events were published."""
        while await self.apply_effects(limit=limit) == limit:
            pass
        return await self.publish_pending(limit=limit)

    async def apply_effects(self, *, limit: int = 500) -> int:
        """Applies the follow-on effects of one batch of transitions; returns how many."""
        async with self._ctx.pool.acquire() as conn, conn.transaction():
            events = await repository.claim_effects_pending(conn, limit=limit)
            if not events:
                return 0
            cases = await repository.get_many(conn, list({e["case_id"] for e in events}))
            for event in events:
                await follow_on(conn, event, cases[event["case_id"]])
            await repository.mark_effects_done(conn, [e["id"] for e in events], self._ctx.clock())
        return len(events)

    async def publish_pending(self, *, limit: int = 500) -> int:
        """Publishes unpublished case events (the outbox) in order; returns how many."""
        if self._bus is None:
            return 0
        bus = self._bus
        async with self._ctx.pool.acquire() as conn, conn.transaction():
            events = await repository.claim_unpublished(conn, limit=limit)
            if not events:
                return 0
            cases = await repository.get_many(conn, list({e["case_id"] for e in events}))
            by_case: dict[uuid.UUID, list] = {}
            for event in events:
                by_case.setdefault(event["case_id"], []).append(event)

            async def relay(case_events: list) -> None:
                # NOTE: one case's events go out in order; different cases' go out side by side.
                for event in case_events:
                    case = repository.to_proto(cases[event["case_id"]])
                    if event["subject"] in (topology.CASE_SLA_WARNING, topology.CASE_SLA_BREACHED):
                        detail = json.loads(event["detail"])
                        message = events_pb2.CaseSlaNotice(
                            case=case, sla=detail["sla"], stage=event["kind"].removeprefix("sla_"),
                            noticed_at_unix_ms=int(event["at"].timestamp() * 1000),
                        )
                    else:
                        message = events_pb2.CaseUpdated(case=case, event=repository.event_to_proto(event))
                    await bus.publish(event["subject"], message, msg_id=f"case-event:{event['id']}")

            await asyncio.gather(*(relay(case_events) for case_events in by_case.values()))
            await repository.mark_published(conn, [e["id"] for e in events], self._ctx.clock())
        return len(events)
