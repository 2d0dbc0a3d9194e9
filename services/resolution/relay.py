"""The case-events relay: what follows from each committed move, then the events to the bus.

`case_events` is a case's audit trail and the outbox of its `cases.*` events. The relay runs after
every use case that changed a case, and on every scheduled round (a change whose relay was cut short
by a crash is picked up there). It does two things, each in its own transaction:

1. Follow-on effects of a transition, applied once (`effects_done_at`): the A/B outcome of the
   replies sent on the case, and the knowledge-base entry of a case that reached a final status.
2. Publication of unpublished events (`published_at`) by the one outbox relay (libs/outbox.py) in
   its ordered mode: one case's events in the order they committed (a change locks its case before
   it appends its event), cases side by side, one replica at a time, de-duplicated by JetStream on
   the event id.
"""

from __future__ import annotations

import json
import logging

import asyncpg

from libs import outbox, topology
from libs.bus import Bus
from reviewguard.events.v1 import events_pb2
from services.resolution import repository
from services.resolution.cases.models import FINAL, RESOLVED, status_name
from services.resolution.context import Context
from services.resolution.knowledge import flows as knowledge
from services.resolution.templates import flows as replies

log = logging.getLogger(__name__)

# NOTE: names the advisory lock that makes one replica at a time publish case events.
CHANNEL = "resolution_case_events"


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


class CaseEvents:
    """`case_events` read as an outbox (libs/outbox.Store): unpublished rows by `seq`, keyed by case,
    each built into its `cases.*` message from the case as it is when published."""

    def __init__(self, clock) -> None:
        self._clock = clock

    async def claim(self, conn: asyncpg.Connection, limit: int, *, ordered: bool) -> list[outbox.Pending]:
        events = await repository.claim_unpublished(conn, limit=limit, skip_locked=not ordered)
        if not events:
            return []
        cases = await repository.get_many(conn, list({e["case_id"] for e in events}))
        return [
            outbox.Pending(
                id=e["id"], subject=e["subject"], msg_id=f"case-event:{e['id']}",
                payload=_message(e, repository.to_proto(cases[e["case_id"]])).SerializeToString(), headers={}, key=e["case_id"],
            )
            for e in events
        ]

    async def done(self, conn: asyncpg.Connection, ids) -> None:
        await repository.mark_published(conn, list(ids), self._clock())

    async def failed(self, conn: asyncpg.Connection, ids) -> None:
        """NOTE: nothing to record: a case event has no attempt count; it stays unpublished."""

    async def backlog(self, conn: asyncpg.Connection) -> int:
        return await repository.count_unpublished(conn)


def _message(event: asyncpg.Record, case) -> events_pb2.CaseSlaNotice | events_pb2.CaseUpdated:
    if event["subject"] in (topology.CASE_SLA_WARNING, topology.CASE_SLA_BREACHED):
        detail = json.loads(event["detail"])
        return events_pb2.CaseSlaNotice(
            case=case, sla=detail["sla"], stage=event["kind"].removeprefix("sla_"), noticed_at_unix_ms=int(event["at"].timestamp() * 1000),
        )
    return events_pb2.CaseUpdated(case=case, event=repository.event_to_proto(event))


class CaseEventRelay:
    """Applies the follow-on effects of committed moves and publishes the case-events outbox."""

    def __init__(self, *, ctx: Context, bus: Bus | None, batch: int = 500) -> None:
        self._ctx = ctx
        # NOTE: ordered: a consumer of cases.* sees one case's changes in the order they committed,
        # whichever replica publishes them (libs/outbox.py, ordered mode).
        self._outbox = None if bus is None else outbox.OutboxRelay(
            pool=ctx.pool, bus=bus, channel=CHANNEL, batch=batch, poll_seconds=1.0, ordered=True, store=CaseEvents(ctx.clock),
        )

    async def run(self, *, limit: int = 500) -> int:
        """Effects first (they need no bus), then publication; returns how many events were published.

        NOTE: a failed publication is logged, not raised: the change it announces committed, and its
        events wait unpublished for the next run (the scheduled round runs one).
        """
        while await self.apply_effects(limit=limit) == limit:
            pass
        try:
            return await self.publish_pending(limit=limit)
        except Exception:  # noqa: BLE001 - the bus is away; the events stay queued in order
            log.warning("case events not published; the next round retries", exc_info=True)
            return 0

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
        """Publishes one batch of unpublished case events (the outbox), each case's in order; returns how many."""
        if self._outbox is None:
            return 0
        return await self._outbox.publish_pending(limit=limit)
