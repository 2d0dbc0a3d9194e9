"""End to end across all five services, each its own process: gateway → ingest → nlp → alerting → resolution."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime

import asyncpg
import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from services.launcher import LocalSystem
from tests.helpers import eventually, local_server, recent
from tests.services.nlp.translation.fakes import LIBRE_KEY, FakeProviders, fake_translation

GERMAN_ONE_STAR = {
    "platform": "amazon",
    "marketplace": "DE",
    "external_id": "R-DE-0001",
    "product_id": "B0KETTLE01",
    "rating": 1,
    "title": "Nach zwei Tagen kaputt",
    "body": "Der Wasserkocher ist nach zwei Tagen ausgefallen und das Gehäuse hat einen Riss. "
    "Ich fühle mich betrogen und möchte mein Geld zurück.",
    "posted_at": recent(),
}


def review(**changes) -> dict:
    return {**GERMAN_ONE_STAR, "external_id": f"R-{uuid.uuid4().hex[:10]}", **changes}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def stored_reviews(system: LocalSystem) -> int:
    conn = await asyncpg.connect(system.dsn)
    try:
        return await conn.fetchval("SELECT count(*) FROM ingest.reviews")
    finally:
        await conn.close()


async def test_german_one_star_review_becomes_analysis_alert_and_case(system, api_keys, base_url) -> None:
    async with httpx.AsyncClient(base_url=base_url, headers=auth(api_keys["acme"]), timeout=10) as api:
        posted = await api.post("/v1/reviews", json={"reviews": [GERMAN_ONE_STAR]})
        assert posted.status_code == 202, posted.text
        assert posted.json()["accepted"] == 1
        review_id = posted.json()["ids"][0]

        async def analysed():
            body = (await api.get(f"/v1/reviews/{review_id}")).json()
            return body if body["analysis"] else None

        stored = await eventually(analysed)
        assert stored["body"] == GERMAN_ONE_STAR["body"] and stored["rating"] == 1
        assert stored["analysis"]["language"] == "de"

        async def case_for_review():
            cases = (await api.get("/v1/cases", params={"review_id": review_id})).json()["items"]
            return cases[0] if cases else None

        case = await eventually(case_for_review)
        alerts = (await api.get("/v1/alerts", params={"review_id": review_id})).json()["items"]
        assert len(alerts) == 1 and alerts[0]["severity"] == "high" and "rating 1" in alerts[0]["reasons"]
        assert case["alert_id"] == alerts[0]["id"] and case["status"] == "new"
        hours = (datetime.fromisoformat(case["due_at"]) - datetime.fromisoformat(case["opened_at"])).total_seconds() / 3600
        assert hours == 6

        # Posting the same review again is accepted, stores nothing new and opens no second case.
        again = await api.post("/v1/reviews", json={"reviews": [GERMAN_ONE_STAR]})
        assert again.json()["ids"] == [review_id]
        await asyncio.sleep(1.0)
        assert len((await api.get("/v1/cases", params={"review_id": review_id})).json()["items"]) == 1


async def test_one_trace_runs_from_the_gateway_to_the_case(system, api_keys, base_url) -> None:
    async with httpx.AsyncClient(base_url=base_url, headers=auth(api_keys["acme"]), timeout=10) as api:
        review_id = (await api.post("/v1/reviews", json={"reviews": [review()]})).json()["ids"][0]
        await eventually(lambda: _has_case(api, review_id))
    trace_dir = system.settings.trace_dir

    def spans() -> list[dict]:
        found = []
        for path in trace_dir.glob("*.jsonl"):
            found += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return found

    async def case_span():
        for span in spans():
            if span["name"] == "resolution.open_case":
                post = [s for s in spans() if s["service"] == "reviewguard-gateway" and s["trace_id"] == span["trace_id"]]
                if post:
                    return span
        return None

    span = await eventually(case_span, timeout=20)
    services_in_trace = {s["service"] for s in spans() if s["trace_id"] == span["trace_id"]}
    assert services_in_trace == {f"reviewguard-{s}" for s in ("gateway", "ingest", "nlp", "alerting", "resolution")}


async def _has_case(api: httpx.AsyncClient, review_id: str) -> bool:
    return bool((await api.get("/v1/cases", params={"review_id": review_id})).json()["items"])


async def test_bad_input_gets_a_clear_4xx_and_stores_nothing(system, api_keys, base_url) -> None:
    before = await stored_reviews(system)
    async with httpx.AsyncClient(base_url=base_url, headers=auth(api_keys["acme"]), timeout=30) as api:
        rating_seven = await api.post("/v1/reviews", json={"reviews": [review(rating=7)]})
        assert rating_seven.status_code == 422
        assert rating_seven.json()["errors"][0]["field"] == "reviews[0].rating"

        missing = {k: v for k, v in review().items() if k not in ("product_id", "posted_at")}
        missing_fields = await api.post("/v1/reviews", json={"reviews": [missing]})
        assert missing_fields.status_code == 422
        assert {e["field"] for e in missing_fields.json()["errors"]} == {"reviews[0].product_id", "reviews[0].posted_at"}

        huge = await api.post("/v1/reviews", json={"reviews": [review(body="ä" * 2_000_000)]})
        assert huge.status_code == 422
        assert "at most 20000 characters" in huge.json()["errors"][0]["message"]

        # A good review in the same batch as a bad one is not stored either.
        mixed = await api.post("/v1/reviews", json={"reviews": [review(), review(body="", title="")]})
        assert mixed.status_code == 422 and mixed.json()["errors"][0]["field"] == "reviews[1].body"

        broken = await api.post("/v1/reviews", content=b'{"reviews": [{"platform": "amazon",', headers={"Content-Type": "application/json"})
        assert broken.status_code == 400 and "not valid JSON" in broken.json()["detail"]

        naive_time = await api.post("/v1/reviews", json={"reviews": [review(posted_at="2026-11-20T09:30:00")]})
        assert naive_time.status_code == 422

        too_big = await api.post("/v1/reviews", content=b"x" * (9 * 1024 * 1024), headers={"Content-Type": "application/json"})
        assert too_big.status_code == 413

        unknown = await api.get(f"/v1/reviews/{uuid.uuid4()}")
        assert unknown.status_code == 404
        bad_id = await api.get("/v1/reviews/not-a-uuid")
        assert bad_id.status_code == 422
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as anonymous:
        assert (await anonymous.post("/v1/reviews", json={"reviews": [review()]})).status_code == 401
        assert (await anonymous.get("/v1/cases", headers=auth("rg_not_a_key"))).status_code == 401
    assert await stored_reviews(system) == before


async def test_a_tenant_sees_only_its_own_data(system, api_keys, base_url) -> None:
    async with (
        httpx.AsyncClient(base_url=base_url, headers=auth(api_keys["acme"]), timeout=10) as acme,
        httpx.AsyncClient(base_url=base_url, headers=auth(api_keys["globex"]), timeout=10) as globex,
    ):
        review_id = (await acme.post("/v1/reviews", json={"reviews": [review()]})).json()["ids"][0]
        await eventually(lambda: _has_case(acme, review_id))
        assert (await globex.get(f"/v1/reviews/{review_id}")).status_code == 404
        assert (await globex.get("/v1/alerts", params={"review_id": review_id})).json()["items"] == []
        assert (await globex.get("/v1/cases", params={"review_id": review_id})).json()["items"] == []
        assert all(c["review_id"] != review_id for c in (await globex.get("/v1/cases")).json()["items"])


async def test_every_backend_speaks_grpc_health_and_reflection(system) -> None:
    s = system.settings
    for name in ("ingest", "nlp", "alerting", "resolution"):
        async with grpc.aio.insecure_channel(s.grpc_target(name)) as channel:
            health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
            async for response in responses:
                names = {svc.name for svc in response.list_services_response.service}
                assert f"reviewguard.{name}.v1.{name.capitalize()}Service" in names or any(
                    n.startswith(f"reviewguard.{name}.v1.") for n in names
                )
                assert "grpc.health.v1.Health" in names
                break


async def test_tenant_aspect_tags_through_the_gateway_apply_to_new_reviews(system, api_keys, base_url) -> None:
    async with httpx.AsyncClient(base_url=base_url, headers=auth(api_keys["acme"]), timeout=10) as api:
        bad = await api.put("/v1/nlp-settings", json={"aspect_tags": [{"name": "Not A Name!"}]})
        assert bad.status_code == 422
        put = await api.put("/v1/nlp-settings", json={"aspect_tags": [{"name": "heatwave", "language": "de", "keywords": ["hitzewelle"]}],
                                                      "competitor_brands": ["KettleKing"]})
        assert put.status_code == 200 and put.json()["version"] >= 1
        review_id = (await api.post("/v1/reviews", json={"reviews": [review(body="Bei der Hitzewelle ist er geplatzt. Kauft lieber KettleKing.")]})).json()["ids"][0]

        async def analysed():
            return (await api.get(f"/v1/reviews/{review_id}")).json()["analysis"]

        analysis = await eventually(analysed)
        assert "heatwave" in analysis["aspects"]
        assert analysis["predicted_stars"] <= 2 and analysis["negative_score"] > 0.5
        assert any("KettleKing" in r for r in analysis["suspicion_reasons"])


async def test_translation_per_tenant_through_the_gateway_keeps_the_original(system, api_keys, base_url) -> None:
    fake = FakeProviders()
    async with local_server(fake.app()) as provider_url, httpx.AsyncClient(
        base_url=base_url, headers=auth(api_keys["globex"]), timeout=10
    ) as api:
        assert (await api.get("/v1/translation-settings")).json()["enabled"] is False
        bad = await api.put("/v1/translation-settings", json={"enabled": True, "provider": {"provider": "babelfish"}})
        assert bad.status_code == 422
        settings = {"enabled": True, "target": "en",
                    "provider": {"provider": "libretranslate", "base_url": provider_url, "api_key": LIBRE_KEY}}
        put = await api.put("/v1/translation-settings", json=settings)
        assert put.status_code == 200, put.text
        assert put.json()["provider"]["api_key_set"] is True and LIBRE_KEY not in put.text
        assert LIBRE_KEY not in (await api.get("/v1/translation-settings")).text

        sent = review(body="Der Deckel schließt nicht mehr und das Wasser tropft überall hin.")
        review_id = (await api.post("/v1/reviews", json={"reviews": [sent]})).json()["ids"][0]

        async def translated():
            read = (await api.get(f"/v1/reviews/{review_id}")).json()
            analysis = read["analysis"]
            return read if analysis and analysis["translation"] and analysis["translation"]["status"] == "done" else None

        read = await eventually(translated)
        translation = read["analysis"]["translation"]
        assert translation["source_language"] == "de" and translation["provider"] == "libretranslate"
        assert translation["text"] == fake_translation(f"{sent['title']}\n{sent['body']}", "en")
        assert read["body"] == sent["body"]  # the original stays as it was written
        # The tenant's detection scope comes from where it sells.
        nlp = (await api.get("/v1/nlp-settings")).json()
        assert "DE" in nlp["marketplaces"] and {"de", "en"} <= set(nlp["detection_languages"])
    # The other tenant has translation off: its reviews get none.
    async with httpx.AsyncClient(base_url=base_url, headers=auth(api_keys["acme"]), timeout=10) as api:
        assert (await api.get("/v1/translation-settings")).json()["enabled"] is False
