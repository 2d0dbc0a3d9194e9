"""Resolution opens one case per alert with its SLA due times."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from libs import db, topology
from libs.bus import Bus, Delivery
from libs.telemetry import extract_context
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from services.resolution import app as resolution_app
from services.resolution.service import ResolutionService
from services.resolution.sla import SlaPolicy

TENANT = str(uuid.uuid4())
FIRED = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
async def service(database_url: str, bus: Bus):
    await db.migrate(database_url, schema=resolution_app.SCHEMA, directory=resolution_app.MIGRATIONS)
    pool = await db.create_pool(database_url, schema=resolution_app.SCHEMA)
    yield ResolutionService(pool=pool, sla=SlaPolicy(), bus=bus)
    await pool.close()


def fired(severity: int) -> Delivery:
    alert = alert_pb2.Alert(
        id=str(uuid.uuid4()), tenant_id=TENANT, rule="negative_review", severity=severity,
        review_id=str(uuid.uuid4()), product_id="B0KETTLE01", marketplace="DE",
    )
    alert.fired_at.FromDatetime(FIRED)
    return Delivery(
        message=events_pb2.AlertFired(alert=alert), subject=topology.ALERT_FIRED, headers={},
        context=extract_context({}), deliveries=1, stream_sequence=0, raw=None,
    )


async def test_each_alert_opens_one_case_with_its_sla(service: ResolutionService, bus: Bus) -> None:
    high, normal = fired(alert_pb2.SEVERITY_HIGH), fired(alert_pb2.SEVERITY_NORMAL)
    await service.handle_fired([high, normal])
    await service.handle_fired([high])  # redelivery
    cases, _ = await service.list(TENANT, review_id="", status=0, page_size=10, page_token="")
    by_alert = {c.alert_id: c for c in cases}
    assert len(cases) == 2
    high_case = by_alert[high.message.alert.id]
    assert high_case.due_at.ToDatetime(tzinfo=timezone.utc) == FIRED + timedelta(hours=6)
    assert by_alert[normal.message.alert.id].due_at.ToDatetime(tzinfo=timezone.utc) == FIRED + timedelta(hours=12)
    assert high_case.first_response_due_at.ToDatetime(tzinfo=timezone.utc) == FIRED + timedelta(hours=24)
    info = await bus.jetstream.stream_info(topology.CASES.name)
    assert info.state.messages == 2
