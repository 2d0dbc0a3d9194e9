"""Judge.me connector against a local server answering in the Judge.me REST API's format."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.ingest.connectors import CredentialsRejected, ReplyTarget, RequestRejected, sync
from services.ingest.connectors.judgeme import JudgeMeConfig, JudgeMeConnector
from tests.services.ingest.connectors.conftest import FAST_RETRY, Script, secret_in_logs, serve

TOKEN = "jm_private_Zx81kQ2wLp0vRt7n"
SHOP = "acme-kettles.myshopify.com"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)

# Written for these tests, newest first.
REVIEWS = [
    (1, "Undicht nach einer Woche", "Der Deckel schließt nicht mehr richtig und Wasser läuft am Boden aus.", "buyer"),
    (5, "Love it", "Boils fast and looks great on the counter. Very happy with it.", "buyer"),
    (2, "Couvercle fragile", "Le couvercle s'est fissuré au bout de dix jours d'utilisation.", "nothing"),
    (4, "使いやすい", "お湯がすぐに沸きます。デザインも気に入っています。", "email"),
    (1, "漏水", "用了一周底座就开始漏水，非常失望。", "buyer"),
]


def review_json(i: int) -> dict:
    rating, title, body, verified = REVIEWS[i]
    created = NOW - timedelta(days=i * 3)
    return {
        "id": 309836500 + i,
        "title": title,
        "body": body,
        "rating": rating,
        "product_external_id": 5280573096092 + (i % 2),
        "product_handle": "glass-kettle",
        "reviewer": {"id": 194677600 + i, "external_id": None, "email": f"buyer{i}@example.com", "name": f"Käufer {i}"},
        "source": "web",
        "curated": "ok",
        "published": True,
        "hidden": False,
        "verified": verified,
        "featured": False,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "updated_at": created.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "pictures": [
            {"urls": {"original": f"https://judgeme.imgix.net/acme/{i}.jpg", "small": "s", "compact": "c", "huge": "h"}, "hidden": False},
            {"urls": {"original": f"https://judgeme.imgix.net/acme/{i}-hidden.jpg"}, "hidden": True},
        ] if i == 0 else [],
    }


def platform(script: Script) -> list[Route]:
    async def reviews(request: Request) -> Response:
        script.seen.append(request)
        page = int(request.query_params.get("page", "1"))
        per_page = int(request.query_params.get("per_page", "10"))
        fault = script.next_fault(page)
        if fault is not None:
            return fault
        if request.query_params.get("api_token") != TOKEN or request.query_params.get("shop_domain") != SHOP:
            return JSONResponse({"error": "Unauthorized: invalid api_token or shop_domain"}, status_code=401)
        start = (page - 1) * per_page
        items = [review_json(i) for i in range(start, min(start + per_page, len(REVIEWS)))]
        return JSONResponse({"current_page": page, "per_page": per_page, "reviews": items})

    return [Route("/api/v1/reviews", reviews)]


def connector(base_url: str, client, *, token: str = TOKEN, per_page: int = 2) -> JudgeMeConnector:
    config = JudgeMeConfig(shop_domain=SHOP, api_token=token, marketplace="DE", per_page=per_page, base_url=base_url)
    return JudgeMeConnector(config, client=client, retry=FAST_RETRY)


async def test_reads_every_page_through_a_429_and_a_500_and_maps_fields(client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    script = Script()
    script.fail(1, Response(status_code=429, headers={"Retry-After": "1"}))
    script.fail(2, Response(status_code=500))
    async with serve(platform(script)) as base_url:
        started = time.monotonic()
        pages = [p async for p in sync(connector(base_url, client), None, NOW - timedelta(days=365))]
        elapsed = time.monotonic() - started

    assert [len(p.reviews) for p in pages] == [2, 2, 1]
    assert elapsed >= 1.0
    assert [r.query_params["page"] for r in script.seen] == ["1", "1", "2", "2", "3"]
    reviews = [r for p in pages for r in p.reviews]
    first = reviews[0]
    assert [r.external_id for r in reviews] == [f"judgeme:{309836500 + i}" for i in range(5)]
    assert (first.platform, first.marketplace, first.store_id, first.product_id) == ("shopify", "DE", SHOP, "5280573096092")
    assert (first.rating, first.title, first.reviewer.name, first.reviewer.id) == (1, "Undicht nach einer Woche", "Käufer 0", "194677600")
    assert list(first.media_urls) == ["https://judgeme.imgix.net/acme/0.jpg"], "hidden pictures are left out"
    assert [r.verified_purchase for r in reviews] == [True, True, False, False, True]
    assert reviews[3].body.startswith("お湯") and reviews[4].title == "漏水"
    assert reviews[2].posted_at.ToDatetime(tzinfo=timezone.utc) == NOW - timedelta(days=6)
    assert secret_in_logs(caplog, TOKEN) == [], "the token rides in the query string and must be redacted"


async def test_stops_when_a_whole_page_is_older_than_since(client) -> None:
    script = Script()
    async with serve(platform(script)) as base_url:
        pages = [p async for p in sync(connector(base_url, client), None, NOW - timedelta(days=4))]
    assert [r.external_id for p in pages for r in p.reviews] == ["judgeme:309836500", "judgeme:309836501"]
    assert len(script.seen) == 2 and pages[-1].next_cursor is None


async def test_unauthorised_token_is_a_clear_error_that_never_shows_the_token(client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "jm_private_WRONG_1234567"
    async with serve(platform(Script())) as base_url:
        with pytest.raises(CredentialsRejected) as raised:
            await connector(base_url, client, token=wrong).fetch_page(None, since=NOW - timedelta(days=1))
    message = str(raised.value)
    assert "judgeme: the platform rejected the credentials (HTTP 401)" in message
    assert "api_token=***" in message and wrong not in message
    assert secret_in_logs(caplog, wrong) == []


# --- Replies (write_replies, write_private_replies) --------------------------------------------------


def replying_platform(shown: dict[int, str], emails: list[dict], script: Script) -> list[Route]:
    """Judge.me's public and private replies and a review read back, for review 4711 only."""

    def authorised(request: Request) -> bool:
        return request.query_params.get("api_token") == TOKEN and request.query_params.get("shop_domain") == SHOP

    async def replies(request: Request) -> Response:
        script.seen.append(request)
        if (fault := script.next_fault(1)) is not None:
            return fault
        if not authorised(request):
            return JSONResponse({"error": "invalid token"}, status_code=401)
        body = await request.json()
        if body.get("review_id") != 4711:
            return JSONResponse({"error": "review not found"}, status_code=404)
        if request.url.path.endswith("/private_replies"):
            emails.append(body["private_reply"])
        else:
            shown[4711] = body["reply"]["content"]
        return JSONResponse({"review": {"id": 4711}}, status_code=201)

    async def review(request: Request) -> Response:
        if not authorised(request):
            return JSONResponse({"error": "invalid token"}, status_code=401)
        return JSONResponse({"review": {"id": 4711, "rating": 1, "reply": shown.get(4711)}})

    return [
        Route("/api/v1/replies", replies, methods=["POST"]),
        Route("/api/v1/private_replies", replies, methods=["POST"]),
        Route("/api/v1/reviews/{review}", review, methods=["GET"]),
    ]


