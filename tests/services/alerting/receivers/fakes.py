"""A local HTTP server each test scripts to speak one receiver's protocol, and shared helpers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qs

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from services.alerting.receivers import Notification, Severity

# NOTE: retries without waiting, so a failing receiver costs milliseconds, not seconds.
TINY_RETRY = {"max_attempts": 3, "initial_delay_s": 0, "max_delay_s": 0, "jitter_s": 0, "max_retry_after_s": 60}


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


Check = Callable[[Recorded], Response | None]
Reply = Response | Callable[[Recorded], Awaitable[Response]]


@dataclass
class FakeServer:
    """Records every request; answers with the protocol check's error, else the next scripted reply."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    _check: Check | None = None
    _script: list[Reply] = field(default_factory=list)
    _default: Reply = field(default_factory=lambda: PlainTextResponse("no script", status_code=599))

    def expect(self, check: Check, *script: Reply, default: Reply) -> None:
        """Checks each request with `check`, then answers `script` in order and `default` after."""
        self._check, self._script, self._default = check, list(script), default

    def reset(self) -> None:
        self.requests.clear()
        self._check, self._script = None, []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        recorded = Recorded(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
        )
        self.requests.append(recorded)
        response = self._check(recorded) if self._check else None
        if response is None:
            reply = self._script.pop(0) if self._script else self._default
            response = reply if isinstance(reply, Response) else await reply(recorded)
        await response(scope, receive, send)


@dataclass
class Sleeps:
    """Stands in for asyncio.sleep: records how long each retry would have waited."""

    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


def assert_no_secrets(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    """No captured record (message, structured fields, traceback) holds any of `secrets`."""
    assert caplog.records, "expected the receiver to log its attempts"
    for record in caplog.records:
        text = " ".join([record.getMessage(), repr(getattr(record, "fields", {})), record.exc_text or ""])
        for secret in secrets:
            assert secret not in text, f"secret leaked in log record: {record.getMessage()!r}"


def make_notification(
    *, language: str = "en", severity: Severity = Severity.HIGH, link: str | None = "https://app.example.com/cases/c-42"
) -> Notification:
    return Notification(
        alert_id="5b7c9a3e-0000-4000-8000-000000000001",
        rule="negative_review",
        severity=severity,
        product="B0KETTLE01",
        marketplace="DE",
        platform="amazon",
        reasons=("rating 1", "risk term 'betrug' (fraud)"),
        labels={"language": "de", "rating": "1", "escalation": "fraud"},
        link=link,
        language=language,
        fired_at=datetime(2026, 11, 20, 8, 31, tzinfo=timezone.utc),
    )


# What a reader must find in the text, per language: severity, product, reasons.
EXPECTED = {
    "en": ["High", "B0KETTLE01", "1-star rating", "risk term “betrug” (fraud / fake)"],
    "zh": ["严重", "B0KETTLE01", "1 星评分", "风险词“betrug”（欺诈/虚假）"],
}


def ok_json(body: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)
