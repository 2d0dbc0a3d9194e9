"""The provider interface and the HTTP plumbing every client shares (status mapping, retries)."""

from __future__ import annotations

import abc
import logging
import random
from collections.abc import Sequence
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from libs.outbound import OutboundRefused
from services.nlp.translation.config import RetrySettings
from services.nlp.translation.errors import (
    RetryableError,
    TranslationAuthError,
    TranslationError,
    TranslationQuotaError,
    TranslationUnavailable,
)
from services.nlp.translation.models import Translation, iso639_1

log = logging.getLogger(__name__)


class Translator(abc.ABC):
    """Translates batches of texts into one target language, keeping every original."""

    provider: str = ""

    def __init__(self, *, http: httpx.AsyncClient, retry: RetrySettings, timeout_s: float) -> None:
        self._http = http
        self._retry = retry
        self._timeout = timeout_s

    async def translate(self, texts: Sequence[str], target: str, source: str | None = None) -> list[Translation]:
        """Translations of `texts` into `target` (ISO 639-1), same order; blank texts are not sent."""
        target = target.lower()
        out: list[Translation | None] = [None] * len(texts)
        todo = []
        for i, text in enumerate(texts):
            if not text.strip() or (source is not None and source.lower() == target):
                # NOTE: nothing to translate: no call, no characters billed.
                out[i] = Translation(text=text, original=text, detected_source=iso639_1(source), provider=self.provider)
            else:
                todo.append(i)
        if todo:
            results = await self._translate([texts[i] for i in todo], target=target, source=source)
            for i, (translated, detected) in zip(todo, results):
                out[i] = Translation(text=translated, original=texts[i], detected_source=iso639_1(detected or source),
                                     provider=self.provider)
            log.info("translated %d text(s) with %s into %s", len(todo), self.provider, target)
        return [t for t in out if t is not None]

    @abc.abstractmethod
    async def _translate(self, texts: list[str], *, target: str, source: str | None) -> list[tuple[str, str | None]]:
        """(translated text, detected source code) per text, same order."""

    async def _post(self, url: str, **kwargs) -> httpx.Response:
        """POSTs with retries on 429/5xx/network errors; maps every failure to a TranslationError."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retry.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(RetryableError),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._post_once(url, **kwargs)
        except RetryableError as exc:
            raise TranslationUnavailable(
                f"gave up after {self._retry.max_attempts} attempt(s): {exc}", provider=self.provider, status=exc.status
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state) -> float:
        r = self._retry
        backoff = min(r.max_wait_s, r.initial_wait_s * 2 ** (state.attempt_number - 1)) + random.uniform(0, r.jitter_s)
        exc = state.outcome.exception() if state.outcome else None
        hint = getattr(exc, "retry_after", None)
        return max(backoff, min(hint, r.max_retry_after_s)) if hint else backoff

    async def _post_once(self, url: str, **kwargs) -> httpx.Response:
        try:
            response = await self._http.post(url, timeout=self._timeout, **kwargs)
        except OutboundRefused as refused:
            raise TranslationError(f"refused by the outbound policy: {refused.reason}", provider=self.provider) from None
        except httpx.TimeoutException:
            raise RetryableError("timed out", provider=self.provider) from None
        except httpx.TransportError as exc:
            # NOTE: the exception text can hold the URL (and a key in its query): only the type is kept.
            raise RetryableError(f"network error ({type(exc).__name__})", provider=self.provider) from None
        status = response.status_code
        if status < 300:
            return response
        if status == 429 or status >= 500:
            log.warning("%s answered %d; will retry", self.provider, status)
            raise RetryableError(f"HTTP {status}", provider=self.provider, status=status,
                                 retry_after=_retry_after(response))
        self._raise_for(response)
        raise TranslationError(f"HTTP {status}", provider=self.provider, status=status)  # pragma: no cover

    def _raise_for(self, response: httpx.Response) -> None:
        """Maps a non-retryable 4xx to an error; providers refine it (Google's 400 bad key)."""
        status = response.status_code
        if status in (401, 403):
            raise TranslationAuthError(f"HTTP {status}: key refused", provider=self.provider, status=status)
        # NOTE: the error is stored with the review; the provider's answer goes to the log only.
        log.warning("%s refused the request (HTTP %d): %s", self.provider, status, _excerpt(response))
        raise TranslationError(f"HTTP {status}", provider=self.provider, status=status)

    def _quota(self, response: httpx.Response) -> TranslationQuotaError:
        return TranslationQuotaError(f"HTTP {response.status_code}: quota exceeded", provider=self.provider,
                                     status=response.status_code)

    def _json(self, response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            raise TranslationError("answer is not JSON", provider=self.provider, status=response.status_code) from None
        if not isinstance(body, dict):
            raise TranslationError("answer is not a JSON object", provider=self.provider, status=response.status_code)
        return body


def _excerpt(response: httpx.Response, limit: int = 200) -> str:
    return response.text[:limit].replace("\n", " ")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None
