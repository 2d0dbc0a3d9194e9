"""Slack incoming webhook: Block Kit payload, answers, retries."""

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
)

TOKEN = "xoxsecretWEBHOOKtoken0123456789"
PATH = f"/services/T0RG0001/B0RG0002/{TOKEN}"
OK = PlainTextResponse("ok")


def slack_protocol(request: Recorded) -> PlainTextResponse | None:
    """Slack's side: the right webhook path and a Block Kit body, else Slack's own errors."""
    if request.method != "POST" or request.path != PATH:
        return PlainTextResponse("no_service", status_code=404)
    if not request.headers.get("content-type", "").startswith("application/json"):
        return PlainTextResponse("invalid_payload", status_code=400)
    body = request.json()
    types = [b["type"] for b in body.get("blocks", [])]
    if not body.get("text") or types[:3] != ["header", "section", "context"]:
        return PlainTextResponse("invalid_blocks", status_code=400)
    return None


def receiver(server: FakeServer, http: httpx.AsyncClient, sleeps: Sleeps, **extra):
    config = parse_receiver_config(
        {"kind": "slack", "name": "slack-risk", "webhook_url": server.url + PATH, "retry": TINY_RETRY, **extra}
    )
    return build_receiver(config, http=http, sleep=sleeps)


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_posts_block_kit_with_fields_context_and_link_button(server, http, sleeps, logs, language) -> None:
    server.expect(slack_protocol, default=OK)

    result = await receiver(server, http, sleeps).send(make_notification(language=language))

    assert result.ok and result.attempts == 1 and result.kind == "slack"
    body = server.requests[0].json()
    header, section, context, actions = body["blocks"]
    assert header["text"]["type"] == "plain_text"
    assert EXPECTED[language][0] in header["text"]["text"] and "B0KETTLE01" in header["text"]["text"]
    fields = "\n".join(f["text"] for f in section["fields"])
    for expected in EXPECTED[language][:2]:
        assert expected in fields
    for reason in EXPECTED[language][2:]:
        assert reason in section["text"]["text"]
    assert context["elements"][0]["text"].startswith("Alert" if language == "en" else "预警")
    assert actions["elements"][0]["url"] == "https://app.example.com/cases/c-42"
    assert actions["elements"][0]["style"] == "danger"
    assert_no_secrets(logs, TOKEN)


async def test_without_a_link_there_is_no_button_and_receiver_language_wins(server, http, sleeps) -> None:
    server.expect(slack_protocol, default=OK)

    result = await receiver(server, http, sleeps, language="zh").send(make_notification(language="en", link=None))

    assert result.ok
    blocks = server.requests[0].json()["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section", "context"]
    assert "严重" in blocks[0]["text"]["text"]


async def test_review_text_cannot_inject_slack_links_or_mentions(server, http, sleeps) -> None:
    server.expect(slack_protocol, default=OK)
    notification = make_notification()
    notification = type(notification)(**{**notification.__dict__, "reasons": ("risk term '<!channel> <http://evil|x>' (fraud)",)})

    await receiver(server, http, sleeps).send(notification)

    text = server.requests[0].json()["blocks"][1]["text"]["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


async def test_a_500_is_retried_with_backoff_until_it_succeeds(server, http, sleeps, logs) -> None:
    server.expect(slack_protocol, PlainTextResponse("rollup_error", status_code=500), default=OK)

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.status is DeliveryStatus.OK and result.attempts == 2
    assert len(server.requests) == 2 and len(sleeps.waits) == 1
    messages = [r.getMessage() for r in logs.records]
    assert any("failed on attempt 1 (will retry)" in m and "HTTP 500" in m for m in messages)
    assert any("delivered" in m and "attempt 2" in m for m in messages)
    assert_no_secrets(logs, TOKEN)


async def test_a_429_waits_as_long_as_retry_after_says(server, http, sleeps) -> None:
    limited = PlainTextResponse("rate_limited", status_code=429, headers={"Retry-After": "7"})
    server.expect(slack_protocol, limited, default=OK)

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.ok and result.attempts == 2
    assert sleeps.waits == [7.0]


async def test_a_retry_after_beyond_the_policy_hands_the_alert_back_at_once(server, http, sleeps) -> None:
    server.expect(slack_protocol, default=PlainTextResponse("rate_limited", status_code=429, headers={"Retry-After": "3600"}))

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.status is DeliveryStatus.TRANSIENT_FAILURE
    assert result.attempts == 1 and result.retry_after == 3600.0 and sleeps.waits == []


async def test_a_400_is_permanent_and_not_retried(server, http, sleeps, logs) -> None:
    server.expect(slack_protocol, default=PlainTextResponse("invalid_payload", status_code=400))

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE
    assert result.attempts == 1 and len(server.requests) == 1
    assert "HTTP 400" in result.error and "invalid_payload" in result.error and TOKEN not in result.error
    assert any("giving up" in r.getMessage() for r in logs.records)
    assert_no_secrets(logs, TOKEN)


async def test_a_receiver_that_stays_down_returns_a_transient_failure(server, http, sleeps) -> None:
    server.expect(slack_protocol, default=PlainTextResponse("down", status_code=503))

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.status is DeliveryStatus.TRANSIENT_FAILURE and not result.ok
    assert result.attempts == TINY_RETRY["max_attempts"] == len(server.requests)
    assert "HTTP 503" in result.error
