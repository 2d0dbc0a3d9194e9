"""Reports equal a plain-Python count of the same reviews, in a zone with a DST change."""

from __future__ import annotations

import random
import uuid
import zoneinfo
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

import pytest

from libs.errors import InvalidArgument
from reviewguard.reporting.v1 import reporting_pb2
from tests.services.alerting.reporting.conftest import analyzed, delivery

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")  # NOTE: summer time ends on 2026-10-25 at 03:00 local
A, B = str(uuid.uuid4()), str(uuid.uuid4())
START = datetime(2026, 10, 19, tzinfo=BERLIN)
END = datetime(2026, 11, 2, tzinfo=BERLIN)
ASPECTS = ("shipping", "quality", "battery", "service")


def negative(rating: int, score: float | None) -> bool:
    # NOTE: written out again here, not imported, so the test checks the service's definition.
    return score >= 0.6 if score is not None else rating <= 2


def generate(tenant: str, n: int, seed: int) -> list:
    rng = random.Random(seed)
    span = (END - START).total_seconds()
    messages = []
    for _ in range(n):
        posted = START + timedelta(seconds=rng.uniform(-5 * 86400, span + 2 * 86400))
        messages.append(analyzed(
            tenant, posted_at=posted, rating=rng.randint(1, 5), score=rng.choice([None, rng.random()]),
            aspects=rng.sample(ASPECTS, rng.randint(0, 2)), marketplace=rng.choice(["DE", "FR", "JP"]),
            platform=rng.choice(["amazon", "ebay"]), product_id=rng.choice(["P1", "P2", "P3"]),
            product_line=rng.choice(["kitchen", "bath"]), competitor=rng.random() < 0.2,
        ))
    return messages


def score_of(m) -> float | None:
    return m.analysis.negative_score if m.analysis.HasField("negative_score") else None


def expected(messages, period_of, key_of, *, within=(START, END), competitor=False) -> dict:
    totals = defaultdict(lambda: [0, 0, 0])
    for m in messages:
        posted = m.review.posted_at.ToDatetime(tzinfo=timezone.utc)
        if not within[0] <= posted < within[1] or (competitor is not None and m.review.competitor != competitor):
            continue
        for key in key_of(m):
            t = totals[(period_of(posted), *key)]
            t[0] += 1
            t[1] += m.review.rating
            t[2] += negative(m.review.rating, score_of(m))
    return {k: (n, s / n, neg / n) for k, (n, s, neg) in totals.items()}


def got(table: reporting_pb2.ReportTable) -> dict:
    return {(c.period, *c.key): (c.reviews, c.mean_rating if c.HasField("mean_rating") else None, c.negative_share) for c in table.cells}


def window(grain: str, starts=START, ends=END, zone="Europe/Berlin") -> reporting_pb2.ReportWindow:
    w = reporting_pb2.ReportWindow(grain=grain, time_zone=zone)
    w.starts_at.FromDatetime(starts.astimezone(timezone.utc))
    w.ends_at.FromDatetime(ends.astimezone(timezone.utc))
    return w


def local_day(posted: datetime) -> str:
    return datetime.combine(posted.astimezone(BERLIN).date(), time(), BERLIN).isoformat()


def local_week(posted: datetime) -> str:
    day = posted.astimezone(BERLIN).date()
    return datetime.combine(day - timedelta(days=day.weekday()), time(), BERLIN).isoformat()


def same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert a[k][0] == b[k][0] and a[k][1] == pytest.approx(b[k][1]) and a[k][2] == pytest.approx(b[k][2]), k


@pytest.fixture
async def reviews(service):
    mine, theirs = generate(A, 600, seed=1), generate(B, 200, seed=2)
    # NOTE: 02:30 local twice on 2026-10-25: once in summer time (00:30 UTC), once after (01:30 UTC).
    mine += [analyzed(A, posted_at=datetime(2026, 10, 25, h, 30, tzinfo=timezone.utc), rating=2) for h in (0, 1)]
    for chunk in range(0, len(mine), 50):
        await service.handle_analyzed([delivery(m) for m in mine[chunk : chunk + 50]])
    await service.handle_analyzed([delivery(m) for m in theirs])
    # NOTE: a redelivered batch and a re-rated review (version 2) must leave exact figures.
    await service.handle_analyzed([delivery(m) for m in mine[:50]])
    edited = analyzed(A, posted_at=mine[0].review.posted_at.ToDatetime(tzinfo=timezone.utc), rating=5, score=0.01,
                      review_id=mine[0].review.id, version=2, marketplace=mine[0].review.marketplace,
                      platform=mine[0].review.platform, product_id=mine[0].review.product_id,
                      product_line=mine[0].review.product_line, competitor=mine[0].review.competitor, aspects=["battery"])
    await service.handle_analyzed([delivery(edited)])
    mine[0] = edited
    return mine


