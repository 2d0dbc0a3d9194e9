"""The pieces a period is summed from (weeks, days and hours added or taken away, raw part hours)
count every instant of the period exactly once, in any zone and across DST changes."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from services.alerting.reporting.models import Window, periods, pieces

START = datetime(2026, 3, 1, tzinfo=timezone.utc)


def instants(n: int, seed: int) -> list[datetime]:
    rng = random.Random(seed)
    return sorted(START + timedelta(minutes=rng.randrange(0, 300 * 24 * 60)) for _ in range(n))


@pytest.mark.parametrize(
    ("zone", "grain", "days"),
    [("Europe/Berlin", "week", 280), ("Europe/Berlin", "month", 280), ("Europe/Berlin", "day", 60),
     ("America/New_York", "week", 280), ("Asia/Kolkata", "day", 40), ("Asia/Kolkata", "month", 280),
     ("Asia/Kathmandu", "week", 120), ("Asia/Kolkata", "hour", 3), ("UTC", "week", 200)],
)
def test_each_instant_counts_once_in_its_period(zone, grain, days):
    w = Window(START + timedelta(hours=7), START + timedelta(days=days, hours=7), grain, zone)
    spans = periods(w)
    parts = pieces(spans)
    counted = [0] * (len(spans) + 1)

    def add(lo: datetime, hi: datetime, idx: int, sign: int) -> None:
        counted[idx] += sign * sum(1 for t in points if lo <= t < hi)

    points = instants(3000, seed=days)
    for hour, idx, sign in parts.hours:
        add(hour, hour + timedelta(hours=1), idx, sign)
    for day, idx, sign in parts.days:
        at = datetime.combine(day, datetime.min.time(), timezone.utc)
        add(at, at + timedelta(days=1), idx, sign)
    for week, idx, sign in parts.weeks:
        at = datetime.combine(week, datetime.min.time(), timezone.utc)
        assert at.weekday() == 0
        add(at, at + timedelta(days=7), idx, sign)
    for lo, hi, idx, sign in parts.raw:
        add(lo, hi, idx, sign)
    want = [0] + [sum(1 for t in points if lo <= t < hi) for _, lo, hi in spans]
    assert counted == want
    if grain in ("week", "month"):
        assert parts.weeks, "long periods read the weekly rollups"
