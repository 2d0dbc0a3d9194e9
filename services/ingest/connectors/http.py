"""One way to call a platform: retries with backoff, Retry-After honoured, secrets kept out of logs.

Every connector sends its requests through `send`, on an `httpx.AsyncClient` its caller owns.
"""

from __future__ import annotations

import email.utils
import logging
import time
from urllib.parse import urlencode
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

import httpx
from tenacity import AsyncRetrying, RetryCallState, RetryError, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from libs import redact
from libs.outbound import OutboundRefused
from services.ingest.connectors.errors import BadResponse, CredentialsRejected, RequestRejected, SourceUnavailable

log = logging.getLogger(__name__)

_MAX_SNIPPET = 200


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request before giving up on this poll.

    Attributes:
        attempts: tries in total, the first included.
        backoff_initial: seconds before the first retry; doubles each time, with jitter.
        backoff_max: the longest pause between two tries.
        retry_after_max: a Retry-After longer than this ends the poll instead of waiting.
    """

    attempts: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0


class Limiter(Protocol):
    """A shared rate limit for one credential (libs.token_bucket.Limiter)."""

    async def before_request(self) -> None: ...

    async def rate_limited(self, retry_after: float | None) -> None: ...


class _Transient(Exception):
    """A failure worth another try; `retry_after` is the platform's own wait hint in seconds."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


def redact_url(url: httpx.URL | str) -> str:
    """The URL with its userinfo and credential-bearing query values replaced by `***` (libs/redact.py)."""
    return redact.redact_url(str(url))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Text with every URL in it redacted and every given secret value replaced by `***` (libs/redact.py)."""
    return redact.redact_text(text, secrets)


class RedactSecretsFilter(logging.Filter):
    """Rewrites log records that carry a URL (httpx logs each request's), credentials masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "://" in record.msg:
            record.msg = redact.redact_text(record.msg)
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redact.redact_text(str(a)) if isinstance(a, httpx.URL) or (isinstance(a, str) and "://" in a) else a
                for a in record.args
            )
        return True


def guard_http_logs() -> None:
    """Makes httpx's own request log redact credentials in query strings (idempotent).

    NOTE: httpx logs every request URL at INFO on the `httpx` logger; Judge.me takes its token in
    the query string, so without this a DEBUG/INFO log level would print it.
    """
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactSecretsFilter) for f in logger.filters):
        logger.addFilter(RedactSecretsFilter())


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now_ts = time.time() if now is None else now
    return max(0.0, when.timestamp() - now_ts)


class _Wait:
    """Waits the platform's Retry-After when it gave one, else exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = wait_exponential_jitter(
            multiplier=policy.backoff_initial, max=policy.backoff_max, jitter=policy.backoff_initial
        )

    def __call__(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _Transient) and error.retry_after is not None:
            return error.retry_after
        return self._backoff(state)


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    source: str,
    policy: RetryPolicy,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    secrets: Iterable[str] = (),
    limiter: Limiter | None = None,
) -> httpx.Response:
    """Sends one request, retrying transient failures, and returns a 2xx response.

    Retries connection errors, timeouts, 408, 5xx and 429 (waiting the Retry-After it names).
    Raises CredentialsRejected on 401/403, RequestRejected on any other 4xx, SourceUnavailable when
    the tries run out or a Retry-After exceeds `policy.retry_after_max`. No message carries a secret.
    With a `limiter` (libs/token_bucket.py) every try takes a token of the credential's shared bucket
    first, and a 429 holds the bucket for every replica until its Retry-After.
    """
    guard_http_logs()
    secrets = [s for s in secrets if s]
    where = f"{method} {redact_text(redact_url(httpx.URL(url, params=params or {})), secrets)}"

    async def attempt() -> httpx.Response:
        if limiter is not None:
            await limiter.before_request()
        try:
            response = await client.request(method, url, params=params, headers=headers, content=content)
        except OutboundRefused as refused:
            raise RequestRejected(
                f"{source}: destination refused by the outbound policy: {refused.reason}", source=source
            ) from None
        except httpx.TransportError as error:
            # NOTE: the exception text names no URL, but redact anyway in case a platform echoes one.
            raise _Transient(redact_text(f"{type(error).__name__}: {error}", secrets)) from None
        status = response.status_code
        if 200 <= status < 300:
            return response
        await response.aread()
        if status == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if limiter is not None:
                await limiter.rate_limited(wait)
            if wait is not None and wait > policy.retry_after_max:
                raise SourceUnavailable(
                    f"{source}: rate limited by the platform for {wait:.0f}s on {where}", source=source, status=status
                )
            raise _Transient("rate limited (429)", status=status, retry_after=wait)
        if status >= 500 or status == 408:
            raise _Transient(f"HTTP {status}", status=status)
        if status in (401, 403):
            raise CredentialsRejected(
                f"{source}: the platform rejected the credentials (HTTP {status}) on {where}; "
                "check the API key or token and the account's permissions",
                source=source,
                status=status,
            )
        # NOTE: the platform's answer goes to the log only: the error is stored and shown as the
        # source's last_error, which keeps the status, never the remote body.
        snippet = redact_text(" ".join(response.text[:_MAX_SNIPPET].split()), secrets)
        log.warning("%s: %s refused (HTTP %d): %s", source, where, status, snippet)
        raise RequestRejected(
            f"{source}: the platform refused the request (HTTP {status}) on {where}",
            source=source,
            status=status,
        )

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s: %s failed (%s), try %d of %d; retrying in %.2fs",
            source,
            where,
            getattr(error, "reason", error),
            state.attempt_number,
            policy.attempts,
            state.upcoming_sleep,
        )

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=_Wait(policy),
        retry=retry_if_exception_type(_Transient),
        before_sleep=before_sleep,
    )
    try:
        return await retrying(attempt)
    except RetryError as gave_up:
        last = gave_up.last_attempt.exception()
        raise SourceUnavailable(
            f"{source}: {where} still failing after {policy.attempts} tries (last: {getattr(last, 'reason', last)})",
            source=source,
            status=getattr(last, "status", None),
        ) from None


def parse_timestamp(value: object) -> datetime:
    """An aware datetime from an ISO 8601 string as platforms send them ('Z', fractions, offsets)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a timestamp: {value!r}")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        # NOTE: platforms documented here send UTC; a bare time is read as UTC rather than refused.
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


async def grant_token(
    client: httpx.AsyncClient, url: str, form: Mapping[str, str], *, source: str, policy: RetryPolicy,
    headers: Mapping[str, str], secrets: Iterable[str], refused: str, advice: str,
) -> str:
    """An OAuth 2.0 token request (RFC 6749 §4.3, §6): the answer's access_token.

    A refused grant (400 invalid_grant: revoked, expired, a changed password) is CredentialsRejected
    saying `refused` and `advice`: only the owner signing in again helps. No secret is in any message.
    """
    try:
        response = await send(
            client, "POST", url, source=source, policy=policy, content=urlencode(form).encode(), headers=dict(headers), secrets=list(secrets),
        )
    except RequestRejected as error:
        raise CredentialsRejected(f"{source}: {refused} (HTTP {error.status}, invalid_grant); {advice}", source=source, status=error.status) from None
    try:
        return str(response.json()["access_token"])
    except (ValueError, KeyError, TypeError):
        raise BadResponse(f"{source}: the token answer has no access_token", source=source) from None
