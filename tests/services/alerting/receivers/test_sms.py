"""SMS through a Twilio-compatible Messages API: basic auth, form body, error JSON, retries."""

from __future__ import annotations

import base64
from collections import Counter

import httpx
import pytest
from starlette.responses import JSONResponse, PlainTextResponse

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

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilioAUTHtoken9f8e7d6c5b4a"
INVALID = "+15005550001"  # the number Twilio's test credentials call invalid


def twilio_error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}
    return JSONResponse(body, status_code=status, headers=headers)


def created(request: Recorded) -> JSONResponse:
    form = request.form()
    resource = {"sid": "SM" + "0" * 32, "status": "queued", "to": form["To"], "from": form.get("From"), "body": form["Body"]}
    return JSONResponse(resource, status_code=201)


async def reply_created(request: Recorded) -> JSONResponse:
    return created(request)


def twilio_protocol(request: Recorded):
    """Twilio's side: path, basic auth with the account SID and token, form fields."""
    if request.path != f"/2010-04-01/Accounts/{SID}/Messages.json" or request.method != "POST":
        return twilio_error(404, 20404, "The requested resource was not found")
    expected_auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    if request.headers.get("authorization") != expected_auth:
        return twilio_error(401, 20003, "Authenticate")
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return twilio_error(400, 20001, "Unsupported content type")
    form = request.form()
    if not form.get("Body") or not (form.get("From") or form.get("MessagingServiceSid")):
        return twilio_error(400, 21602, "Message body is required.")
    if form.get("To") == INVALID:
        return twilio_error(400, 21211, f"The 'To' number {INVALID} is not a valid phone number.")
    return None


def receiver(
    server: FakeServer, http: httpx.AsyncClient, sleeps: Sleeps, *, token: str = TOKEN, to=("+8613800138000", "+4915112345678"), **extra
):
    config = parse_receiver_config({
        "kind": "sms", "name": "sms-oncall", "base_url": server.url, "account_sid": SID, "auth_token": token,
        "from_number": "+15005550006", "to": list(to), "retry": TINY_RETRY, **extra,
    })
    return build_receiver(config, http=http, sleep=sleeps)


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_texts_every_recipient(server, http, sleeps, logs, language) -> None:
    server.expect(twilio_protocol, default=reply_created)

    result = await receiver(server, http, sleeps).send(make_notification(language=language))

    assert result.ok and result.attempts == 1
    forms = [r.form() for r in server.requests]
    assert [f["To"] for f in forms] == ["+8613800138000", "+4915112345678"]
    for expected in EXPECTED[language]:
        assert expected in forms[0]["Body"]
    assert forms[0]["Body"].endswith("https://app.example.com/cases/c-42")
    assert_no_secrets(logs, TOKEN)


async def test_a_bad_token_is_permanent(server, http, sleeps, logs) -> None:
    server.expect(twilio_protocol, default=reply_created)

    result = await receiver(server, http, sleeps, token="not-the-token-xyz").send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and result.attempts == 1
    assert "HTTP 401 code 20003" in result.error
    assert_no_secrets(logs, "not-the-token-xyz")


async def test_an_invalid_number_fails_for_good_but_the_others_get_the_text(server, http, sleeps, logs) -> None:
    server.expect(twilio_protocol, default=reply_created)

    result = await receiver(server, http, sleeps, to=(INVALID, "+8613800138000")).send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and result.attempts == 1
    assert "code 21211" in result.error and "1 of 2 texted" in result.error
    assert INVALID not in result.error  # phone numbers are masked in errors and logs
    assert [r.form()["To"] for r in server.requests] == [INVALID, "+8613800138000"]
    assert_no_secrets(logs, TOKEN, INVALID)


async def test_a_retry_only_texts_who_has_not_got_it(server, http, sleeps) -> None:
    server.expect(twilio_protocol, reply_created, twilio_error(500, 20500, "Internal Server Error"), default=reply_created)

    result = await receiver(server, http, sleeps).send(make_notification())

    assert result.ok and result.attempts == 2
    assert Counter(r.form()["To"] for r in server.requests) == {"+8613800138000": 1, "+4915112345678": 2}


async def test_429_honours_retry_after(server, http, sleeps) -> None:
    server.expect(twilio_protocol, twilio_error(429, 20429, "Too Many Requests", {"Retry-After": "4"}), default=reply_created)

    result = await receiver(server, http, sleeps, to=("+8613800138000",)).send(make_notification())

    assert result.ok and sleeps.waits == [4.0]


async def test_400_is_not_retried(server, http, sleeps) -> None:
    server.expect(twilio_protocol, default=PlainTextResponse("bad", status_code=400))

    result = await receiver(server, http, sleeps, to=("+8613800138000",)).send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and len(server.requests) == 1


async def test_long_texts_are_cut(server, http, sleeps) -> None:
    server.expect(twilio_protocol, default=reply_created)

    await receiver(server, http, sleeps, to=("+8613800138000",), max_chars=70).send(make_notification(language="zh"))

    body = server.requests[0].form()["Body"]
    assert len(body) == 70 and body.endswith("…") and body.startswith("【ReviewGuard】严重")
