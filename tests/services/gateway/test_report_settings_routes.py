"""/v1/report-settings: a tenant's stored time zone is the one its reports use when a request names none."""

from __future__ import annotations

import zoneinfo
from collections import Counter
from datetime import datetime, time, timedelta

from tests.services.alerting.reporting.conftest import pool, service  # noqa: F401 - fixtures
from tests.services.gateway.test_reports_routes import OTHER, T0, api, reporting_api  # noqa: F401 - fixtures

KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")


async def test_the_stored_zone_counts_the_reports_that_name_none(api, service):  # noqa: F811 - the imported fixtures
    assert (await api.get("/v1/report-settings")).json() == {"time_zone": "UTC"}
    refused = await api.put("/v1/report-settings", json={"time_zone": "Mars/Olympus"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"].endswith("time_zone"), refused.text
    assert (await api.get("/v1/report-settings")).json() == {"time_zone": "UTC"}

    stored = await api.put("/v1/report-settings", json={"time_zone": "Asia/Kolkata"})
    assert stored.status_code == 200 and stored.json() == {"time_zone": "Asia/Kolkata"}
    assert (await api.get("/v1/report-settings")).json() == {"time_zone": "Asia/Kolkata"}

    params = {"from": "2026-10-25", "to": "2026-10-27", "group_by": "marketplace", "grain": "day"}
    report = (await api.get("/v1/reports/ratings", params=params)).json()
    assert report["time_zone"] == "Asia/Kolkata"
    # NOTE: the api fixture posts one review per marketplace each hour from T0 for 30 hours.
    starts, ends = datetime(2026, 10, 25, tzinfo=KOLKATA), datetime(2026, 10, 27, tzinfo=KOLKATA)
    want = Counter(
        (datetime.combine((T0 + timedelta(hours=h)).astimezone(KOLKATA).date(), time(), KOLKATA).isoformat(), m)
        for h in range(30) for m in ("DE", "FR") if starts <= T0 + timedelta(hours=h) < ends
    )
    assert {(c["period"], c["key"]["marketplace"]): c["reviews"] for c in report["cells"]} == dict(want)

    named = (await api.get("/v1/reports/ratings", params={**params, "time_zone": "UTC"})).json()
    assert named["time_zone"] == "UTC" and all(c["period"].endswith("+00:00") for c in named["cells"])
    async with reporting_api(service, OTHER) as theirs:
        assert (await theirs.get("/v1/report-settings")).json() == {"time_zone": "UTC"}
