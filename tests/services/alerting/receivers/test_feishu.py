"""Feishu / Lark custom bot: signing in the body, interactive card, code answers, retries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
import pytest
from starlette.responses import PlainTextResponse

from services.alerting.receivers import DeliveryStatus, build_receiver, parse_receiver_config
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

HOOK = "0d2b1c9e-feishu-HOOK-token-7f3a"
SECRET = "feishuSIGNINGsecret8842"
OK = ok_json({"code": 0, "msg": "success", "data": {}})


def feishu_protocol(request: Recorded):
    """Feishu's side: hook token, fresh timestamp, signature recomputed here, a card."""
    if request.path != f"/open-apis/bot/v2/hook/{HOOK}":
        return ok_json({"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}, status=400)
    body = request.json()
    timestamp = body.get("timestamp", "")
    if not isinstance(timestamp, str) or not timestamp.isdigit() or abs(int(timestamp) - time.time()) > 3600:
        return ok_json({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})
    key = f"{timestamp}\n{SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(body.get("sign", ""), expected):
        return ok_json({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})
    card = body.get("card", {})
    if body.get("msg_type") != "interactive" or "header" not in card or not card.get("elements"):
        return ok_json({"code": 9499, "msg": "Bad Request"}, status=400)
    return None


def receiver(server: FakeServer, http: httpx.AsyncClient, sleeps: Sleeps, *, secret: str = SECRET):
    config = parse_receiver_config({
        "kind": "feishu",
        "name": "feishu-cs",
        "webhook_url": f"{server.url}/open-apis/bot/v2/hook/{HOOK}",
        "secret": secret,
        "retry": TINY_RETRY,
    })
    return build_receiver(config, http=http, sleep=sleeps)


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_sends_a_signed_card(server, http, sleeps, logs, language) -> None:
    server.expect(feishu_protocol, default=OK)

    result = await receiver(server, http, sleeps).send(make_notification(language=language))

    assert result.ok and result.attempts == 1
    card = server.requests[0].json()["card"]
    assert card["header"]["template"] == "red"
    assert EXPECTED[language][0] in card["header"]["title"]["content"]
    text = json.dumps(card, ensure_ascii=False)
    for expected in EXPECTED[language]:
        assert expected in text
    button = next(e for e in card["elements"] if e["tag"] == "action")["actions"][0]
    assert button["url"] == "https://app.example.com/cases/c-42"
    assert_no_secrets(logs, SECRET, HOOK)


async def test_a_bad_signature_code_is_permanent(server, http, sleeps, logs) -> None:
    server.expect(feishu_protocol, default=OK)

    result = await receiver(server, http, sleeps, secret="not-the-secret-123").send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and result.attempts == 1
    assert "code 19021" in result.error
    assert_no_secrets(logs, "not-the-secret-123", HOOK)


async def test_frequency_limit_then_500_then_success(server, http, sleeps) -> None:
    server.expect(
        feishu_protocol,
        ok_json({"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"}),
        PlainTextResponse("internal", status_code=500),
        default=OK,
    )

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.ok and result.attempts == 3


async def test_429_honours_retry_after(server, http, sleeps) -> None:
    server.expect(feishu_protocol, PlainTextResponse("", status_code=429, headers={"Retry-After": "3"}), default=OK)

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.ok and sleeps.waits == [3.0]


async def test_400_with_an_error_code_is_not_retried(server, http, sleeps) -> None:
    server.expect(feishu_protocol, default=ok_json({"code": 9499, "msg": "Bad Request"}, status=400))

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and len(server.requests) == 1
    assert "code 9499" in result.error
