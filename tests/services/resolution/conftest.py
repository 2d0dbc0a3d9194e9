"""A resolution service on a fresh database and NATS, with an injected clock and a recording sender."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from libs import db, topology
from libs.bus import Bus, Delivery
from libs.telemetry import extract_context
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from reviewguard.resolution.v1 import case_pb2
from services.resolution import app as resolution_app
from services.resolution.requests.models import OutgoingMessage
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


@dataclass
class RecordingSender:
    """The test sender: keeps every message handed to it."""

    messages: list[OutgoingMessage] = field(default_factory=list)

    async def send(self, message: OutgoingMessage) -> None:
        self.messages.append(message)


@pytest.fixture(scope="session")
def toolkit() -> Toolkit:
    return Toolkit.load()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
async def pool(database_url: str):
    await db.migrate(database_url, schema=resolution_app.SCHEMA, directory=resolution_app.MIGRATIONS)
    pool = await db.create_pool(database_url, schema=resolution_app.SCHEMA)
    yield pool
    await pool.close()


@pytest.fixture
async def workflow(pool, bus: Bus, clock: Clock, sender: RecordingSender, toolkit: Toolkit) -> ResolutionService:
    return ResolutionService(pool=pool, sla=SlaPolicy(), bus=bus, clock=clock, toolkit=toolkit, sender=sender)


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
