"""Ingest end to end, every service its own process: file imports (REST and CLI), signed webhooks
with edits and history, a pull source against a local Trustpilot-format server, competitor files
that never alert, and capture lag."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import httpx

from services.gateway.tenants import provision_tenant
from services.ingest.webhooks import sign
from services.launcher import LocalSystem
from tests.helpers import eventually
from tests.services.ingest.connectors.conftest import Script, serve
from tests.services.ingest.connectors.test_trustpilot import API_KEY, UNIT, platform

HEADER = ["Review ID", "ASIN", "Review Date", "Star Rating", "Title", "Review Text", "Reviewer Name", "Marketplace"]


def export(prefix: str) -> bytes:
    """An Amazon-style export written for these tests: two good rows and one bad one, of this week."""
    day = [(datetime.now(timezone.utc) - timedelta(days=d)).strftime("%Y-%m-%d") for d in (3, 2, 1)]
    rows = [
        [f"{prefix}-1", "B0KETTLE01", day[0], "1", "Kaputt angekommen", "Der Wasserkocher kam mit einem Riss im Gehäuse an. Betrug!", "Jürgen", "DE"],
        [f"{prefix}-2", "B0KETTLE01", day[1], "eleven", "Gut", "Kocht schnell.", "Sam", "DE"],
        [f"{prefix}-3", "B0KETTLE02", day[2], "5", "Sehr gut", "Schnell geliefert, funktioniert einwandfrei.", "Eva", "DE"],
    ]
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8-sig")


async def finished(api: httpx.AsyncClient, job_id: str) -> dict:
    async def done():
        job = (await api.get(f"/v1/imports/{job_id}")).json()
        return job if job["status"] in ("done", "failed") else None

    return await eventually(done, timeout=30)


async def test_file_import_reports_bad_rows_a_rerun_adds_nothing_and_competitor_files_never_alert(system: LocalSystem, base_url) -> None:
    _, key = await provision_tenant(system.dsn, "importer", pepper=system.api_key_pepper())
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=20) as api:
        files = {"file": ("amazon.csv", export("IMP"), "text/csv")}
        # NOTE: marked live: an import is history by default, and history pages no one.
        posted = await api.post("/v1/imports", files=files, data={"mapping": "amazon", "live": "true"})
        assert posted.status_code == 202, posted.text
        job = await finished(api, posted.json()["id"])
        assert (job["status"], job["rows_good"], job["rows_bad"], job["created"]) == ("done", 2, 1, 2)
        assert job["errors"][0]["line"] == 3 and "rating" in job["errors"][0]["reason"]
        rerun = await finished(api, (await api.post("/v1/imports", files=files, data={"mapping": "amazon"})).json()["id"])
        assert (rerun["rows_good"], rerun["created"], rerun["updated"]) == (2, 0, 0)

        competitor = {"file": ("rival.csv", export("RIVAL"), "text/csv")}
        job = await finished(
            api, (await api.post("/v1/imports", files=competitor, data={"mapping": "amazon", "competitor": "true", "live": "true"})).json()["id"]
        )
        assert job["competitor"] and job["created"] == 2

        async def alerts() -> list[dict]:
            return (await api.get("/v1/alerts")).json().get("items", [])

        # The tenant's own 1-star review alerts; the competitor's equally bad one never does.
        own = await eventually(alerts, timeout=30)
        await asyncio.sleep(2.0)
        assert len(await alerts()) == len(own) == 1

        bad = await api.post("/v1/imports", files=files, data={"mapping": "custom", "mapping_json": '{"columns": {}}'})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("mapping_json")
        assert (await api.post("/v1/imports", data={"mapping": "amazon"})).status_code == 422


def test_cli_import_streams_a_file_to_ingest(system: LocalSystem, tmp_path) -> None:
    tenant_id, _ = asyncio.run(provision_tenant(system.dsn, "cli-importer", pepper=system.api_key_pepper()))
    path = tmp_path / "export.csv"
    path.write_bytes(export("CLI"))
    env = {**system.service_env(), "REVIEWGUARD_LOG_JSON": "false"}
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "import", str(path), "--tenant", str(tenant_id), "--mapping", "amazon"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "done: 2 new, 0 changed, 1 bad rows" in done.stdout and "line 3:" in done.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "services.cli", "import", str(path), "--tenant", "not-a-uuid"], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 1 and "tenant_id" in refused.stderr


async def test_webhooks_edits_history_rating_changes_and_capture_lag(system: LocalSystem, base_url) -> None:
    _, key = await provision_tenant(system.dsn, "hooked", pepper=system.api_key_pepper())
    secret = "whsec-e2e-71c3f0aa"
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=20) as api:
        created = await api.post("/v1/sources", json={
            "kind": "trustpilot", "name": "tp", "webhook_secret": secret,
            "settings": {"business_unit_id": UNIT, "api_key": API_KEY, "base_url": "http://127.0.0.1:9"}, "status": "x"})  # fmt: skip
        assert created.status_code == 422, "unknown fields are refused"
        created = await api.post("/v1/sources", json={
            "kind": "trustpilot", "name": "tp", "webhook_secret": secret,
            "settings": {"business_unit_id": UNIT, "api_key": API_KEY, "base_url": "http://127.0.0.1:9"}})  # fmt: skip
        assert created.status_code == 201, created.text
        source = created.json()
        assert secret not in created.text and API_KEY not in created.text and source["has_webhook_secret"]
        await api.patch(f"/v1/sources/{source['id']}", json={"status": "paused"})

        hook = httpx.AsyncClient(base_url=base_url, timeout=20)  # no API key: the signature authenticates
        posted_at = datetime.now(timezone.utc) - timedelta(seconds=40)

        def event(name: str, stars: int) -> bytes:
            data = {"id": "tp-e2e-1", "language": "de", "title": "Nie angekommen", "text": "Paket nie angekommen, Support antwortet nicht.",
                    "stars": stars, "createdAt": posted_at.isoformat(), "consumer": {"id": "c9", "name": "Kunde"}}  # fmt: skip
            return json.dumps({"events": [{"eventName": name, "eventData": data}]}).encode()

        url = source["webhook_path"]
        body = event("service-review-created", 1)
        headers = sign("trustpilot", secret, body)
        first = await hook.post(url, content=body, headers=headers)
        assert first.status_code == 200, first.text
        review_id = first.json()["ids"][0]
        assert (await hook.post(url, content=body, headers=headers)).status_code == 401, "a replay is refused"
        assert (await hook.post(url, content=body)).status_code == 401, "an unsigned call is refused"
        old = sign("trustpilot", secret, body, at=datetime.now(timezone.utc) - timedelta(hours=1))
        assert (await hook.post(url, content=body, headers=old)).status_code == 401, "a stale call is refused"

        edited = event("service-review-updated", 4)
        assert (await hook.post(url, content=edited, headers=sign("trustpilot", secret, edited))).status_code == 200
        await hook.aclose()

        history = (await api.get(f"/v1/reviews/{review_id}/history")).json()
        assert [(v["version"], v["rating"], v["changed_fields"]) for v in history["versions"]] == [(1, 1, []), (2, 4, ["rating"])]
        ups = (await api.get("/v1/rating-changes", params={"direction": "up"})).json()["items"]
        assert [(c["review_id"], c["old_rating"], c["new_rating"]) for c in ups] == [(review_id, 1, 4)]
        lag = (await api.get("/v1/ingest/lag", params={"window_seconds": 3600})).json()["stats"]
        [webhook] = [s for s in lag if s["channel"] == "webhook"]
        assert webhook["source_id"] == source["id"] and 30 <= webhook["p50_seconds"] < 300
        _, nosy_key = await provision_tenant(system.dsn, "nosy", pepper=system.api_key_pepper())
        assert (await api.get(f"/v1/reviews/{review_id}/history", headers={"Authorization": f"Bearer {nosy_key}"})).status_code == 404


async def test_a_pull_source_backfills_from_a_trustpilot_format_server(system: LocalSystem, base_url) -> None:
    _, key = await provision_tenant(system.dsn, "puller", pepper=system.api_key_pepper())
    async with serve(platform(Script())) as platform_url, httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=20) as api:
        created = await api.post("/v1/sources", json={
            "kind": "trustpilot", "name": "tp pull", "competitor": True, "backfill_days": 30, "poll_interval_seconds": 60,
            "settings": {"business_unit_id": UNIT, "api_key": API_KEY, "per_page": 3, "base_url": platform_url}})  # fmt: skip
        assert created.status_code == 201, created.text
        source_id = created.json()["id"]

        async def synced():
            source = (await api.get(f"/v1/sources/{source_id}")).json()
            return source if source["last_success_at"] else None

        source = await eventually(synced, timeout=30)
        assert source["status"] == "active" and source["last_error"] == ""
        lag = (await api.get("/v1/ingest/lag", params={"window_seconds": 3600})).json()["stats"]
        assert [(s["channel"], s["reviews"]) for s in lag if s["source_id"] == source_id] == [("backfill", 7)]


def history_export(rows: int) -> bytes:
    """A seller's past reviews from 2015, as the public Amazon reviews layout has them: a fifth negative."""
    lines = []
    for i in range(rows):
        negative = i % 5 == 0
        lines.append([
            f"HIST-{i}", f"B0OLD{i % 7:05d}", f"2015-{1 + i % 12:02d}-{1 + i % 27:02d}", "1" if negative else str(4 + i % 2),
            "Nach zwei Wochen defekt" if negative else "Solide",
            f"Der Mixer Nr. {i} ging nach zwei Wochen kaputt, Motor riecht verbrannt." if negative else f"Tut was er soll, Gerät {i}.",
            f"Kunde {i}", "DE",
        ])  # fmt: skip
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *lines])
    return out.getvalue().encode("utf-8")