TARGET = ReplyTarget(external_id="judgeme:4711", product_id="7712345", reviewer_id="881")


async def test_a_public_reply_is_shown_replaced_and_read_back_through_a_429(client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    shown: dict[int, str] = {}
    script = Script()
    script.fail(1, Response(status_code=429, headers={"Retry-After": "1"}))
    async with serve(replying_platform(shown, [], script)) as base_url:
        judgeme = connector(base_url, client)
        assert await judgeme.current_reply(TARGET) is None
        assert (await judgeme.publish_reply(TARGET, text="Sorry! A new kettle is on its way.")).platform_reply_id == "judgeme:4711"
        await judgeme.publish_reply(TARGET, text="Your refund was sent today.")
        assert shown == {4711: "Your refund was sent today."} and len(script.seen) == 3
        assert await judgeme.current_reply(TARGET) == "Your refund was sent today."
        with pytest.raises(RequestRejected, match="cannot withdraw"):
            await judgeme.delete_reply(TARGET)
        with pytest.raises(RequestRejected, match="not a Judge.me review id"):
            await judgeme.publish_reply(ReplyTarget(external_id="judgeme:../webhooks"), text="x")
    assert secret_in_logs(caplog, TOKEN) == []


async def test_a_private_reply_is_emailed_never_shown_and_never_guessed_at(client) -> None:
    shown: dict[int, str] = {}
    emails: list[dict] = []
    async with serve(replying_platform(shown, emails, Script())) as base_url:
        judgeme = connector(base_url, client)
        await judgeme.publish_reply(TARGET, text="Could you send us a photo of the crack?", private=True)
        assert emails == [{"email_subject": "About your review", "email_body": "Could you send us a photo of the crack?"}] and shown == {}
        # An email cannot be read back: a retry after a crash goes to a person instead of a second email.
        with pytest.raises(RequestRejected, match="may have been emailed"):
            await judgeme.current_reply(TARGET, private=True)
        with pytest.raises(CredentialsRejected):
            await connector(base_url, client, token="jm_revoked").publish_reply(TARGET, text="Hello", private=True)
    assert len(emails) == 1
