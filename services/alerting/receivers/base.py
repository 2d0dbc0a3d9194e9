"""The one interface every receiver implements, its delivery result, and the retry layer.

A receiver's `send` never raises for a delivery problem: it retries transient errors with
exponential backoff (honouring `Retry-After`) and returns a DeliveryResult that says whether the
alert arrived, failed for now (keep it and try again later) or failed for good (a person must fix
the receiver's configuration). The caller persists what did not arrive, so a receiver that is down
never loses an alert.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import ClassVar, Literal
from urllib.parse import quote, quote_plus, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from libs.outbound import OutboundRefused
from libs.redact import redact_text
from services.alerting.receivers.messages import Message, render
from services.alerting.receivers.notification import Notification

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class DeliveryStatus(enum.StrEnum):
    OK = "ok"
    TRANSIENT_FAILURE = "transient_failure"
    PERMANENT_FAILURE = "permanent_failure"


@dataclass(frozen=True)
class DeliveryResult:
    """What became of one notification at one receiver.

    Attributes:
        status: ok, transient_failure (store and retry later, after `retry_after` seconds when
            set) or permanent_failure (retrying will not help: fix the configuration).
        attempts: how many times delivery was tried in this call.
        error: the last error, with secrets redacted; None when ok. It may quote what the
            server answered (for logs and the caller); store `reason` instead.
        reason: a short reason without anything the server sent back (status code, provider
            error code, class of error); what delivery records keep. None when ok.
    """

    receiver: str
    kind: str
    status: DeliveryStatus
    attempts: int
    error: str | None = None
    retry_after: float | None = None
    elapsed_s: float = 0.0
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is DeliveryStatus.OK


class DeliveryError(Exception):
    """A failed attempt; the message must never contain a secret.

    `reason` is the short form kept in delivery records: never a remote response body (it
    defaults to the message, so give one whenever the message quotes the server).
    """

    def __init__(self, message: str, *, retry_after: float | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.reason = reason or message


class TransientError(DeliveryError):
    """Worth trying again: connection errors, timeouts, 5xx, rate limits."""


class PermanentError(DeliveryError):
    """Trying again will not help: bad credentials, bad payload, unknown webhook."""


class RetryPolicy(BaseModel):
    """How hard one `send` call tries before handing the alert back to the caller."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(4, ge=1, le=20)
    initial_delay_s: float = Field(1.0, ge=0)
    max_delay_s: float = Field(30.0, ge=0)
    multiplier: float = Field(2.0, ge=1, description="Each backoff is this many times the last one.")
    jitter_s: float = Field(0.5, ge=0)
    # NOTE: a server asking for a longer pause than this ends the call with transient_failure and
    # the asked delay in `retry_after`, so the caller's outbox waits instead of a blocked task.
    max_retry_after_s: float = Field(60.0, ge=0)


class ReceiverConfigBase(BaseModel):
    """Settings every receiver has; each kind adds its own and a `kind` literal."""

    # NOTE: hide_input_in_errors keeps a mistyped secret out of validation error messages.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: str = Field(min_length=1, max_length=100, description="Shown in logs and delivery results.")
    language: Literal["zh", "en"] | None = Field(None, description="Overrides the notification's language.")
    timeout_s: float = Field(10.0, gt=0, le=120)
    retry: RetryPolicy = RetryPolicy()
    send_resolved: bool = Field(False, description="Also tell this receiver when its alerts are resolved (Alertmanager's send_resolved).")


def http_url(value: str, *, field: str, schemes: tuple[str, ...] = ("https", "http")) -> str:
    """`value` if it is an absolute http(s) URL; a ValueError naming `field` (never the value) else."""
    parts = urlsplit(value.strip())
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"{field} must be an absolute {' or '.join(schemes)} URL")
    return value.strip()


