"""The inbox and report routes over a real Reporting service (in-process gRPC, real PostgreSQL)."""

from __future__ import annotations

import contextlib
import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import openpyxl
import pytest

from libs.grpc_client import open_channel
from libs.grpc_server import GrpcServer
from libs.settings import Settings
from reviewguard.reporting.v1 import reporting_pb2_grpc
from services.alerting.reporting.grpc_api import ReportingServicer
from services.gateway.app import create_app
from services.gateway.dependencies import Backends, get_tenant
from tests.services.alerting.reporting.conftest import analyzed, delivery, pool, service  # noqa: F401 - fixtures

TENANT, OTHER = uuid.uuid4(), uuid.uuid4()
T0 = datetime(2026, 10, 24, 22, tzinfo=timezone.utc)  # 2026-10-25 00:00 in Berlin


@contextlib.asynccontextmanager
async def reporting_api(service, tenant: uuid.UUID, box=None):  # noqa: F811 - the imported fixture
    """The gateway as `tenant`, over a real Reporting gRPC server on the service."""
    server = GrpcServer(bind="127.0.0.1:0", service_names=["reviewguard.reporting.v1.Reporting"])
    reporting_pb2_grpc.add_ReportingServicer_to_server(ReportingServicer(service, box=box), server.server)
    await server.start()
    channel = open_channel(f"127.0.0.1:{server.port}")
    app = create_app(Settings())
    app.state.backends = Backends(ingest=None, nlp=None, alerting=None, resolution=None, channels={},
                                  reporting=reporting_pb2_grpc.ReportingStub(channel))
    app.dependency_overrides[get_tenant] = lambda: tenant
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            yield client
    finally:
        await channel.close()
        await server.stop(0)


@pytest.fixture
async def api(service):  # noqa: F811 - the imported fixture
    await service.handle_analyzed([
        delivery(analyzed(str(TENANT), posted_at=T0 + timedelta(hours=h), rating=1 + h % 5, marketplace=m, aspects=["shipping"],
                          title=f"=SUM(A1) {m}", body="箱が潰れて届きました"))
        for h in range(30) for m in ("DE", "FR")
    ] + [delivery(analyzed(str(OTHER), posted_at=T0, rating=1, marketplace="DE", body="箱が潰れて"))])
    async with reporting_api(service, TENANT) as client:
        yield client


async def test_inbox_pages_through_the_tenants_reviews_only(api):
    seen, token = [], None
    while True:
        answer = await api.get("/v1/reviews", params={"q": "潰れ", "page_size": 25, **({"page_token": token} if token else {})})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += body["items"]
        token = body["next_page_token"]
        if token is None:
            break
    assert len(seen) == len({r["id"] for r in seen}) == 60
    assert seen[0]["posted_at"] > seen[-1]["posted_at"] and seen[0]["sentiment"] in ("negative", "neutral", "positive")
    assert seen[0]["case_id"] is None and seen[0]["negative_score"] is None


async def test_a_tampered_page_token_is_a_400_and_bad_filters_422_naming_them(api):
    token = (await api.get("/v1/reviews", params={"page_size": 1})).json()["next_page_token"]
    tampered = await api.get("/v1/reviews", params={"page_size": 1, "page_token": "x" + token[1:]})
    assert tampered.status_code == 400 and tampered.json()["errors"][0]["field"] == "page_token"
    for params, field in (({"sort": "title"}, "sort"), ({"page_size": 501}, "page_size"), ({"rating_gte": 0}, "rating_gte"),
                          ({"posted_from": "2026-10-25T00:00:00"}, "posted_from")):
        answer = await api.get("/v1/reviews", params=params)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, (params, answer.text)


async def test_ratings_report_in_the_tenants_zone_as_json_csv_and_xlsx(api):
    params = {"from": "2026-10-25", "to": "2026-10-27", "group_by": "marketplace", "grain": "day", "time_zone": "Europe/Berlin"}
    body = (await api.get("/v1/reports/ratings", params=params)).json()
    # NOTE: 25 October has 25 hours in Berlin (summer time ends): 25 reviews per marketplace, then 5.
    assert [(c["period"], c["key"]["marketplace"], c["reviews"]) for c in body["cells"]] == [
        ("2026-10-25T00:00:00+02:00", "DE", 25), ("2026-10-25T00:00:00+02:00", "FR", 25),
        ("2026-10-26T00:00:00+01:00", "DE", 5), ("2026-10-26T00:00:00+01:00", "FR", 5),
    ]
    text = (await api.get("/v1/reports/ratings", params={**params, "format": "csv"})).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["period", "marketplace", "reviews", "negative"] and rows[1][:3] == ["2026-10-25T00:00:00+02:00", "DE", "25"]
    xlsx = await api.get("/v1/reports/ratings", params={**params, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))][:3] == ["2026-10-25T00:00:00+02:00", "DE", 25]


async def test_other_reports_and_their_exports(api):
    window = {"from": "2026-10-25T00:00:00+02:00", "to": "2026-10-26T00:00:00+01:00", "time_zone": "Europe/Berlin"}
    heat = (await api.get("/v1/reports/aspects", params={**window, "rows": "marketplace", "cols": "aspect", "grain": "day"})).json()
    assert {(c["key"]["marketplace"], c["key"]["aspect"], c["reviews"]) for c in heat["cells"]} == {("DE", "shipping", 25), ("FR", "shipping", 25)}
    drill = await api.get("/v1/reports/drilldown", params={**window, "dimension": "marketplace", "value": "DE", "format": "csv"})
    rows = list(csv.reader(io.StringIO(drill.content.decode("utf-8-sig"))))
    assert rows[1][:3] == ["aspect", "shipping", "25"]
    # NOTE: a title that reads as a spreadsheet formula is exported as text.
    assert all(not r[4].startswith("=") for r in rows[1:]) and any(r[0] == "example" for r in rows)
    rivals = (await api.get("/v1/reports/competitors", params={**window, "grain": "day"})).json()
    assert [(c["key"]["listing"], c["reviews"]) for c in rivals["cells"]] == [("own", 50)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-10-25", "to": "2026-10-27", "group_by": "colour"}, "group_by"),
        ({"from": "2026-10-27", "to": "2026-10-25"}, "from"),
        ({"from": "2016-10-25", "to": "2026-10-25", "grain": "hour"}, "grain"),
        ({"from": "yesterday", "to": "2026-10-25"}, "from"),
        ({"to": "2026-10-25"}, "from"),
        ({"from": "0001-01-01T00:00:00+05:00", "to": "2026-10-25"}, "from"),
        ({"from": "2026-10-25", "to": "2026-10-27", "time_zone": "Nowhere/Else"}, "time_zone"),
    ],
)
async def test_bad_report_parameters_are_422_naming_them(api, params, field):
    answer = await api.get("/v1/reports/ratings", params=params)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, answer.text
