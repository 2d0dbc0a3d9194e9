"""SLA due times by severity (SPEC §5)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from reviewguard.alerting.v1 import alert_pb2
from services.resolution.sla import SlaPolicy

OPENED = datetime(2026, 11, 23, 22, 15, tzinfo=timezone.utc)


def test_default_sla_is_six_hours_high_twelve_normal_and_a_day_to_first_response() -> None:
    sla = SlaPolicy()
    assert sla.due_at(alert_pb2.SEVERITY_HIGH, OPENED) - OPENED == timedelta(hours=6)
    assert sla.due_at(alert_pb2.SEVERITY_NORMAL, OPENED) - OPENED == timedelta(hours=12)
    assert sla.first_response_due_at(OPENED) - OPENED == timedelta(hours=24)


def test_tenant_numbers_replace_the_defaults() -> None:
    sla = SlaPolicy(high_hours=2, normal_hours=8, first_response_hours=4)
    assert sla.due_at(alert_pb2.SEVERITY_HIGH, OPENED) - OPENED == timedelta(hours=2)
    assert sla.first_response_due_at(OPENED) - OPENED == timedelta(hours=4)
