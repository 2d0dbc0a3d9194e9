"""KPI arithmetic over case facts; the repository gathers the facts."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

RESPONSE_RATE_TARGET = 0.95


@dataclass(frozen=True)
class CaseFacts:
    opened_at: datetime
    first_response_due_at: datetime
    first_response_at: datetime | None
    resolved: bool
    has_review: bool
    rating_rose: bool


@dataclass(frozen=True)
class KpiReport:
    """The KPIs of a window; a rate is None ("no data") when nothing in the window counts toward it,
    never a perfect score for zero cases."""

    cases: int
    response_eligible: int
    responded_within_24h: int
    response_rate_24h: float | None
    response_rate_target: float
    response_rate_met: bool | None
    median_first_response_seconds: float | None
    resolved: int
    resolution_rate: float | None
    reviews_handled: int
    ratings_recovered: int
    rating_recovery_rate: float | None


def compute(*, facts: list[CaseFacts], now: datetime, window: timedelta = timedelta(hours=24)) -> KpiReport:
    """The KPIs of a set of cases as of `now`.

    A case counts toward the 24 h response rate once it was answered or its 24 h have passed, so a
    case opened an hour ago and not answered yet does not lower the rate.
    """
    eligible = [f for f in facts if f.first_response_at is not None or now >= f.opened_at + window]
    on_time = [f for f in eligible if f.first_response_at is not None and f.first_response_at - f.opened_at <= window]
    delays = [(f.first_response_at - f.opened_at).total_seconds() for f in facts if f.first_response_at is not None]
    resolved = sum(f.resolved for f in facts)
    reviewed = [f for f in facts if f.has_review]
    recovered = sum(f.rating_rose for f in reviewed)
    rate = len(on_time) / len(eligible) if eligible else None
    return KpiReport(
        cases=len(facts),
        response_eligible=len(eligible),
        responded_within_24h=len(on_time),
        response_rate_24h=rate,
        response_rate_target=RESPONSE_RATE_TARGET,
        response_rate_met=rate >= RESPONSE_RATE_TARGET if rate is not None else None,
        median_first_response_seconds=statistics.median(delays) if delays else None,
        resolved=resolved,
        resolution_rate=resolved / len(facts) if facts else None,
        reviews_handled=len(reviewed),
        ratings_recovered=recovered,
        rating_recovery_rate=recovered / len(reviewed) if reviewed else None,
    )
