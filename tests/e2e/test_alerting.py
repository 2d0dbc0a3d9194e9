"""Alerting end to end: trends from real reviews through every service, policies and the alert lifecycle."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx

from tests.helpers import eventually, local_server

BERLIN_NOON = 11  # UTC hour well inside the German day


def reviews_on(day: datetime, ratings: list[int], tag: str) -> list[dict]:
    return [
        {
            "platform": "amazon", "marketplace": "DE", "store_id": "kettle-store", "external_id": f"{tag}-{i}",
            "product_id": "B0KETTLE77", "rating": rating,
            "title": "Wasserkocher" if rating > 3 else "Enttäuscht",
            "body": "Kocht schnell und leise, sehr zufrieden." if rating > 3 else "Undicht nach einem Tag, Wasser auf der Arbeitsplatte.",
            "posted_at": (day + timedelta(minutes=i)).isoformat(),
        }
        for i, rating in enumerate(ratings)
    ]


async def test_one_star_run_turns_red_on_day_one_and_level_two_crisis_on_day_three(system, api_keys, base_url) -> None:
    today = datetime.now(timezone.utc).replace(hour=BERLIN_NOON, minute=0, second=0, microsecond=0)
    day1 = today - timedelta(days=5)
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {api_keys['globex']}"}, timeout=30) as api:
        history = [r for d in range(30, 0, -1) for r in reviews_on(day1 - timedelta(days=d), [5, 5, 5, 5, 4], f"h{d}")]
        for start in range(0, len(history), 50):
            assert (await api.post("/v1/reviews", json={"reviews": history[start : start + 50]})).status_code == 202

        # The month of history travels the history lane, which yields to live reviews; judge the
        # bad days only once alerting has counted enough of it, as a seller importing first would.
        async def history_counted():
            status = (await api.get("/v1/alert-policies")).json()["status"]
            return all(status[rule]["state"] == "active" for rule in ("rating_baseline", "crisis"))

        await eventually(history_counted, timeout=90)

        async def trend_alerts(rule: str) -> list[dict]:
            return (await api.get("/v1/alerts", params={"rule": rule, "page_size": 500})).json()["items"]

        for n in range(3):
            day = day1 + timedelta(days=n)
            assert (await api.post("/v1/reviews", json={"reviews": reviews_on(day, [1] * 6, f"bad{n}")})).status_code == 202
            if n == 0:
                async def red_on_day_one():
                    return [a for a in await trend_alerts("rating_baseline")
                            if a["scope"] == "product:B0KETTLE77" and a["labels"]["level"] == "red"]

                (red,) = await eventually(red_on_day_one, timeout=60)
                assert red["day"] == day1.date().isoformat() and red["severity"] == "critical"
            else:
                async def judged():
                    alerts = await trend_alerts("rating_baseline")
                    return any(a["day"] == day.date().isoformat() for a in alerts)

                await eventually(judged, timeout=60)

        async def level_two():
            return [a for a in await trend_alerts("crisis") if a["labels"].get("crisis_level") == "2"]

        (crisis,) = await eventually(level_two, timeout=60)
        assert crisis["day"] == (day1 + timedelta(days=2)).date().isoformat()
        assert crisis["scope"] == "product:B0KETTLE77"

        async def linked_case():
            alert = (await api.get(f"/v1/alerts/{crisis['id']}")).json()
            return alert if alert["case_id"] else None

        linked = await eventually(linked_case, timeout=30)
        cases = (await api.get("/v1/cases", params={"page_size": 500})).json()["items"]
        assert linked["case_id"] in {c["id"] for c in cases}

        acked = await api.post(f"/v1/alerts/{crisis['id']}/acknowledge", json={"actor": "brand-owner@globex.example"})
        assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
        resolved = await api.post(f"/v1/alerts/{crisis['id']}/resolve", json={})
        assert resolved.json()["status"] == "resolved" and resolved.json()["acknowledged_by"] == "brand-owner@globex.example"


async def test_alert_policy_through_the_gateway(system, api_keys, base_url) -> None:
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {api_keys['acme']}"}, timeout=10) as api:
        defaults = (await api.get("/v1/alert-policies")).json()
        assert defaults["version"] == 0
        assert defaults["policy"]["baseline"]["orange_daily_drop"] == 0.3
        assert defaults["policy"]["crisis"]["level2_days"] == 3
        assert defaults["policy"]["reviews"]["manual_review_negative_score"] == 0.7

        changed = await api.put("/v1/alert-policies", json={"baseline": {"red_daily_drop": 0.7}})
        assert changed.status_code == 200 and changed.json()["version"] == 1
        assert changed.json()["policy"]["baseline"]["red_daily_drop"] == 0.7

        bad = await api.put("/v1/alert-policies", json={"baseline": {"red_daily_drop": 0.1}, "bogus": 1})
        assert bad.status_code == 422
        assert {e["field"] for e in bad.json()["errors"]} >= {"bogus"}
        assert (await api.get("/v1/alert-policies")).json()["policy"]["baseline"]["red_daily_drop"] == 0.7

        assert (await api.post(f"/v1/alerts/{'0' * 8}-0000-0000-0000-{'0' * 12}/acknowledge")).status_code == 404


async def test_a_one_star_review_reaches_a_signed_webhook_within_seconds(system, api_keys, base_url) -> None:
    """Post → ingest → nlp → alerting → receiver, through the gateway's receiver and routing APIs."""
    from starlette.responses import JSONResponse

    from services.alerting.receivers import verify_signature
    from tests.services.alerting.receivers.fakes import FakeServer

    hook = FakeServer()
    hook.expect(lambda r: None, default=JSONResponse({"ok": True}))
    secret = "e2e-webhook-secret-0001"
    async with local_server(hook) as url:
        hook.url = url
        async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {api_keys['acme']}"}, timeout=10) as api:
            bad = await api.put("/v1/alert-receivers/ops", json={"config": {"kind": "webhook", "url": "not a url", "secret": secret}})
            assert bad.status_code == 422
            put = await api.put("/v1/alert-receivers/ops", json={"config": {"kind": "webhook", "url": f"{hook.url}/hook", "secret": secret}})
            assert put.status_code == 200 and secret not in put.text
            routing = {"routing": {"route": {"receiver": "ops", "group_wait_seconds": 0}}}
            assert (await api.put("/v1/alert-policies", json=routing)).status_code == 200
            review = {
                "platform": "amazon", "marketplace": "FR", "external_id": "hook-1", "product_id": "B0HOOK",
                "rating": 1, "title": "Arnaque", "body": "Produit contrefait, il a pris feu au premier usage.",
                "posted_at": datetime.now(timezone.utc).isoformat(),
            }
            review_id = (await api.post("/v1/reviews", json={"reviews": [review]})).json()["ids"][0]

            async def delivered():
                return [r for r in hook.requests if r.json()["alert"]["review_id"] == review_id]

            (request,) = await eventually(delivered, timeout=30)
            assert verify_signature(secret, request.headers["x-reviewguard-timestamp"], request.body,
                                    request.headers["x-reviewguard-signature"], tolerance_s=300)
            assert request.json()["alert"]["severity"] == "critical"
            # NOTE: the receiver has the request before the dispatcher records its answer.
            async def recorded():
                log = (await api.get("/v1/deliveries")).json()["items"]
                return log if log and log[0]["status"] != "pending" else None

            log = await eventually(recorded, timeout=30)
            assert log[0]["status"] == "delivered" and log[0]["receiver"] == "ops"
            silence = await api.post("/v1/silences", json={"matchers": ["product_id=B0HOOK"], "ends_at": "2020-01-01T00:00:00Z"})
            assert silence.status_code == 422
