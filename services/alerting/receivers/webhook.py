"""Generic JSON webhook, signed so the receiving end can check it came from ReviewGuard.

Request: `POST <url>` with `Content-Type: application/json` and the body::

    {"type": "alert.fired",
     "alert": {"id", "tenant_id", "rule", "severity", "review_id", "platform", "marketplace",
               "product_id", "reasons": [...], "labels": {...}, "fired_at", "link"},
     "message": {"language", "title", "text"}}

Headers:
    X-ReviewGuard-Event: alert.fired
    X-ReviewGuard-Delivery: the alert id; the same on every retry, so the receiver can drop
        duplicates (delivery is at least once).
    X-ReviewGuard-Timestamp: Unix time in seconds when this attempt was signed.
    X-ReviewGuard-Signature: `v1=<hex HMAC-SHA256(secret, f"{timestamp}.{raw body}")>`; while a
        secret is rotated (`previous_secret` set) there are two, comma-separated, one per secret.

To verify, take the raw body bytes as received (before any JSON parsing), recompute the HMAC over
`timestamp + "." + body` with the shared secret, compare in constant time, and reject timestamps
older than a few minutes to stop replays; `verify_signature` below does exactly that.

Answers: any 2xx is delivered; 408, 429 (honouring Retry-After) and 5xx are retried; other
statuses (including redirects, which are not followed) are permanent failures.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Literal

import httpx
from pydantic import Field, SecretStr, field_validator

from services.alerting.receivers.base import Attempt, Receiver, ReceiverConfigBase, Sleep, http_url, redact_url
from services.alerting.receivers.messages import to_text

EVENT = "alert.fired"
TIMESTAMP_HEADER = "X-ReviewGuard-Timestamp"
SIGNATURE_HEADER = "X-ReviewGuard-Signature"
DELIVERY_HEADER = "X-ReviewGuard-Delivery"
EVENT_HEADER = "X-ReviewGuard-Event"
SCHEME = "v1"


class WebhookConfig(ReceiverConfigBase):
    kind: Literal["webhook"] = "webhook"
    url: SecretStr = Field(description="Where to POST; may itself carry a token, so it is kept secret.")
    secret: SecretStr = Field(description="Shared HMAC key, at least 16 characters.")
    previous_secret: SecretStr | None = Field(
        None, description="While rotating: also sign with the old key until every receiver has the new one."
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        return SecretStr(http_url(value.get_secret_value(), field="url"))

    @field_validator("secret", "previous_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None, info) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError(f"{info.field_name} must be at least 16 characters")
        return value


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def compute_signature(secret: str | bytes, timestamp: int | str, body: str | bytes) -> str:
    """The `X-ReviewGuard-Signature` value for `body` signed at `timestamp`."""
    digest = hmac.new(_as_bytes(secret), str(timestamp).encode() + b"." + _as_bytes(body), hashlib.sha256)
    return f"{SCHEME}={digest.hexdigest()}"


def verify_signature(
    secret: str | bytes,
    timestamp: int | str,
    body: str | bytes,
    signature: str,
    tolerance_s: float = 300,
    now: float | None = None,
) -> bool:
    """Whether `signature` (the header value) signs `body` at `timestamp` with `secret`.

    Args:
        secret: the shared secret configured on both sides.
        timestamp: the `X-ReviewGuard-Timestamp` header value.
        body: the raw request body, exactly as received.
        signature: the `X-ReviewGuard-Signature` header value; any one matching `v1=` entry passes.
        tolerance_s: how far the timestamp may be from `now`, either way, in seconds.
        now: the current Unix time; `time.time()` when None.

    Returns:
        True only for a well-formed, fresh timestamp and a matching signature.
    """
    try:
        signed_at = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - signed_at) > tolerance_s:
        return False
    expected = compute_signature(secret, signed_at, body)
    candidates = [part.strip() for part in signature.split(",") if part.strip()]
    # NOTE: compare every candidate, not just until the first match, to keep timing uniform.
    matches = [hmac.compare_digest(expected.encode(), c.encode()) for c in candidates]
    return any(matches)


class WebhookReceiver(Receiver):
    kind = "webhook"

    def __init__(
        self, config: WebhookConfig, *, http: httpx.AsyncClient, sleep: Sleep = asyncio.sleep, clock=time.time
    ) -> None:
        url = config.url.get_secret_value()
        secret = config.secret.get_secret_value()
        previous = config.previous_secret.get_secret_value() if config.previous_secret else None
        super().__init__(
            name=config.name, target=redact_url(url), secrets=[url, secret, previous],
            language=config.language, retry=config.retry, timeout_s=config.timeout_s, sleep=sleep,
        )
        self._http = http
        self._url = url
        self._secrets = [secret.encode()] + ([previous.encode()] if previous else [])
        self._clock = clock

    def body(self, attempt: Attempt) -> bytes:
        message = attempt.message
        document = {
            "type": EVENT,
            "alert": attempt.notification.to_json(),
            "message": {"language": message.language, "title": message.title, "text": to_text(message)},
        }
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()

    async def _send_once(self, attempt: Attempt) -> None:
        body = self.body(attempt)
        timestamp = int(self._clock())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            EVENT_HEADER: EVENT,
            DELIVERY_HEADER: attempt.notification.alert_id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: ", ".join(compute_signature(key, timestamp, body) for key in self._secrets),
        }
        response = await self._post(self._http, self._url, content=body, headers=headers)
        self._check_status(response)
