"""LibreTranslate client: POST /translate with q, source ("auto"), target, api_key; one text a request."""

from __future__ import annotations

import asyncio
import logging

import httpx

from services.nlp.translation.base import Translator
from services.nlp.translation.config import LibreTranslateConfig, RetrySettings
from services.nlp.translation.errors import TranslationAuthError, TranslationError

log = logging.getLogger(__name__)


class LibreTranslateTranslator(Translator):
    """Translates with a LibreTranslate server."""

    provider = "libretranslate"

    def __init__(
        self, *, config: LibreTranslateConfig, http: httpx.AsyncClient, retry: RetrySettings, timeout_s: float
    ) -> None:
        super().__init__(http=http, retry=retry, timeout_s=timeout_s)
        self._config = config
        self._url = f"{config.base_url.rstrip('/')}/translate"

    async def _translate(self, texts: list[str], *, target: str, source: str | None) -> list[tuple[str, str | None]]:
        # NOTE: one text per request: array `q` exists only in newer servers; a few requests in flight
        # keep a batch fast without flooding a self-hosted instance.
        gate = asyncio.Semaphore(self._config.concurrency)

        async def one(text: str) -> tuple[str, str | None]:
            body = {"q": text, "source": source or "auto", "target": target, "format": "text"}
            if self._config.api_key is not None:
                body["api_key"] = self._config.api_key.get_secret_value()
            async with gate:
                answer = self._json(await self._post(self._url, json=body))
            translated = answer.get("translatedText")
            if not isinstance(translated, str):
                raise TranslationError("answer has no translatedText", provider=self.provider)
            detected = answer.get("detectedLanguage")
            return translated, detected.get("language") if isinstance(detected, dict) else source

        return list(await asyncio.gather(*(one(t) for t in texts)))

    def _raise_for(self, response: httpx.Response) -> None:
        # NOTE: LibreTranslate answers a missing or wrong api_key with 400 or 403 and an "error" text.
        if response.status_code == 400 and "api_key" in response.text.lower():
            raise TranslationAuthError("HTTP 400: key refused", provider=self.provider, status=400)
        super()._raise_for(response)