async def test_onboarding_a_history_pages_no_one_and_the_team_turns_chosen_ones_into_cases(system: LocalSystem, base_url) -> None:
    _, key = await provision_tenant(system.dsn, "onboarding", pepper=system.api_key_pepper())
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=20) as api:
        posted = await api.post("/v1/imports", files={"file": ("2015.csv", history_export(250), "text/csv")}, data={"mapping": "amazon"})
        assert posted.status_code == 202, posted.text
        assert (await finished(api, posted.json()["id"]))["created"] == 250

        async def whole_backlog() -> list[dict] | None:
            items, token = [], ""
            while True:
                page = (await api.get("/v1/backlog", params={"page_size": 500, **({"page_token": token} if token else {})})).json()
                items += page["items"]
                token = page["next_page_token"]
                if not token:
                    return items if len(items) == 50 else None

        backlog = await eventually(whole_backlog, timeout=120)
        assert {i["rating"] for i in backlog} == {1} and all(i["posted_at"].startswith("2015-") for i in backlog)
        assert (await api.get("/v1/alerts")).json()["items"] == [], "history opened no alert"
        assert (await api.get("/v1/cases")).json()["items"] == [], "and no case"

        chosen = [backlog[0]["review_id"], backlog[1]["review_id"], backlog[2]["review_id"]]
        refused = await api.post("/v1/backlog/promote", json={"review_ids": [chosen[0], "00000000-0000-0000-0000-000000000000"]})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "review_ids[1]"
        promoted = await api.post("/v1/backlog/promote", json={"review_ids": chosen, "actor": "lena@seller.example"})
        assert promoted.status_code == 200, promoted.text
        assert [a["review_id"] for a in promoted.json()["alerts"]] == chosen

        async def their_cases():
            cases = (await api.get("/v1/cases", params={"page_size": 500})).json()["items"]
            return cases if len(cases) == 3 else None

        cases = await eventually(their_cases, timeout=60)
        assert {c["review_id"] for c in cases} == set(chosen)
        left = (await api.get("/v1/backlog", params={"page_size": 500})).json()["items"]
        assert len(left) == 47 and not set(chosen) & {i["review_id"] for i in left}
