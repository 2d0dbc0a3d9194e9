"""DingTalk custom robot: signing, markdown message, errcode answers, retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

import httpx
import pytest
from starlette.responses import PlainTextResponse

from services.alerting.receivers import DeliveryStatus, build_receiver, parse_receiver_config
from services.alerting.receivers.dingtalk import DingTalkConfig, DingTalkReceiver, sign
from tests.services.alerting.receivers.fakes import (
    EXPECTED,
    TINY_RETRY,
    FakeServer,
    Recorded,
    Sleeps,
    assert_no_secrets,
    make_notification,
    ok_json,
)

ACCESS_TOKEN = "a1b2c3accessTOKENd4e5f6"
SECRET = "SECf1e2d3c4b5a6978877665544332211secretvalue"
OK = ok_json({"errcode": 0, "errmsg": "ok"})


def dingtalk_protocol(request: Recorded):
    """DingTalk's side: token, fresh timestamp, signature recomputed here from the secret."""
    if request.path != "/robot/send" or request.query.get("access_token") != ACCESS_TOKEN:
        return ok_json({"errcode": 300001, "errmsg": "token is not exist"})
    timestamp = request.query.get("timestamp", "")
    if not timestamp.isdigit() or abs(int(timestamp) - time.time() * 1000) > 3600_000:
        return ok_json({"errcode": 310000, "errmsg": "sign not match"})
    string_to_sign = f"{timestamp}\n{SECRET}".encode()
    expected = base64.b64encode(hmac.new(SECRET.encode(), string_to_sign, hashlib.sha256).digest()).decode()
    # Starlette has already URL-decoded the query value, as DingTalk does.
    if not hmac.compare_digest(request.query.get("sign", ""), expected):
        return ok_json({"errcode": 310000, "errmsg": "sign not match"})
    body = request.json()
    if body.get("msgtype") != "markdown" or not body["markdown"].get("title") or not body["markdown"].get("text"):
        return ok_json({"errcode": 40035, "errmsg": "invalid parameter"})
    return None


def receiver(server: FakeServer, http: httpx.AsyncClient, sleeps: Sleeps, *, secret: str = SECRET, **extra):
    config = parse_receiver_config({
        "kind": "dingtalk",
        "name": "dingtalk-brand",
        "webhook_url": f"{server.url}/robot/send?access_token={ACCESS_TOKEN}",
        "secret": secret,
        "retry": TINY_RETRY,
        **extra,
    })
    return build_receiver(config, http=http, sleep=sleeps)


async def test_the_signature_is_url_encoded_into_the_query(http) -> None:
    config = DingTalkConfig(name="d", webhook_url="https://oapi.dingtalk.com/robot/send?access_token=t0k", secret=SECRET)
    # NOTE: find a moment whose signature has the characters URL encoding must protect.
    moment = next(ms for ms in range(1_700_000_000_000, 1_700_000_001_000) if "+" in sign(SECRET, ms) and "/" in sign(SECRET, ms))
    receiver_ = DingTalkReceiver(config, http=http, clock=lambda: moment / 1000)

    url = receiver_.signed_url()

    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{moment}\n{SECRET}".encode(), hashlib.sha256).digest()).decode()
    assert url == f"https://oapi.dingtalk.com/robot/send?access_token=t0k&timestamp={moment}&sign={quote_plus(expected)}"
    assert "%2B" in url and "%2F" in url


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_sends_a_signed_markdown_message(server, http, sleeps, logs, language) -> None:
    server.expect(dingtalk_protocol, default=OK)

    result = await receiver(server, http, sleeps, at_mobiles=["13800138000"]).send(make_notification(language=language))

    assert result.ok and result.attempts == 1
    body = server.requests[0].json()
    for expected in EXPECTED[language]:
        assert expected in body["markdown"]["text"]
    assert EXPECTED[language][0] in body["markdown"]["title"]
    assert body["at"] == {"atMobiles": ["13800138000"], "isAtAll": False}
    assert "@13800138000" in body["markdown"]["text"]
    assert_no_secrets(logs, SECRET, ACCESS_TOKEN)


async def test_a_wrong_secret_is_a_permanent_errcode_failure(server, http, sleeps, logs) -> None:
    server.expect(dingtalk_protocol, default=OK)

    result = await receiver(server, http, sleeps, secret="SECwrongwrongwrong").send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and result.attempts == 1
    assert "errcode 310000" in result.error
    assert_no_secrets(logs, "SECwrongwrongwrong", ACCESS_TOKEN)


async def test_send_too_fast_is_retried_and_re_signed(server, http, sleeps) -> None:
    server.expect(dingtalk_protocol, ok_json({"errcode": 130101, "errmsg": "send too fast"}), default=OK)

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.ok and result.attempts == 2
    assert all("sign" in r.query for r in server.requests)


async def test_500_then_success_and_429_retry_after(server, http, sleeps) -> None:
    server.expect(
        dingtalk_protocol,
        PlainTextResponse("oops", status_code=500),
        PlainTextResponse("slow", status_code=429, headers={"Retry-After": "1"}),
        default=OK,
    )

    result = await receiver(server, http, sleeps, retry={**TINY_RETRY, "max_attempts": 4}).send(make_notification())

    assert result.ok and result.attempts == 3 and sleeps.waits[1] == 1.0


async def test_400_is_not_retried(server, http, sleeps) -> None:
    server.expect(dingtalk_protocol, default=PlainTextResponse("bad", status_code=400))

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and len(server.requests) == 1