class Redactor:
    """Replaces known secret values (raw and URL-encoded) with `***` in text meant for logs."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= 3:
                forms |= {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}
        self._forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, "***")
        return text


def redact_url(url: str) -> str:
    """Scheme, host and port only: webhook paths and query strings carry the credentials."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/***"


@dataclass
class Attempt:
    """One `send` call's state, shared by its attempts: multi-recipient receivers record who got
    the message (`done`) and who failed for good (`failed`) so a retry skips both."""

    notification: Notification
    message: Message
    number: int = 0
    done: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    failed_reasons: dict[str, str] = field(default_factory=dict)


class Receiver(ABC):
    """Delivers notifications to one destination; subclasses implement `_send_once`."""

    kind: ClassVar[str]

    def __init__(
        self,
        *,
        name: str,
        target: str,
        secrets: Iterable[str | None],
        language: str | None = None,
        retry: RetryPolicy | None = None,
        timeout_s: float = 10.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.name = name
        self.language = language
        self.target = target
        self._redact = Redactor(secrets)
        self._retry = retry or RetryPolicy()
        self._timeout = timeout_s
        self._sleep = sleep
        self._backoff = wait_exponential_jitter(
            multiplier=self._retry.initial_delay_s,
            max=self._retry.max_delay_s,
            exp_base=self._retry.multiplier,
            jitter=self._retry.jitter_s,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} → {self.target}>"

    async def send(self, notification: Notification) -> DeliveryResult:
        """Delivers `notification`, retrying transient errors; never raises for delivery errors."""
        started = time.monotonic()
        try:
            attempt = Attempt(notification=notification, message=render(notification, language=self.language))
        except Exception as exc:
            # NOTE: a bug in the texts, not in delivery; keep the promise that send never raises.
            error = self._redact(f"cannot render the message: {type(exc).__name__}: {exc}")
            log.error("alert %s to %s receiver %r: %s", notification.alert_id, self.kind, self.name, error)
            return DeliveryResult(
                self.name, self.kind, DeliveryStatus.PERMANENT_FAILURE, attempts=0, error=error,
                reason=f"cannot render the message ({type(exc).__name__})",
            )
        retrying = AsyncRetrying(
            stop=self._should_stop,
            wait=self._wait,
            retry=retry_if_exception_type(TransientError),
            sleep=self._sleep,
            reraise=True,
        )
        status, error, retry_after, reason = DeliveryStatus.OK, None, None, None
        try:
            async for trial in retrying:
                with trial:
                    attempt.number = trial.retry_state.attempt_number
                    await self._logged_attempt(attempt)
        except TransientError as exc:
            status, error, retry_after, reason = DeliveryStatus.TRANSIENT_FAILURE, str(exc), exc.retry_after, exc.reason
        except PermanentError as exc:
            status, error, reason = DeliveryStatus.PERMANENT_FAILURE, str(exc), exc.reason
        return DeliveryResult(
            receiver=self.name,
            kind=self.kind,
            status=status,
            attempts=attempt.number,
            error=error,
            retry_after=retry_after,
            elapsed_s=round(time.monotonic() - started, 3),
            reason=short_reason(reason) if reason else None,
        )

    @abstractmethod
    async def _send_once(self, attempt: Attempt) -> None:
        """One delivery attempt; raises TransientError or PermanentError on failure."""

    async def _logged_attempt(self, attempt: Attempt) -> None:
        fields = {
            "receiver": self.name,
            "receiver_kind": self.kind,
            "target": self.target,
            "alert_id": attempt.notification.alert_id,
            "attempt": attempt.number,
        }
        started = time.monotonic()
        try:
            await self._send_once(attempt)
        except DeliveryError as exc:
            # NOTE: messages are built without secrets, but scrub again: a server may echo one back.
            safe = type(exc)(self._redact(str(exc)), retry_after=exc.retry_after, reason=self._redact(exc.reason))
            retry = isinstance(exc, TransientError) and self._will_retry(exc, attempt.number)
            fields |= {"error": str(safe), "transient": isinstance(exc, TransientError), "will_retry": retry}
            log.warning(
                "alert %s to %s receiver %r failed on attempt %d (%s): %s",
                attempt.notification.alert_id, self.kind, self.name, attempt.number,
                "will retry" if retry else "giving up", safe,
                extra={"fields": fields},
            )
            raise safe from None
        except Exception as exc:
            # NOTE: a bug, not the receiver's fault; no traceback, whose message might hold a secret.
            where = exc.__traceback__
            while where is not None and where.tb_next is not None:
                where = where.tb_next
            origin = f" at {where.tb_frame.f_code.co_filename}:{where.tb_lineno}" if where else ""
            text = self._redact(f"unexpected {type(exc).__name__}: {exc}{origin}")
            log.error("alert %s to %s receiver %r failed: %s", attempt.notification.alert_id, self.kind, self.name, text,
                      extra={"fields": fields | {"error": text}})
            raise PermanentError(self._redact(f"unexpected {type(exc).__name__}: {exc}"), reason=f"unexpected {type(exc).__name__}") from None
        fields["elapsed_s"] = round(time.monotonic() - started, 3)
        log.info(
            "alert %s delivered to %s receiver %r on attempt %d",
            attempt.notification.alert_id, self.kind, self.name, attempt.number,
            extra={"fields": fields},
        )

    def _will_retry(self, exc: BaseException | None, number: int) -> bool:
        if not isinstance(exc, TransientError) or number >= self._retry.max_attempts:
            return False
        return exc.retry_after is None or exc.retry_after <= self._retry.max_retry_after_s

    def _should_stop(self, state: RetryCallState) -> bool:
        return not self._will_retry(state.outcome.exception() if state.outcome else None, state.attempt_number)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return exc.retry_after
        return self._backoff(state)

    # -- helpers for HTTP receivers ---------------------------------------------------------

    async def _post(self, http: httpx.AsyncClient, url: str, **kwargs) -> httpx.Response:
        """POSTs, turning transport failures into TransientError without the URL in the text."""
        try:
            return await http.post(url, timeout=self._timeout, **kwargs)
        except OutboundRefused as exc:
            raise PermanentError(f"refused by the outbound policy: {exc.reason}") from None
        except httpx.TimeoutException as exc:
            raise TransientError(f"timed out after {self._timeout}s ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise TransientError(self._redact(f"{type(exc).__name__}: {exc}"), reason=type(exc).__name__) from None

    def _check_status(self, response: httpx.Response) -> None:
        """Raises for a non-2xx answer: 408, 429 and 5xx are transient, other 4xx permanent."""
        code = response.status_code
        if 200 <= code < 300:
            return
        detail, reason = f"HTTP {code}: {self._excerpt(response)}", f"HTTP {code}"
        if code in (408, 425, 429) or code >= 500:
            raise TransientError(detail, retry_after=retry_after_seconds(response.headers.get("retry-after")), reason=reason)
        raise PermanentError(detail, reason=reason)

    def _excerpt(self, response: httpx.Response, limit: int = 200) -> str:
        text = " ".join(response.text.split())
        return self._redact(text[:limit] + ("…" if len(text) > limit else "")) or response.reason_phrase

    def _json(self, response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            raise PermanentError(
                f"HTTP {response.status_code} with a body that is not JSON: {self._excerpt(response)}",
                reason=f"HTTP {response.status_code} with a body that is not JSON",
            ) from None
        if not isinstance(body, dict):
            raise PermanentError(
                f"HTTP {response.status_code} with unexpected JSON: {self._excerpt(response)}",
                reason=f"HTTP {response.status_code} with unexpected JSON",
            )
        return body


def short_reason(text: str, limit: int = 200) -> str:
    """`text` on one line, URLs redacted, at most `limit` characters: fit for a stored record."""
    text = redact_text(" ".join(text.split()))
    return text[:limit] + ("…" if len(text) > limit else "")


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
