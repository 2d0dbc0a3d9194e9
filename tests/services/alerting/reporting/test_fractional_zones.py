"""Zones whose midnight falls inside a UTC hour (Asia/Kolkata +5:30, Asia/Kathmandu +5:45): every grain
equals a plain-Python count of the same reviews in that zone's local calendar."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta, timezone

from reviewguard.reporting.v1 import reporting_pb2
from tests.services.alerting.reporting.test_reports import A, expected, got, negative, reviews, same, score_of, window  # noqa: F401

KOLKATA, KATHMANDU = zoneinfo.ZoneInfo("Asia/Kolkata"), zoneinfo.ZoneInfo("Asia/Kathmandu")
STARTS = datetime(2026, 10, 19, tzinfo=KOLKATA)
ENDS = datetime(2026, 11, 2, tzinfo=KOLKATA)


def within(starts: datetime, ends: datetime) -> tuple[datetime, datetime]:
    return starts.astimezone(timezone.utc), ends.astimezone(timezone.utc)


def local_day(zone):
    return lambda p: datetime.combine(p.astimezone(zone).date(), time(), zone).isoformat()


def local_week(zone):
    def week(p: datetime) -> str:
        day = p.astimezone(zone).date()
        return datetime.combine(day - timedelta(days=day.weekday()), time(), zone).isoformat()
    return week


async def test_kolkata_days_and_months_and_kathmandu_weeks(servicer, reviews):  # noqa: F811
    for grain, zone, starts, ends, period_of in (
        ("day", KOLKATA, STARTS, ENDS, local_day(KOLKATA)),
        ("month", KOLKATA, datetime(2026, 10, 1, tzinfo=KOLKATA), datetime(2026, 11, 3, tzinfo=KOLKATA),
         lambda p: datetime.combine(p.astimezone(KOLKATA).date().replace(day=1), time(), KOLKATA).isoformat()),
        ("week", KATHMANDU, datetime(2026, 10, 19, tzinfo=KATHMANDU), datetime(2026, 11, 2, tzinfo=KATHMANDU), local_week(KATHMANDU)),
    ):
        table = await servicer.RatingsReport(reporting_pb2.RatingsReportRequest(
            tenant_id=A, window=window(grain, starts, ends, zone=str(zone)), group_by="marketplace"), None)
        want = expected(reviews, period_of, lambda m: [(m.review.marketplace,)], within=within(starts, ends))
        same(got(table), want)
        assert all(c.period.endswith("+05:30" if zone is KOLKATA else "+05:45") for c in table.cells)


async def test_kolkata_hours_start_at_half_past_utc(servicer, reviews):  # noqa: F811
    starts, ends = datetime(2026, 10, 24, tzinfo=KOLKATA), datetime(2026, 10, 27, tzinfo=KOLKATA)
    table = await servicer.RatingsReport(reporting_pb2.RatingsReportRequest(
        tenant_id=A, window=window("hour", starts, ends, zone="Asia/Kolkata"), group_by="platform"), None)
    hour = lambda p: p.astimezone(KOLKATA).replace(minute=0, second=0, microsecond=0).isoformat()  # noqa: E731
    same(got(table), expected(reviews, hour, lambda m: [(m.review.platform,)], within=within(starts, ends)))
    assert {datetime.fromisoformat(c.period).astimezone(timezone.utc).minute for c in table.cells} == {30}


async def test_kathmandu_heat_map_and_a_kolkata_day_drilled_down(servicer, reviews):  # noqa: F811
    starts, ends = datetime(2026, 10, 19, tzinfo=KATHMANDU), datetime(2026, 11, 2, tzinfo=KATHMANDU)
    heat = await servicer.AspectsReport(reporting_pb2.AspectsReportRequest(
        tenant_id=A, window=window("week", starts, ends, zone="Asia/Kathmandu"), rows="product_id", cols="aspect"), None)
    want = expected(reviews, local_week(KATHMANDU), lambda m: [(m.review.product_id, a) for a in m.analysis.aspects],
                    within=within(starts, ends))
    same(got(heat), want)

    day_starts, day_ends = datetime(2026, 10, 25, tzinfo=KOLKATA), datetime(2026, 10, 26, tzinfo=KOLKATA)
    answer = await servicer.Drilldown(reporting_pb2.DrilldownRequest(
        tenant_id=A, dimension="marketplace", value="DE", window=window("day", day_starts, day_ends, zone="Asia/Kolkata"), limit=3), None)
    chosen = [m for m in reviews if m.review.marketplace == "DE" and not m.review.competitor
              and day_starts <= m.review.posted_at.ToDatetime(tzinfo=timezone.utc) < day_ends]
    assert answer.reviews == len(chosen) > 0
    assert answer.negative == sum(negative(m.review.rating, score_of(m)) for m in chosen)
