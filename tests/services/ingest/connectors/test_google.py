"""Google Business Profile connector against a local server speaking Google's OAuth 2.0 token
endpoint and the v4 accounts.locations.reviews API (list, updateReply, deleteReply)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.ingest.connectors import CredentialsRejected, RequestRejected, ReplyTarget, sync
from services.ingest.connectors.google import GoogleConfig, GoogleConnector
from services.ingest.connectors.pacing import Pacer
from tests.services.ingest.connectors.conftest import FAST_RETRY, Script, secret_in_logs, serve

ACCOUNT, LOCATION = "1029384756", "5647382910"
CLIENT_ID, CLIENT_SECRET, REFRESH = "gbp-client.apps.example", "gbp-secret-7d1e0c55", "1//refresh-9a8b7c6d5e"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
PARENT = f"accounts/{ACCOUNT}/locations/{LOCATION}"

# Written for these tests, most recently updated first as orderBy=updateTime desc returns them.
REVIEWS = [
    ("ONE", "Der Kaffee war kalt und die Bedienung unfreundlich."),
    ("FIVE", "(Translated by Google) Great service, fast delivery.\n\n(Original)\nService impeccable, livraison rapide."),
    ("THREE", "Good location, but the pickup counter was closed at 6pm."),
    ("STAR_RATING_UNSPECIFIED", ""),
    ("FOUR", "スタッフの対応がとても丁寧でした。"),
    ("TWO", "等了四十分钟才拿到订单。"),
    ("FIVE", "Schnell und freundlich, gerne wieder."),
]


def review_json(i: int) -> dict:
    stars, comment = REVIEWS[i]
    updated = NOW - timedelta(hours=i * 5)
    item = {
        "name": f"{PARENT}/reviews/g{i:03d}",
        "reviewId": f"g{i:03d}",
        "reviewer": {"displayName": f"Gast {i}", "profilePhotoUrl": "https://lh3.googleusercontent.com/a/x", "isAnonymous": i == 2},
        "starRating": stars,
        "comment": comment,
        "createTime": (updated - timedelta(days=1 if i == 0 else 0)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "updateTime": updated.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    if i == 4:
        item["reviewReply"] = {"comment": "ありがとうございます。", "updateTime": "2026-11-23T11:00:00Z"}
    return item


@dataclass
class Google:
    """The local Google: issued tokens, refused ones, replies held per review and every call seen."""

    script: Script = field(default_factory=Script)
    tokens: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    refresh_refused: bool = False
    replies: dict[str, str] = field(default_factory=dict)
    token_forms: list[dict] = field(default_factory=list)

    def authorised(self, request: Request) -> bool:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        return token in self.tokens and token not in self.revoked

    def routes(self) -> list[Route]:
        async def token(request: Request) -> Response:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            self.token_forms.append(form)
            good = (form.get("grant_type"), form.get("client_id"), form.get("client_secret"), form.get("refresh_token"))
            if self.refresh_refused or good != ("refresh_token", CLIENT_ID, CLIENT_SECRET, REFRESH):
                return JSONResponse({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, status_code=400)
            self.tokens.append(f"ya29.access-{len(self.tokens)}")
            return JSONResponse({"access_token": self.tokens[-1], "expires_in": 3599, "scope": "https://www.googleapis.com/auth/business.manage", "token_type": "Bearer"})

        def unauthenticated() -> Response:
            return JSONResponse({"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}, status_code=401)

        async def reviews(request: Request) -> Response:
            self.script.seen.append(request)
            assert request.url.path == f"/v4/{PARENT}/reviews"
            page = int(request.query_params.get("pageToken", "p1").removeprefix("p"))
            size = int(request.query_params["pageSize"])
            fault = self.script.next_fault(page)
            if fault is not None:
                return fault
            if not self.authorised(request):
                return unauthenticated()
            start = (page - 1) * size
            body = {"reviews": [review_json(i) for i in range(start, min(start + size, len(REVIEWS)))], "averageRating": 3.6, "totalReviewCount": len(REVIEWS)}
            if start + size < len(REVIEWS):
                body["nextPageToken"] = f"p{page + 1}"
            return JSONResponse(body)

        async def reply(request: Request) -> Response:
            self.script.seen.append(request)
            fault = self.script.next_fault(0)
            if fault is not None:
                return fault
            if not self.authorised(request):
                return unauthenticated()
            review = request.path_params["review"]
            if request.method == "DELETE":
                self.replies.pop(review, None)
                return JSONResponse({})
            comment = json.loads(await request.body())["comment"]
            self.replies[review] = comment
            return JSONResponse({"comment": comment, "updateTime": "2026-11-23T12:00:01Z"})

        return [
            Route("/token", token, methods=["POST"]),
            Route(f"/v4/{PARENT}/reviews", reviews),
            Route(f"/v4/{PARENT}/reviews/{{review}}/reply", reply, methods=["PUT", "DELETE"]),
        ]


def connector(base_url: str, client, *, page_size: int = 3, language: str = "") -> GoogleConnector:
    config = GoogleConfig(
        account_id=ACCOUNT, location_id=LOCATION, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH,
        page_size=page_size, language=language, base_url=base_url, token_url=f"{base_url}/token",
    )
    return GoogleConnector(config, client=client, retry=FAST_RETRY, pacer=Pacer(rate=1000, burst=10))


async def test_reads_every_page_through_a_429_and_a_500_and_maps_star_ratings(client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    google = Google()
    google.script.fail(2, JSONResponse({"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}, status_code=429, headers={"Retry-After": "1"}))
    google.script.fail(3, JSONResponse({"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}}, status_code=500))
    async with serve(google.routes()) as base_url:
        started = time.monotonic()
        pages = [p async for p in sync(connector(base_url, client, language="de"), None, NOW - timedelta(days=30))]
        elapsed = time.monotonic() - started

    assert [r.query_params.get("pageToken") for r in google.script.seen] == [None, "p2", "p2", "p3", "p3"]
    assert all(r.query_params["orderBy"] == "updateTime desc" for r in google.script.seen)
    assert elapsed >= 1.0, "Retry-After: 1 was not honoured"
    assert len(google.tokens) == 1, "one access token serves the whole run"
    assert pages[-1].next_cursor is None

    reviews = [r for p in pages for r in p.reviews]
    assert [r.external_id for r in reviews] == ["g000", "g001", "g002", "g004", "g005", "g006"]
    assert [r.rating for r in reviews] == [1, 5, 3, 4, 2, 5]
    skipped = [s for p in pages for s in p.skipped]
    assert [s.external_id for s in skipped] == ["g003"] and "ONE to FIVE" in skipped[0].reason
    first, translated, anonymous, replied = reviews[0], reviews[1], reviews[2], reviews[3]
    assert (first.platform, first.marketplace, first.store_id, first.product_id) == ("google", "google", LOCATION, LOCATION)
    assert (first.reviewer.name, first.language, first.reply_state) == ("Gast 0", "de", "none")
    assert first.posted_at.ToDatetime(tzinfo=timezone.utc) == NOW - timedelta(days=1), "posted is createTime, not updateTime"
    assert translated.body == "Service impeccable, livraison rapide.", "Google's translation is dropped, the original kept"
    assert anonymous.reviewer.name == ""
    assert (replied.body, replied.reply_state) == ("スタッフの対応がとても丁寧でした。", "replied")
    assert reviews[4].body == "等了四十分钟才拿到订单。"
    for secret in (CLIENT_SECRET, REFRESH, google.tokens[0]):
        assert secret_in_logs(caplog, secret) == []


async def test_stops_at_reviews_updated_before_since_and_resumes_from_a_json_cursor(client) -> None:
    google = Google()
    async with serve(google.routes()) as base_url:
        pages = [p async for p in sync(connector(base_url, client), None, NOW - timedelta(hours=7))]
        assert [r.external_id for p in pages for r in p.reviews] == ["g000", "g001"]
        assert len(google.script.seen) == 1 and pages[0].next_cursor is None

        gbp = connector(base_url, client)
        first = [p async for p in sync(gbp, None, NOW - timedelta(days=30), max_pages=1)]
        assert json.loads(json.dumps(first[-1].next_cursor)) == {"page_token": "p2"}
        rest = [p async for p in sync(gbp, first[-1].next_cursor, NOW - timedelta(days=30))]
    assert [r.external_id for p in rest for r in p.reviews] == ["g004", "g005", "g006"]


async def test_an_expired_access_token_is_refreshed_once(client) -> None:
    google = Google()
    async with serve(google.routes()) as base_url:
        gbp = connector(base_url, client)
        await gbp.fetch_page(None, since=NOW - timedelta(days=1))
        google.revoked.add(google.tokens[0])
        page = await gbp.fetch_page(None, since=NOW - timedelta(days=1))
    assert len(page.reviews) == 3 and len(google.tokens) == 2
    assert google.token_forms[-1] == {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH, "grant_type": "refresh_token"}


async def test_a_revoked_grant_is_a_permanent_error_naming_no_secret(client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    google = Google(refresh_refused=True)
    async with serve(google.routes()) as base_url:
        with pytest.raises(CredentialsRejected) as raised:
            await connector(base_url, client).fetch_page(None, since=NOW - timedelta(days=1))
    assert raised.value.permanent and "connect the Google account again" in raised.value.message
    assert len(google.token_forms) == 1, "an invalid_grant is not retried"
    assert google.script.seen == [], "no review call without a token"
    for secret in (CLIENT_SECRET, REFRESH):
        assert secret not in repr(raised.value) and secret_in_logs(caplog, secret) == []


async def test_update_reply_replaces_and_delete_reply_takes_down_through_a_503(client) -> None:
    google = Google()
    google.script.fail(0, JSONResponse({"error": {"code": 503, "message": "Backend Error", "status": "UNAVAILABLE"}}, status_code=503))
    async with serve(google.routes()) as base_url:
        gbp = connector(base_url, client)
        target = ReplyTarget(external_id="g000")
        first = await gbp.publish_reply(target, text="Das tut uns leid, wir melden uns.")
        await gbp.publish_reply(target, text="Das tut uns leid – der Kaffee geht aufs Haus.")
        assert google.replies == {"g000": "Das tut uns leid – der Kaffee geht aufs Haus."}, "a second update replaces, never adds"
        assert first.platform_reply_id == f"{PARENT}/reviews/g000"
        await gbp.delete_reply(target)
        assert google.replies == {}
        with pytest.raises(RequestRejected, match="public replies only"):
            await gbp.publish_reply(target, text="privat", private=True)
        with pytest.raises(RequestRejected, match="not a Google review id"):
            await gbp.publish_reply(ReplyTarget(external_id="../../other"), text="x")
    assert [r.method for r in google.script.seen] == ["PUT", "PUT", "PUT", "DELETE"]


async def test_settings_are_validated_field_by_field() -> None:
    from libs.errors import InvalidArgument
    from services.ingest.connectors.registry import parse_config

    good = {"account_id": ACCOUNT, "location_id": LOCATION, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH}
    assert parse_config("google", good).location_id == LOCATION
    for broken, name in [({**good, "location_id": "locations/1"}, "location_id"), ({k: v for k, v in good.items() if k != "refresh_token"}, "refresh_token"),
                         ({**good, "page_size": 51}, "page_size")]:
        with pytest.raises(InvalidArgument) as raised:
            parse_config("google", broken)
        assert [v.field for v in raised.value.violations] == [name]
        assert CLIENT_SECRET not in repr(raised.value)
