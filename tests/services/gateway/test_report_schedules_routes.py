"""/v1/report-schedules over a real Reporting service (in-process gRPC, real PostgreSQL); the
sending itself is tested in tests/services/alerting/reporting/test_schedules.py."""

from __future__ import annotations

import uuid

import pytest

from libs.crypto import SecretBox
from services.alerting.notifications import repository as receivers_repository
from tests.services.alerting.reporting.conftest import pool, service  # noqa: F401 - fixtures
from tests.services.gateway.test_reports_routes import reporting_api

TENANT, OTHER = uuid.uuid4(), uuid.uuid4()
BODY = {
    "kind": "service", "grain": "month", "formats": ["pdf", "xlsx"], "receiver": "mail", "recipients": ["cs-lead@seller.example"],
    "time_zone": "Asia/Shanghai", "send_time": "09:30", "day": 1,
}


@pytest.fixture
async def apis(pool, service):  # noqa: F811 - the imported fixtures
    box = SecretBox([SecretBox.new_key()])
    config = {"kind": "email", "host": "127.0.0.1", "port": 2525, "security": "none", "from_address": "rg@seller.example",
              "to": ["ops@seller.example"], "password": "smtp-SECRET-9", "username": "rg"}
    async with pool.acquire() as conn:
        for tenant in (TENANT, OTHER):
            await receivers_repository.put_receiver(conn, tenant, "mail", kind="email", sealed=box.seal(config), quiet_hours=None)
    async with reporting_api(service, TENANT, box) as mine, reporting_api(service, OTHER, box) as theirs:
        yield mine, theirs


async def test_create_list_and_delete_a_schedule_within_the_tenant(apis):
    mine, theirs = apis
    created = await mine.post("/v1/report-schedules", json=BODY)
    assert created.status_code == 201, created.text
    body = created.json()
    assert {k: body[k] for k in BODY} == BODY and body["params"] == {}
    # NOTE: the 1st of the next month at 09:30 in Shanghai (UTC+8) is 01:30 UTC.
    assert body["next_send_at"].endswith("01:30:00Z") and body["next_send_at"][8:10] == "01"
    assert "smtp-SECRET-9" not in created.text
    listed = (await mine.get("/v1/report-schedules")).json()
    assert [s["id"] for s in listed["items"]] == [body["id"]] and listed["next_page_token"] is None
    assert (await theirs.get("/v1/report-schedules")).json()["items"] == []
    assert (await theirs.delete(f"/v1/report-schedules/{body['id']}")).status_code == 404
    assert (await mine.delete(f"/v1/report-schedules/{body['id']}")).status_code == 204
    assert (await mine.get("/v1/report-schedules")).json()["items"] == []


async def test_a_half_hour_zone_is_scheduled_not_refused_and_the_tenants_zone_is_the_default(apis):
    mine, _ = apis
    assert (await mine.put("/v1/report-settings", json={"time_zone": "Asia/Kolkata"})).status_code == 200
    body = {k: v for k, v in BODY.items() if k != "time_zone"}
    created = await mine.post("/v1/report-schedules", json={**body, "grain": "week", "day": 7})
    assert created.status_code == 201, created.text
    assert created.json()["time_zone"] == "Asia/Kolkata"
    # NOTE: Sunday 09:30 in Kolkata (UTC+5:30) is 04:00 UTC.
    assert created.json()["next_send_at"].endswith("04:00:00Z")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "weather"}, "kind"), ({"grain": "day"}, "grain"), ({"receiver": "nobody"}, "receiver"),
        ({"recipients": []}, "recipients"), ({"params": {"group_by": "colour"}, "kind": "logistics"}, "params.group_by"),
        ({"send_time": "9h"}, "send_time"), ({"time_zone": "Asia/Atlantis"}, "time_zone"),
    ],
)
async def test_bad_schedules_are_422_naming_the_field(apis, change, field):
    mine, _ = apis
    answer = await mine.post("/v1/report-schedules", json={**BODY, **change})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"].endswith(field), answer.text
    assert (await mine.get("/v1/report-schedules")).json()["items"] == []
