"""The retry layer every receiver shares: classification, backoff, logging, never raising."""

from __future__ import annotations

import logging
from email.utils import formatdate

import pytest

from services.alerting.receivers import DeliveryStatus, RetryPolicy, build_receiver, parse_receiver_config
from services.alerting.receivers.base import Attempt, Receiver, TransientError, redact_url, retry_after_seconds
from libs.embedded import free_port
from libs.outbound import OutboundPolicy, outbound_client
from tests.services.alerting.receivers.fakes import TINY_RETRY, assert_no_secrets, make_notification


class Flaky(Receiver):
    """Fails as scripted, then delivers."""

    kind = "flaky"

    def __init__(self, outcomes: list[Exception], **kwargs) -> None:
        super().__init__(name="flaky", target="test://", secrets=["hunter2-secret"], **kwargs)
        self.outcomes = outcomes

    async def _send_once(self, attempt: Attempt) -> None:
        if self.outcomes:
            raise self.outcomes.pop(0)


async def test_connection_refused_is_transient_and_retried_with_growing_backoff(sleeps, logs) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/services/T/B/refusedSECRETtoken"
    policy = {"max_attempts": 4, "initial_delay_s": 0.5, "max_delay_s": 1.5, "jitter_s": 0}
    config = parse_receiver_config({"kind": "slack", "name": "s", "webhook_url": url, "retry": policy})
    async with outbound_client(OutboundPolicy([f"127.0.0.1:{port}"])) as http:
        receiver = build_receiver(config, http=http, sleep=sleeps)
        result = await receiver.send(make_notification())

    assert result.status is DeliveryStatus.TRANSIENT_FAILURE and result.attempts == 4
    assert "ConnectError" in result.error
    assert sleeps.waits == [0.5, 1.0, 1.5]
    attempts = [r for r in logs.records if "failed on attempt" in r.getMessage()]
    assert [r.fields["attempt"] for r in attempts] == [1, 2, 3, 4]
    assert [r.fields["will_retry"] for r in attempts] == [True, True, True, False]
    assert all(r.levelno == logging.WARNING and r.fields["target"] == redact_url(url) for r in attempts)
    assert redact_url(url).endswith("/***")
    assert_no_secrets(logs, "refusedSECRETtoken")


async def test_a_bug_in_a_receiver_is_a_permanent_failure_not_an_exception(sleeps, logs) -> None:
    receiver = Flaky([KeyError("hunter2-secret")], retry=RetryPolicy(**TINY_RETRY), sleep=sleeps)

    result = await receiver.send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and result.attempts == 1
    assert "unexpected KeyError" in result.error and "hunter2-secret" not in result.error
    assert any(r.levelno == logging.ERROR for r in logs.records)
    assert_no_secrets(logs, "hunter2-secret")


async def test_error_text_from_a_server_is_scrubbed_of_secrets(sleeps, logs) -> None:
    echoes = [TransientError("echoed hunter2-secret back"), TransientError("again hunter2%2Dsecret")]
    receiver = Flaky(echoes, retry=RetryPolicy(**TINY_RETRY), sleep=sleeps)

    result = await receiver.send(make_notification())

    assert result.ok and result.attempts == 3
    assert_no_secrets(logs, "hunter2-secret")


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds(formatdate(1_800_000_030, usegmt=True), now=1_800_000_000) == 30.0
    assert retry_after_seconds("yesterday") is None and retry_after_seconds(None) is None
    assert retry_after_seconds("-5") == 0.0 and retry_after_seconds("inf") is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", "https://qyapi.weixin.qq.com/***"),
        ("https://hooks.slack.com/services/T/B/xyz", "https://hooks.slack.com/***"),
        ("http://user:pw@127.0.0.1:8080/x", "http://127.0.0.1:8080/***"),
    ],
)
def test_redact_url_keeps_only_the_host(url, shown) -> None:
    assert redact_url(url) == shown


async def test_a_destination_the_outbound_policy_refuses_fails_for_good_without_retrying(sleeps) -> None:
    url = "http://169.254.169.254/latest/meta-data/?token=SECRETtoken"
    config = parse_receiver_config({"kind": "webhook", "name": "w", "url": url, "secret": "s" * 20})
    async with outbound_client(OutboundPolicy()) as http:
        result = await build_receiver(config, http=http, sleep=sleeps).send(make_notification())
    assert result.status is DeliveryStatus.PERMANENT_FAILURE and result.attempts == 1 and sleeps.waits == []
    assert "outbound policy" in result.reason and "link-local" in result.reason and "SECRETtoken" not in result.reason
