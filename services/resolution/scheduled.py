"""The resolution service's scheduled round: SLA notices, reassignments, review requests, the event relay."""

from __future__ import annotations

import asyncio
from datetime import datetime

from libs.loops import run_every
from services.resolution.assignment import flows as assignment
from services.resolution.cases import scheduled as cases
from services.resolution.context import Context
from services.resolution.relay import CaseEventRelay
from services.resolution.requests import flows as review_requests


async def tick(ctx: Context, *, relay: CaseEventRelay, now: datetime | None = None) -> None:
    """One round of scheduled work; the relay runs after each step that changed cases, and last of all."""
    now = now or ctx.clock()
    for step in (cases.run_sla_checks, assignment.reassign_away, assignment.assign_waiting):
        if await step(ctx, now=now):
            await relay.run()
    await review_requests.run_due(ctx, now=now)
    await relay.run()


async def run(ctx: Context, *, relay: CaseEventRelay, stop: asyncio.Event, interval: float) -> None:
    """Runs `tick` every `interval` seconds until `stop`; a failed round is logged and retried."""
    await run_every(lambda: tick(ctx, relay=relay), interval_seconds=interval, stop=stop, name="scheduled resolution round")
