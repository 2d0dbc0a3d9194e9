"""A resolution service on a fresh database and NATS, with an injected clock; review requests are read
from the outbox they leave through."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from libs import db, topology
from libs.bus import Bus, Delivery
from libs.telemetry import extract_context
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from reviewguard.resolution.v1 import case_pb2
from services.resolution import app as resolution_app
from services.resolution.service import ResolutionService, Toolkit
from services.resolution.sla import SlaPolicy

# Monday 23 November 2026, 10:00 in Berlin.
MONDAY_9_UTC = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


@dataclass
class Clock:
    now: datetime = MONDAY_9_UTC

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="session")
def toolkit() -> Toolkit:
    return Toolkit.load()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def pool(database_url: str):
    await db.migrate(database_url, schema=resolution_app.SCHEMA, directory=resolution_app.MIGRATIONS)
    pool = await db.create_pool(database_url, schema=resolution_app.SCHEMA)
    yield pool
    await pool.close()


@pytest.fixture
async def workflow(pool, bus: Bus, clock: Clock, toolkit: Toolkit) -> ResolutionService:
    return ResolutionService(pool=pool, sla=SlaPolicy(), bus=bus, clock=clock, toolkit=toolkit)


async def send_requests(pool) -> list[events_pb2.ReviewRequestSendRequested]:
    """The review requests queued for ingest in resolution's outbox, oldest first."""
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT payload FROM outbox WHERE subject = $1 ORDER BY id", topology.REVIEW_REQUEST_SEND_REQUESTED)
    return [events_pb2.ReviewRequestSendRequested.FromString(r["payload"]) for r in rows]


def delivery(message, subject: str) -> Delivery:
    """A bus delivery of `message`, as a consumer receives it."""
    return Delivery(message=message, subject=subject, headers={}, context=extract_context({}), deliveries=1, stream_sequence=0, raw=None)


def fired_alert(
    tenant: str, *, severity: int = alert_pb2.SEVERITY_HIGH, marketplace: str = "DE", platform: str = "amazon",
    fired_at: datetime = MONDAY_9_UTC, summary: str = "1★ review of B0KETTLE01", reasons: tuple[str, ...] = ("rating 1",),
    review_id: str | None = None,
) -> Delivery:
    alert = alert_pb2.Alert(
        id=str(uuid.uuid4()), tenant_id=tenant, rule="negative_review", severity=severity, review_id=review_id or str(uuid.uuid4()),
        product_id="B0KETTLE01", marketplace=marketplace, platform=platform, summary=summary, reasons=list(reasons),
    )
    alert.fired_at.FromDatetime(fired_at)
    return Delivery(
        message=events_pb2.AlertFired(alert=alert), subject=topology.ALERT_FIRED, headers={},
        context=extract_context({}), deliveries=1, stream_sequence=0, raw=None,
    )


async def open_case(workflow: ResolutionService, tenant: str, **alert) -> case_pb2.Case:
    delivery = fired_alert(tenant, **alert)
    await workflow.handle_fired([delivery])
    cases, _ = await workflow.list(tenant, review_id=delivery.message.alert.review_id, status=0, page_size=5, page_token="")
    return cases[0]


async def subjects(bus: Bus, prefix: str = "cases.") -> list[str]:
    """Subjects of every message in the CASES stream, in order."""
    info = await bus.jetstream.stream_info(topology.CASES.name)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await bus.jetstream.get_msg(topology.CASES.name, seq)
        if msg.subject.startswith(prefix):
            found.append(msg.subject)
    return found
