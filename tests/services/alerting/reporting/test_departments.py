"""Department reports equal a plain-Python count of the same reviews and cases (Berlin weeks across
the end of summer time)."""

from __future__ import annotations

import json
import random
import statistics
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from libs.errors import InvalidArgument
from reviewguard.events.v1 import events_pb2
from reviewguard.reporting.v1 import reporting_pb2
from reviewguard.resolution.v1 import case_pb2
from services.alerting.reporting.grpc_api import ReportingServicer
from services.alerting.reporting.models import PageTokens
from services.alerting.reporting.pdf import FontMissing, PdfWriter
from services.alerting.reporting.service import ReportingService
from tests.services.alerting.reporting.conftest import analyzed, delivery
from tests.services.alerting.reporting.test_reports import BERLIN, END, START, local_week, negative, score_of, window

A, B = str(uuid.uuid4()), str(uuid.uuid4())
PRODUCTS = ("保温杯-500ml", "P2", "P3")
ASPECTS = ("product_quality", "logistics", "damaged", "price_value")
NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)


def generate(tenant: str, n: int, seed: int, *, starts=START - timedelta(days=14)) -> list:
    rng = random.Random(seed)
    span = (END - starts).total_seconds()
    return [
        analyzed(
            tenant, posted_at=starts + timedelta(seconds=rng.uniform(0, span + 86400)), rating=rng.randint(1, 5),
            score=rng.choice([None, rng.random()]), aspects=rng.sample(ASPECTS, rng.randint(0, 2)),
            marketplace=rng.choice(["DE", "FR"]), product_id=rng.choice(PRODUCTS), competitor=rng.random() < 0.1,
            title=f"t{i}", body=rng.choice(["盖子漏水", "arrived late", "box crushed"]),
        )
        for i in range(n)
    ]


def posted(m) -> datetime:
    return m.review.posted_at.ToDatetime(tzinfo=timezone.utc)


def complaint(m, aspect: str) -> bool:
    return aspect in m.analysis.aspects and negative(m.review.rating, score_of(m))


def own(messages, lo=START, hi=END):
    return [m for m in messages if not m.review.competitor and lo <= posted(m) < hi]


@pytest.fixture
async def reviews(service):
    mine = generate(A, 500, seed=7)
    await service.handle_analyzed([delivery(m) for m in mine])
    await service.handle_analyzed([delivery(m) for m in generate(B, 100, seed=8)])
    return mine


@pytest.fixture
def servicer(pool) -> ReportingServicer:
    return ReportingServicer(ReportingService(pool=pool, page_tokens=PageTokens(b"k"), clock=lambda: NOW))


async def test_product_report_lists_the_top_defects_per_sku_with_trend_and_quotes(servicer, reviews):
    answer = await servicer.ProductReport(reporting_pb2.DepartmentReportRequest(tenant_id=A, window=window("week"), limit=2), None)
    chosen, before = own(reviews), own(reviews, START - (END - START), START)
    skus = {p: [m for m in chosen if m.review.product_id == p] for p in PRODUCTS}
    ranked = sorted(skus, key=lambda p: (-sum(negative(m.review.rating, score_of(m)) for m in skus[p]), -len(skus[p]), p))[:2]
    assert [p.product_id for p in answer.products] == ranked
    for product in answer.products:
        rows = skus[product.product_id]
        assert product.reviews == len(rows) and product.mean_rating == pytest.approx(statistics.fmean(m.review.rating for m in rows))
        counts = {a: sum(complaint(m, a) for m in rows) for a in ASPECTS}
        want = sorted((a for a in ASPECTS if counts[a]), key=lambda a: (-counts[a], a))[:3]
        assert [d.aspect for d in product.defects] == want
        for d in product.defects:
            assert d.complaints == counts[d.aspect] and d.complaint_share == pytest.approx(counts[d.aspect] / len(rows))
            assert d.previous_complaints == sum(complaint(m, d.aspect) for m in before if m.review.product_id == product.product_id)
            weekly = defaultdict(int)
            for m in rows:
                weekly[local_week(posted(m))] += complaint(m, d.aspect)
            assert {(t.period, t.complaints) for t in d.trend} == {(w, n) for w, n in weekly.items() if n}
            quoted = [m for m in rows if complaint(m, d.aspect)]
            quoted.sort(key=lambda m: (-(score_of(m) if score_of(m) is not None else -1), m.review.rating, m.review.id))
            assert [q.review_id for q in d.quotes] == [m.review.id for m in quoted[:2]]


async def test_logistics_report_gives_delay_and_damage_complaint_rates_per_marketplace_and_week(servicer, reviews):
    answer = await servicer.LogisticsReport(reporting_pb2.DepartmentReportRequest(tenant_id=A, window=window("week")), None)
    want = defaultdict(lambda: [0, 0, 0])
    for m in own(reviews):
        t = want[(local_week(posted(m)), m.review.marketplace)]
        t[0] += 1
        t[1] += complaint(m, "logistics")
        t[2] += complaint(m, "damaged")
    assert answer.group_by == "marketplace"
    assert {(r.period, r.value): (r.reviews, r.delay_complaints, r.damage_complaints) for r in answer.rows} == {
        k: tuple(v) for k, v in want.items()
    }
    for r in answer.rows:
        assert r.delay_rate == pytest.approx(r.delay_complaints / r.reviews) and r.damage_rate == pytest.approx(r.damage_complaints / r.reviews)


def case_message(tenant: str, review_id: str, opened: datetime, *, responded: datetime | None, due: datetime, updated: datetime):
    case = case_pb2.Case(id=str(uuid.uuid4()), tenant_id=tenant, review_id=review_id, status=case_pb2.CASE_STATUS_NEW)
    case.opened_at.FromDatetime(opened)
    case.first_response_due_at.FromDatetime(due)
    case.updated_at.FromDatetime(updated)
    if responded is not None:
        case.first_response_at.FromDatetime(responded)
    return case