async def test_ratings_by_marketplace_per_local_day_and_week_across_the_dst_change(servicer, reviews):
    for grain, period_of in (("day", local_day), ("week", local_week)):
        table = await servicer.RatingsReport(
            reporting_pb2.RatingsReportRequest(tenant_id=A, window=window(grain), group_by="marketplace"), None
        )
        same(got(table), expected(reviews, period_of, lambda m: [(m.review.marketplace,)]))


async def test_months_and_utc_days_that_read_the_daily_rollups(servicer, reviews):
    utc = zoneinfo.ZoneInfo("UTC")
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    for grain, zone, period_of in (
        ("day", utc, lambda p: datetime.combine(p.date(), time(), utc).isoformat()),
        ("month", tokyo, lambda p: datetime.combine(p.astimezone(tokyo).date().replace(day=1), time(), tokyo).isoformat()),
    ):
        starts, ends = datetime(2026, 10, 1, tzinfo=zone), datetime(2026, 11, 3, 5, tzinfo=zone)
        table = await servicer.RatingsReport(reporting_pb2.RatingsReportRequest(
            tenant_id=A, window=window(grain, starts, ends, zone=str(zone)), group_by="product_line"), None)
        within = (starts.astimezone(timezone.utc), ends.astimezone(timezone.utc))
        same(got(table), expected(reviews, period_of, lambda m: [(m.review.product_line,)], within=within))


async def test_hourly_periods_keep_the_repeated_fall_back_hour_apart(servicer, reviews):
    starts, ends = datetime(2026, 10, 24, tzinfo=BERLIN), datetime(2026, 10, 27, tzinfo=BERLIN)
    table = await servicer.RatingsReport(
        reporting_pb2.RatingsReportRequest(tenant_id=A, window=window("hour", starts, ends), group_by="platform"), None
    )
    hour = lambda p: p.replace(minute=0, second=0, microsecond=0).astimezone(BERLIN).isoformat()  # noqa: E731
    want = expected(reviews, hour, lambda m: [(m.review.platform,)], within=(starts.astimezone(timezone.utc), ends.astimezone(timezone.utc)))
    same(got(table), want)
    assert any(p.startswith("2026-10-25T02:") and p.endswith("+02:00") for p, *_ in want)
    assert any(p.startswith("2026-10-25T02:") and p.endswith("+01:00") for p, *_ in want)


async def test_baseline_and_alerts_are_marked(pool, servicer, reviews):
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO alerts (tenant_id, rule, severity, marketplace, fired_at, dedup_key) VALUES ($1, 'crisis', 2, 'DE', $2, 'x')",
            uuid.UUID(A), datetime(2026, 10, 25, 12, tzinfo=BERLIN),
        )
    table = await servicer.RatingsReport(reporting_pb2.RatingsReportRequest(tenant_id=A, window=window("day"), group_by="marketplace"), None)
    before = expected(reviews, lambda p: "", lambda m: [(m.review.marketplace,)], within=(START - timedelta(days=28), START))
    for cell in table.cells:
        if ("", cell.key[0]) in before:
            assert cell.baseline_mean_rating == pytest.approx(before[("", cell.key[0])][1])
        else:
            assert not cell.HasField("baseline_mean_rating")
        assert cell.alerts == (1 if (cell.period, cell.key[0]) == ("2026-10-25T00:00:00+02:00", "DE") else 0)


async def test_aspect_heat_map_counts_each_mentioned_aspect(servicer, reviews):
    table = await servicer.AspectsReport(
        reporting_pb2.AspectsReportRequest(tenant_id=A, window=window("week"), rows="product_id", cols="aspect"), None
    )
    want = expected(reviews, local_week, lambda m: [(m.review.product_id, a) for a in m.analysis.aspects])
    same(got(table), want)


