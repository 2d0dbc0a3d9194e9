"""SLA due times of a new case (SPEC §5): resolution by severity, first response within a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from reviewguard.alerting.v1 import alert_pb2


@dataclass(frozen=True)
class SlaPolicy:
    high_hours: float = 6.0
    normal_hours: float = 12.0
    first_response_hours: float = 24.0

    def due_at(self, severity: int, opened_at: datetime) -> datetime:
        urgent = severity in (alert_pb2.SEVERITY_HIGH, alert_pb2.SEVERITY_CRITICAL)
        hours = self.high_hours if urgent else self.normal_hours
        return opened_at + timedelta(hours=hours)

    def first_response_due_at(self, opened_at: datetime) -> datetime:
        return opened_at + timedelta(hours=self.first_response_hours)