async def test_service_report_counts_response_times_sla_compensation_and_rating_recovery(servicer, service, pool):
    rng = random.Random(3)
    cases, expected = [], defaultdict(list)
    for i in range(60):
        # NOTE: in UTC: sums of a Berlin time and hours would be wall-clock sums across the DST change.
        opened = START.astimezone(timezone.utc) + timedelta(hours=rng.uniform(0, (END - START).total_seconds() / 3600 - 1))
        responded = opened + timedelta(hours=rng.uniform(1, 48)) if rng.random() < 0.8 else None
        due = opened + timedelta(hours=rng.choice([12, 24, 36]))
        review = analyzed(A, posted_at=opened - timedelta(hours=1), rating=rng.randint(1, 2))
        await service.handle_analyzed([delivery(review)])
        new_rating = rng.choice([review.review.rating, 4, 5])
        if new_rating != review.review.rating:
            again = analyzed(A, posted_at=opened - timedelta(hours=1), rating=new_rating, review_id=review.review.id, version=2)
            await service.handle_analyzed([delivery(again)])
        case = case_message(A, review.review.id, opened, responded=None, due=due, updated=opened)
        await service.handle_case_event([delivery(events_pb2.CaseOpened(case=case))])
        later = case_message(A, review.review.id, opened, responded=responded, due=due, updated=opened + timedelta(hours=50))
        later.id = case.id
        cost, accepted = round(rng.uniform(5, 50), 2), rng.random() < 0.5
        offer = str(uuid.uuid4())
        events = [("offer_recorded", {"offer_id": offer, "cost_usd": str(cost)})] + ([("offer_accepted", {"offer_id": offer})] if accepted else [])
        # NOTE: the acceptance may arrive before the offer's record; the cost still counts.
        for kind, detail in (reversed(events) if i % 2 else events):
            event = case_pb2.CaseEvent(case_id=case.id, tenant_id=A, kind=kind, detail_json=json.dumps(detail))
            await service.handle_case_event([delivery(events_pb2.CaseUpdated(case=later, event=event))])
        # NOTE: a stale event (older updated_at) must not undo the response.
        await service.handle_case_event([delivery(events_pb2.CaseOpened(case=case))])
        expected[local_week(opened)].append((opened, responded, due, cost if accepted else 0.0, review.review.rating, new_rating))
    other = case_message(B, str(uuid.uuid4()), START + timedelta(days=1), responded=None, due=START + timedelta(days=2), updated=START)
    await service.handle_case_event([delivery(events_pb2.CaseOpened(case=other))])

    answer = await servicer.ServiceReport(reporting_pb2.DepartmentReportRequest(tenant_id=A, window=window("week")), None)
    assert [r.period for r in answer.rows] == sorted(expected)
    for row in answer.rows:
        facts = expected[row.period]
        answered = [(o, r) for o, r, *_ in facts if r is not None]
        hours = [(r - o).total_seconds() / 3600 for o, r in answered]
        assert (row.cases, row.responded) == (len(facts), len(answered))
        assert row.mean_response_hours == pytest.approx(statistics.fmean(hours))
        assert row.median_response_hours == pytest.approx(statistics.median(hours))
        # NOTE: NOW is weeks after every case, so each one is judged against both targets.
        assert row.response_rate_24h == pytest.approx(sum(1 for o, r in answered if r - o <= timedelta(hours=24)) / len(facts))
        assert row.sla_met_share == pytest.approx(sum(1 for o, r, d, *_ in facts if r is not None and r <= d) / len(facts))
        assert row.compensation_usd == pytest.approx(sum(f[3] for f in facts))
        assert row.ratings_raised == sum(1 for f in facts if f[5] > f[4])
        assert row.mean_rating_change == pytest.approx(statistics.fmean(f[5] - f[4] for f in facts))


@pytest.mark.parametrize(
    ("method", "fields", "field"),
    [
        ("ProductReport", {"window": window("hour", START, START + timedelta(days=1))}, "grain"),
        ("LogisticsReport", {"window": window("week"), "group_by": "colour"}, "group_by"),
        ("ProductReport", {"window": window("week"), "limit": 1000}, "limit"),
        ("ServiceReport", {"window": window("week", END, START)}, "from"),
    ],
)
async def test_bad_department_parameters_are_refused_naming_them(servicer, method, fields, field):
    with pytest.raises(InvalidArgument) as refused:
        await getattr(servicer, method)(reporting_pb2.DepartmentReportRequest(tenant_id=A, **fields), None)
    assert refused.value.violations[0].field == field


def test_the_weeks_straddle_the_end_of_summer_time():
    offsets = {datetime.fromisoformat(local_week(START + timedelta(days=d))).utcoffset() for d in range(14)}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)} and BERLIN.key == "Europe/Berlin"


async def test_a_pdf_without_its_font_is_refused_naming_the_file(pool):
    missing = Path("/nonexistent/wqy-microhei.ttc")
    servicer = ReportingServicer(ReportingService(pool=pool, page_tokens=PageTokens(b"k"), pdf=PdfWriter(missing)))
    request = reporting_pb2.ExportReportRequest(format="pdf", service=reporting_pb2.DepartmentReportRequest(tenant_id=A, window=window("week")))
    with pytest.raises(FontMissing) as refused:
        await servicer.ExportReport(request, None)
    assert str(missing) in str(refused.value)
    csv_file = await servicer.ExportReport(reporting_pb2.ExportReportRequest(format="csv", service=request.service), None)
    assert csv_file.content.decode("utf-8-sig").splitlines()[0].startswith("period,cases,responded")