async def test_competitors_side_by_side_with_top_complaints(servicer, reviews):
    table = await servicer.CompetitorsReport(reporting_pb2.CompetitorsReportRequest(tenant_id=A, window=window("week")), None)
    want = expected(reviews, local_week, lambda m: [("competitor" if m.review.competitor else "own",)], competitor=None)
    same(got(table), want)
    complaints = defaultdict(lambda: defaultdict(int))
    for m in reviews:
        posted = m.review.posted_at.ToDatetime(tzinfo=timezone.utc)
        if START <= posted < END and negative(m.review.rating, score_of(m)):
            for a in m.analysis.aspects:
                complaints[(local_week(posted), "competitor" if m.review.competitor else "own")][a] += 1
    for cell in table.cells:
        counts = complaints[(cell.period, cell.key[0])]
        assert list(cell.top_aspects) == sorted(counts, key=lambda a: (-counts[a], a))[:3]


async def test_drilldown_follows_a_marketplace_to_its_aspects_products_and_examples(servicer, reviews):
    day_starts, day_ends = datetime(2026, 10, 25, tzinfo=BERLIN), datetime(2026, 10, 26, tzinfo=BERLIN)
    answer = await servicer.Drilldown(
        reporting_pb2.DrilldownRequest(tenant_id=A, dimension="marketplace", value="DE", window=window("day", day_starts, day_ends), limit=3),
        None,
    )
    chosen = [m for m in reviews if m.review.marketplace == "DE" and not m.review.competitor
              and day_starts <= m.review.posted_at.ToDatetime(tzinfo=timezone.utc) < day_ends]
    assert answer.reviews == len(chosen) > 0
    assert answer.negative == sum(negative(m.review.rating, score_of(m)) for m in chosen)
    products = defaultdict(lambda: [0, 0])
    for m in chosen:
        products[m.review.product_id][0] += 1
        products[m.review.product_id][1] += negative(m.review.rating, score_of(m))
    assert [(c.value, c.reviews, c.negative) for c in answer.top_products] == sorted(
        ((p, n, neg) for p, (n, neg) in products.items()), key=lambda t: (-t[2], -t[1], t[0])
    )[:3]
    assert {e.id for e in answer.examples} <= {m.review.id for m in chosen} and len(answer.examples) == min(3, len(chosen))


async def test_tenants_never_see_each_others_figures(servicer, reviews):
    table = await servicer.RatingsReport(reporting_pb2.RatingsReportRequest(tenant_id=B, window=window("month"), group_by="product_id"), None)
    assert sum(c.reviews for c in table.cells) == 200 - sum(1 for m in generate(B, 200, seed=2) if m.review.competitor
                                                            or not START <= m.review.posted_at.ToDatetime(tzinfo=timezone.utc) < END)


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"group_by": "colour", "window": window("day")}, "group_by"),
        ({"group_by": "marketplace", "window": window("day", END, START)}, "from"),
        ({"group_by": "marketplace", "window": window("hour", datetime(2016, 1, 1, tzinfo=BERLIN), END)}, "grain"),
        ({"group_by": "marketplace", "window": window("fortnight")}, "grain"),
        ({"group_by": "marketplace", "window": window("day", zone="Mars/Olympus")}, "time_zone"),
        ({"group_by": "marketplace", "window": window("day", START + timedelta(minutes=10))}, "from"),
    ],
)
async def test_bad_parameters_are_refused_naming_them(servicer, request_fields, field):
    with pytest.raises(InvalidArgument) as refused:
        await servicer.RatingsReport(reporting_pb2.RatingsReportRequest(tenant_id=A, **request_fields), None)
    assert refused.value.violations[0].field == field


def test_generated_reviews_straddle_the_dst_change():
    posted = [m.review.posted_at.ToDatetime(tzinfo=timezone.utc).astimezone(BERLIN) for m in generate(A, 600, seed=1)]
    assert {p.utcoffset() for p in posted} == {timedelta(hours=1), timedelta(hours=2)}
    assert min(p.date() for p in posted) < date(2026, 10, 19) and max(p.date() for p in posted) > date(2026, 11, 2)
