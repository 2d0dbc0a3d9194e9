"""WeCom group robot: markdown message, errcode answers, retries."""

from __future__ import annotations

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

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
OK = ok_json({"errcode": 0, "errmsg": "ok"})


def wecom_protocol(request: Recorded):
    """WeCom's side: errcode 93000 for a wrong key, 40008/44004 for a bad message."""
    if request.path != "/cgi-bin/webhook/send" or request.query.get("key") != KEY:
        return ok_json({"errcode": 93000, "errmsg": "invalid webhook url, hint: [x], from ip: 127.0.0.1"})
    body = request.json()
    if body.get("msgtype") != "markdown":
        return ok_json({"errcode": 40008, "errmsg": "invalid message type"})
    content = body.get("markdown", {}).get("content", "")
    if not content or len(content.encode()) > 4096:
        return ok_json({"errcode": 44004, "errmsg": "empty content or too long"})
    return None


def receiver(server: FakeServer, http: httpx.AsyncClient, sleeps: Sleeps, *, key: str = KEY, **extra):
    url = f"{server.url}/cgi-bin/webhook/send?key={key}"
    config = parse_receiver_config({"kind": "wecom", "name": "wecom-ops", "webhook_url": url, "retry": TINY_RETRY, **extra})
    return build_receiver(config, http=http, sleep=sleeps)


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_sends_markdown_with_severity_product_and_reasons(server, http, sleeps, logs, language) -> None:
    server.expect(wecom_protocol, default=OK)

    result = await receiver(server, http, sleeps, mention_userids=["zhangsan"]).send(make_notification(language=language))

    assert result.ok and result.attempts == 1
    content = server.requests[0].json()["markdown"]["content"]
    for expected in EXPECTED[language]:
        assert expected in content
    assert '<font color="warning">' in content and "<@zhangsan>" in content
    assert "(https://app.example.com/cases/c-42)" in content
    assert_no_secrets(logs, KEY)


async def test_an_errcode_failure_is_permanent_and_hides_the_key(server, http, sleeps, logs) -> None:
    server.expect(wecom_protocol, default=OK)

    result = await receiver(server, http, sleeps, key="wrong-key-0000").send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and result.attempts == 1
    assert "errcode 93000" in result.error and "wrong-key-0000" not in result.error
    assert_no_secrets(logs, "wrong-key-0000")


async def test_the_rate_limit_errcode_is_retried(server, http, sleeps) -> None:
    server.expect(wecom_protocol, ok_json({"errcode": 45009, "errmsg": "api freq out of limit"}), default=OK)

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.ok and result.attempts == 2


async def test_500_then_success(server, http, sleeps) -> None:
    server.expect(wecom_protocol, PlainTextResponse("busy", status_code=502), default=OK)

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.ok and result.attempts == 2 and len(sleeps.waits) == 1


async def test_429_honours_retry_after(server, http, sleeps) -> None:
    server.expect(wecom_protocol, PlainTextResponse("slow down", status_code=429, headers={"Retry-After": "2"}), default=OK)

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.ok and sleeps.waits == [2.0]


async def test_400_is_not_retried(server, http, sleeps) -> None:
    server.expect(wecom_protocol, default=PlainTextResponse("bad request", status_code=400))

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and len(server.requests) == 1


async def test_a_very_long_message_is_cut_to_the_robot_limit(server, http, sleeps) -> None:
    server.expect(wecom_protocol, default=OK)
    notification = make_notification(language="zh")
    notification = type(notification)(**{**notification.__dict__, "reasons": ("风险词很长" * 600,)})

    result = await receiver(server, http, sleeps).send(notification)

    assert result.ok
    assert len(server.requests[0].json()["markdown"]["content"].encode()) <= 4096
