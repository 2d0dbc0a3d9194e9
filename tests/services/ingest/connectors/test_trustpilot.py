"""Trustpilot connector against a local server answering in the Business Units API's format."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.ingest.connectors import CredentialsRejected, RequestRejected, SourceUnavailable, sync
from services.ingest.connectors.trustpilot import TrustpilotConfig, TrustpilotConnector
from tests.services.ingest.connectors.conftest import FAST_RETRY, Script, secret_in_logs, serve

API_KEY = "tp-key-5f3c9a77e1d24b0c"
UNIT = "5d8b2c1e9f0a4b0001a2b3c4"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)

# Written for these tests, newest first as orderBy=createdat.desc returns them.
REVIEWS = [
    ("de", 1, "Lieferung nie angekommen", "Bestellt am Montag, bis heute kein Paket und keine Antwort vom Kundenservice."),
    ("en", 2, "Slow refund", "Returned the blender three weeks ago and I am still waiting for my money."),
    ("fr", 5, "Parfait", "Commande reçue en deux jours, emballage soigné, je recommande vivement."),
    ("ja", 4, "対応が早い", "問い合わせに翌日返信があり、交換品もすぐに届きました。"),
    ("zh", 1, "质量太差", "收到的充电器用了两天就坏了，客服一直不回复。"),
    ("en", 3, "Okay overall", "The product is fine but the delivery estimate was off by a week."),
    ("de", 5, "Top Händler", "Schnelle Lieferung und sehr freundlicher Kontakt, gerne wieder."),
]


def review_json(i: int) -> dict:
    language, stars, title, text = REVIEWS[i]
    item = {
        "links": [{"href": f"https://api.trustpilot.com/v1/reviews/tp{i}", "method": "GET", "rel": "reviews"}],
        "id": f"tp{i:03d}",
        "consumer": {"id": f"c{i}", "displayName": f"Kunde {i}", "numberOfReviews": 2},
        "businessUnit": {"id": UNIT, "displayName": "Acme Kettles"},
        "stars": stars,
        "title": title,
        "text": text,
        "language": language,
        "createdAt": (NOW - timedelta(hours=i * 5)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "isVerified": i % 2 == 0,
        "status": "active",
    }
    if i == 2:
        item["companyReply"] = {"text": "Merci beaucoup !", "createdAt": "2026-11-23T11:00:00Z"}
    return item


def platform(script: Script) -> list[Route]:
    async def reviews(request: Request) -> Response:
        script.seen.append(request)
        assert request.url.path == f"/v1/business-units/{UNIT}/reviews"
        page = int(request.query_params.get("page", "1"))
        per_page = int(request.query_params["perPage"])
        fault = script.next_fault(page)
        if fault is not None:
            return fault
        if request.headers.get("apikey") != API_KEY:
            return JSONResponse({"message": "Unauthorized"}, status_code=401)
        start = (page - 1) * per_page
        items = [review_json(i) for i in range(start, min(start + per_page, len(REVIEWS)))]
        links = [{"href": str(request.url), "method": "GET", "rel": "self"}]
        if start + per_page < len(REVIEWS):
            links.append({"href": str(request.url.include_query_params(page=page + 1)), "method": "GET", "rel": "next-page"})
        return JSONResponse({"reviews": items, "links": links})

    return [Route("/v1/business-units/{unit}/reviews", reviews)]


def connector(base_url: str, client, *, api_key: str = API_KEY, per_page: int = 3) -> TrustpilotConnector:
    config = TrustpilotConfig(business_unit_id=UNIT, api_key=api_key, per_page=per_page, base_url=base_url)
    return TrustpilotConnector(config, client=client, retry=FAST_RETRY)


async def test_reads_every_page_through_a_429_and_a_500_and_maps_fields(client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    script = Script()
    script.fail(2, Response(status_code=429, headers={"Retry-After": "1"}))
    script.fail(3, Response("upstream down", status_code=500), Response(status_code=503))
    async with serve(platform(script)) as base_url:
        started = time.monotonic()
        pages = [p async for p in sync(connector(base_url, client), None, NOW - timedelta(days=30))]
        elapsed = time.monotonic() - started

    assert [len(p.reviews) for p in pages] == [3, 3, 1]
    assert pages[-1].next_cursor is None
    assert elapsed >= 1.0, "Retry-After: 1 was not honoured"
    assert [r.query_params["page"] for r in script.seen] == ["1", "2", "2", "3", "3", "3"]
    assert all(r.query_params["orderBy"] == "createdat.desc" for r in script.seen)

    reviews = [r for p in pages for r in p.reviews]
    assert [r.external_id for r in reviews] == [f"tp{i:03d}" for i in range(7)]
    assert [r.language for r in reviews] == [lang for lang, *_ in REVIEWS]
    first, replied = reviews[0], reviews[2]
    assert (first.platform, first.marketplace, first.store_id, first.product_id) == ("trustpilot", "trustpilot.com", UNIT, UNIT)
    assert (first.rating, first.title, first.reviewer.id, first.reviewer.name) == (1, "Lieferung nie angekommen", "c0", "Kunde 0")
    assert first.body.startswith("Bestellt am Montag")
    assert first.posted_at.ToDatetime(tzinfo=timezone.utc) == NOW
    assert first.verified_purchase and not reviews[1].verified_purchase
    assert (first.reply_state, replied.reply_state) == ("none", "replied")
    assert reviews[4].title == "质量太差"

    assert any("retrying" in r.getMessage() for r in caplog.records), "retries should be logged"
    assert secret_in_logs(caplog, API_KEY) == []


async def test_stops_at_reviews_older_than_since(client) -> None:
    script = Script()
    async with serve(platform(script)) as base_url:
        pages = [p async for p in sync(connector(base_url, client), None, NOW - timedelta(hours=7))]
    assert [r.external_id for p in pages for r in p.reviews] == ["tp000", "tp001"]
    assert len(script.seen) == 1 and pages[0].next_cursor is None


async def test_max_pages_leaves_a_resumable_json_cursor(client) -> None:
    async with serve(platform(Script())) as base_url:
        tp = connector(base_url, client)
        first = [p async for p in sync(tp, None, NOW - timedelta(days=30), max_pages=1)]
        assert first[-1].next_cursor == {"page": 2}
        rest = [p async for p in sync(tp, first[-1].next_cursor, NOW - timedelta(days=30))]
    assert [r.external_id for p in rest for r in p.reviews] == [f"tp{i:03d}" for i in range(3, 7)]


async def test_rejected_key_is_a_clear_permanent_error_without_the_key(client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "tp-wrong-key-000111222"
    script = Script()
    async with serve(platform(script)) as base_url:
        with pytest.raises(CredentialsRejected) as raised:
            await connector(base_url, client, api_key=wrong).fetch_page(None, since=NOW - timedelta(days=1))
    message = str(raised.value)
    assert "rejected the credentials (HTTP 401)" in message and "trustpilot" in message
    assert raised.value.permanent and raised.value.status == 401
    assert wrong not in message and len(script.seen) == 1, "a 401 must not be retried"
    assert secret_in_logs(caplog, wrong) == []


async def test_gives_up_after_the_retry_budget(client) -> None:
    script = Script(always=Response(status_code=502))
    async with serve(platform(script)) as base_url:
        with pytest.raises(SourceUnavailable, match="still failing after 4 tries"):
            await connector(base_url, client).fetch_page(None, since=NOW - timedelta(days=1))
    assert len(script.seen) == FAST_RETRY.attempts


async def test_a_400_is_refused_without_retry(client, caplog) -> None:
    script = Script(always=JSONResponse({"message": "perPage must be at most 100"}, status_code=400))
    async with serve(platform(script)) as base_url:
        with pytest.raises(RequestRejected, match="HTTP 400") as refused:
            await connector(base_url, client).fetch_page(None, since=NOW - timedelta(days=1))
    assert len(script.seen) == 1
    # NOTE: the error becomes the source's stored last_error: the status, not the platform's body,
    # which only the log shows.
    assert "perPage must be" not in refused.value.message
    assert any("perPage must be at most 100" in r.getMessage() for r in caplog.records)


async def test_connection_refused_is_retried_then_unavailable(client) -> None:
    from libs.embedded import free_port

    tp = connector(f"http://127.0.0.1:{free_port()}", client)
    with pytest.raises(SourceUnavailable, match="ConnectError"):
        await tp.fetch_page(None, since=NOW - timedelta(days=1))
