"""Generic signed JSON webhook, and the verification helper receivers use."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time

import httpx
import pytest
from starlette.responses import JSONResponse, PlainTextResponse, Response

from services.alerting.receivers import DeliveryStatus, build_receiver, parse_receiver_config, verify_signature
from services.alerting.receivers.webhook import compute_signature
from tests.services.alerting.receivers.fakes import (
    EXPECTED,
    TINY_RETRY,
    FakeServer,
    Recorded,
    Sleeps,
    assert_no_secrets,
    make_notification,
)

SECRET = "whsec_7dd0c1f8a2b94e6c9f1e"
PATH_TOKEN = "pathTOKEN55aa"
OK = JSONResponse({"received": True}, status_code=202)


def webhook_protocol(request: Recorded):
    """The receiving end: recomputes HMAC(secret, f"{ts}.{raw body}") itself and compares."""
    if request.path != f"/hooks/{PATH_TOKEN}" or request.method != "POST":
        return PlainTextResponse("not found", status_code=404)
    timestamp = request.headers.get("x-reviewguard-timestamp", "")
    signature = request.headers.get("x-reviewguard-signature", "")
    if not timestamp.isdigit() or abs(int(timestamp) - time.time()) > 300:
        return PlainTextResponse("stale", status_code=401)
    expected = "v1=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature, expected):
        return PlainTextResponse("bad signature", status_code=401)
    if request.headers.get("x-reviewguard-event") != "alert.fired" or not request.headers.get("x-reviewguard-delivery"):
        return PlainTextResponse("missing headers", status_code=400)
    return None


def receiver(server: FakeServer, http: httpx.AsyncClient, sleeps: Sleeps, *, secret: str = SECRET, **extra):
    config = parse_receiver_config({
        "kind": "webhook", "name": "erp-hook", "url": f"{server.url}/hooks/{PATH_TOKEN}",
        "secret": secret, "retry": TINY_RETRY, **extra,
    })
    return build_receiver(config, http=http, sleep=sleeps)


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_posts_signed_json_the_receiver_can_verify(server, http, sleeps, logs, language) -> None:
    server.expect(webhook_protocol, default=OK)

    result = await receiver(server, http, sleeps).send(make_notification(language=language))

    assert result.ok and result.attempts == 1
    request = server.requests[0]
    headers = request.headers
    assert verify_signature(SECRET, headers["x-reviewguard-timestamp"], request.body, headers["x-reviewguard-signature"])
    body = request.json()
    assert body["type"] == "alert.fired"
    assert body["alert"]["product_id"] == "B0KETTLE01" and body["alert"]["severity"] == "high"
    assert body["alert"]["reasons"] == ["rating 1", "risk term 'betrug' (fraud)"]
    assert body["message"]["language"] == language
    for expected in EXPECTED[language]:
        assert expected in body["message"]["text"]
    assert request.headers["x-reviewguard-delivery"] == body["alert"]["id"]
    assert_no_secrets(logs, SECRET, PATH_TOKEN)


async def test_a_wrong_secret_is_rejected_by_the_receiver_and_not_retried(server, http, sleeps, logs) -> None:
    server.expect(webhook_protocol, default=OK)

    result = await receiver(server, http, sleeps, secret="another-secret-0123456").send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and result.attempts == 1
    assert "HTTP 401" in result.error
    assert_no_secrets(logs, "another-secret-0123456", PATH_TOKEN)


async def test_every_retry_is_signed_anew_with_the_same_delivery_id(server, http, sleeps) -> None:
    limited = PlainTextResponse("", status_code=429, headers={"Retry-After": "1"})
    server.expect(webhook_protocol, PlainTextResponse("x", status_code=503), limited, default=OK)

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.ok and result.attempts == 3 and sleeps.waits[1] == 1.0
    assert len({r.headers["x-reviewguard-delivery"] for r in server.requests}) == 1


async def test_a_slow_receiver_times_out_and_is_retried(server, http, sleeps, logs) -> None:
    async def slow(_request: Recorded) -> Response:
        await asyncio.sleep(0.6)
        return OK

    server.expect(webhook_protocol, slow, default=OK)

    result = await receiver(server, http, sleeps, timeout_s=0.1).send(make_notification())

    assert result.ok and result.attempts == 2
    assert any("timed out" in r.getMessage() for r in logs.records)


async def test_redirects_and_4xx_are_permanent(server, http, sleeps) -> None:
    server.expect(webhook_protocol, default=Response(status_code=301, headers={"Location": "http://elsewhere/"}))

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and len(server.requests) == 1


class TestVerifySignature:
    body = json.dumps({"type": "alert.fired"}).encode()

    def test_accepts_a_fresh_matching_signature(self) -> None:
        signature = compute_signature(SECRET, 1_800_000_000, self.body)
        assert verify_signature(SECRET, "1800000000", self.body, signature, tolerance_s=300, now=1_800_000_100)
        assert verify_signature(SECRET, 1_800_000_000, self.body.decode(), signature, now=1_800_000_000)

    def test_rejects_tampering_wrong_secret_replay_and_garbage(self) -> None:
        signature = compute_signature(SECRET, 1_800_000_000, self.body)
        assert not verify_signature(SECRET, "1800000000", self.body + b" ", signature, now=1_800_000_000)
        assert not verify_signature("other-secret", "1800000000", self.body, signature, now=1_800_000_000)
        assert not verify_signature(SECRET, "1800000001", self.body, signature, now=1_800_000_000)
        assert not verify_signature(SECRET, "1800000000", self.body, signature, tolerance_s=300, now=1_800_000_301)
        assert not verify_signature(SECRET, "soon", self.body, signature, now=1_800_000_000)
        assert not verify_signature(SECRET, "1800000000", self.body, "", now=1_800_000_000)
        assert not verify_signature(SECRET, "1800000000", self.body, signature.removeprefix("v1="), now=1_800_000_000)



async def test_during_rotation_receivers_with_either_secret_verify(server, http, sleeps) -> None:
    server.expect(lambda request: None, default=OK)
    old = "old-secret-000000000"

    result = await receiver(server, http, sleeps, previous_secret=old).send(make_notification())

    assert result.ok
    request = server.requests[0]
    args = (request.headers["x-reviewguard-timestamp"], request.body, request.headers["x-reviewguard-signature"])
    assert verify_signature(SECRET, *args) and verify_signature(old, *args)
    assert not verify_signature("third-secret-0000000", *args)
