"""The department report routes and every report's PDF, over a real Reporting service (in-process
gRPC, real PostgreSQL); figures computed here from the inserted reviews and cases."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zoneinfo
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

import openpyxl
import pytest

from reviewguard.events.v1 import events_pb2
from reviewguard.resolution.v1 import case_pb2
from tests.services.alerting.reporting.conftest import analyzed, delivery, pool, service  # noqa: F401 - fixtures
from tests.services.alerting.reporting.pdf_text import filled_rectangles, pdf_text
from tests.services.gateway.test_reports_routes import reporting_api

TENANT = uuid.uuid4()
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
CUP = "保温杯-500ml"
START = datetime(2026, 10, 19, tzinfo=BERLIN).astimezone(timezone.utc)
WINDOW = {"from": "2026-10-19", "to": "2026-11-02", "time_zone": "Europe/Berlin", "grain": "week"}
# (product, marketplace, day offset, rating, aspects)
REVIEWS = [
    (CUP, "DE", d, 1 + d % 3, aspects)
    for d in range(14) for aspects in (["damaged"], ["logistics", "damaged"], ["product_quality"])
] + [("P2", "FR", d, 1 + d % 5, ["logistics"]) for d in range(0, 14, 2)] + [(CUP, "DE", -3, 1, ["damaged"])]


def week_of(day: date) -> str:
    return datetime.combine(day - timedelta(days=day.weekday()), time(), BERLIN).isoformat()


def posted(offset: int) -> datetime:
    return START + timedelta(days=offset, hours=10)


@pytest.fixture
async def api(service):  # noqa: F811 - the imported fixture
    await service.handle_analyzed([
        delivery(analyzed(str(TENANT), posted_at=posted(d), rating=rating, marketplace=m, product_id=p, aspects=a,
                          title="盖子漏水", body="箱が潰れて届きました"))
        for p, m, d, rating, a in REVIEWS
    ])
    async with reporting_api(service, TENANT) as client:
        yield client


def in_window(d: int) -> bool:
    return 0 <= d < 14


def complaints(product: str, aspect: str, days=range(14)) -> int:
    return sum(1 for p, _, d, rating, a in REVIEWS if p == product and d in days and aspect in a and rating <= 2)


async def test_product_report_as_json_and_as_a_pdf_with_the_chinese_sku_and_its_figures(api):
    body = (await api.get("/v1/reports/departments/product", params=WINDOW)).json()
    cup = next(p for p in body["products"] if p["product_id"] == CUP)
    assert cup["reviews"] == sum(1 for p, _, d, *_ in REVIEWS if p == CUP and in_window(d))
    counts = {a: complaints(CUP, a) for a in ("damaged", "logistics", "product_quality")}
    assert [(d["aspect"], d["complaints"]) for d in cup["defects"]] == sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    damaged = cup["defects"][0]
    assert damaged["previous_complaints"] == complaints(CUP, "damaged", range(-14, 0)) == 1
    assert sum(t["complaints"] for t in damaged["trend"]) == damaged["complaints"] and len(damaged["quotes"]) == 2

    pdf = await api.get("/v1/reports/departments/product", params={**WINDOW, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="product.pdf"'
    lines = pdf_text(pdf.content).splitlines()
    # NOTE: the chart's bar for the SKU's top defect is labelled, then "complaints / earlier".
    label = lines.index(f"{CUP} · damaged")
    assert lines[label + 1] == f"{counts['damaged']} / 1"
    assert any(line.startswith("1★ 盖子漏水") for line in lines)
    # NOTE: the chart is drawn: a background and a bar (and a mark) per label.
    assert filled_rectangles(pdf.content) >= 2 * sum(len(p["defects"]) for p in body["products"])


async def test_logistics_report_as_csv_and_xlsx(api):
    want = defaultdict(lambda: [0, 0, 0])
    for _, m, d, rating, a in REVIEWS:
        if in_window(d):
            t = want[(week_of(posted(d).astimezone(BERLIN).date()), m)]
            t[0] += 1
            t[1] += "logistics" in a and rating <= 2
            t[2] += "damaged" in a and rating <= 2
    body = (await api.get("/v1/reports/departments/logistics", params=WINDOW)).json()
    assert {(r["period"], r["value"]): [r["reviews"], r["delay_complaints"], r["damage_complaints"]] for r in body["rows"]} == dict(want)
    text = (await api.get("/v1/reports/departments/logistics", params={**WINDOW, "format": "csv"})).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["period", "marketplace", "reviews", "delay_complaints", "delay_rate", "damage_complaints", "damage_rate"]
    assert {(r[0], r[1]): [int(r[2]), int(r[3]), int(r[5])] for r in rows[1:]} == dict(want)
    xlsx = await api.get("/v1/reports/departments/logistics", params={**WINDOW, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert len(list(sheet.iter_rows(min_row=2))) == len(want)


async def test_service_report_from_the_case_events(api, service):  # noqa: F811 - the imported fixture
    opened = START + timedelta(days=1)
    for hours, cost in ((3, "20.00"), (30, "5.50")):
        case = case_pb2.Case(id=str(uuid.uuid4()), tenant_id=str(TENANT), status=case_pb2.CASE_STATUS_CONTACTED)
        case.opened_at.FromDatetime(opened)
        case.first_response_due_at.FromDatetime(opened + timedelta(hours=24))
        case.first_response_at.FromDatetime(opened + timedelta(hours=hours))
        case.updated_at.FromDatetime(opened + timedelta(hours=hours))
        offer = str(uuid.uuid4())
        for kind, detail in (("offer_recorded", {"offer_id": offer, "cost_usd": cost}), ("offer_accepted", {"offer_id": offer})):
            event = case_pb2.CaseEvent(case_id=case.id, tenant_id=str(TENANT), kind=kind, detail_json=json.dumps(detail))
            await service.handle_case_event([delivery(events_pb2.CaseUpdated(case=case, event=event))])
    body = (await api.get("/v1/reports/departments/service", params=WINDOW)).json()
    assert body["rows"] == [{
        "period": "2026-10-19T00:00:00+02:00", "cases": 2, "responded": 2, "mean_response_hours": 16.5, "median_response_hours": 16.5,
        "response_rate_24h": 0.5, "sla_met_share": 0.5, "compensation_usd": 25.5, "ratings_raised": 0, "mean_rating_change": None,
    }]
    pdf = await api.get("/v1/reports/departments/service", params={**WINDOW, "format": "pdf"})
    assert "25.5" in pdf_text(pdf.content).splitlines()


@pytest.mark.parametrize(
    ("path", "params", "shown"),
    [
        ("ratings", {"group_by": "product_id"}, CUP), ("aspects", {"rows": "product_id", "cols": "aspect"}, CUP),
        ("competitors", {}, "own"), ("drilldown", {"dimension": "product_id", "value": CUP}, "damaged"),
        ("departments/logistics", {}, "DE"),
    ],
)
async def test_every_report_is_a_pdf_with_its_chart_and_cjk_text(api, path, params, shown):
    answer = await api.get(f"/v1/reports/{path}", params={**WINDOW, **params, "format": "pdf"})
    assert answer.status_code == 200, answer.text
    text = pdf_text(answer.content)
    assert "2026-10-19 00:00 – 2026-11-02 00:00 Europe/Berlin" in text
    assert shown in text.splitlines() and filled_rectangles(answer.content) >= 2


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("departments/product", {"grain": "hour"}, "grain"),
        ("departments/logistics", {"group_by": "colour"}, "group_by"),
        ("departments/service", {"format": "docx"}, "format"),
        ("departments/product", {"from": "2026-11-02", "to": "2026-10-19"}, "from"),
    ],
)
async def test_bad_department_parameters_are_422_naming_them(api, path, params, field):
    answer = await api.get(f"/v1/reports/{path}", params={**WINDOW, **params})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, answer.text
