"""Google Cloud Translation - Basic (v2): POST /language/translate/v2 with q[], target, format=text."""

from __future__ import annotations

import logging

import httpx

from services.nlp.translation.base import Translator
from services.nlp.translation.config import GoogleConfig, RetrySettings
from services.nlp.translation.errors import TranslationAuthError, TranslationError

log = logging.getLogger(__name__)

# NOTE: v2 takes at most 128 q values per request.
BATCH = 128


class GoogleTranslator(Translator):
    """Translates with Google Cloud Translation v2 and an API key."""

    provider = "google"

    def __init__(self, *, config: GoogleConfig, http: httpx.AsyncClient, retry: RetrySettings, timeout_s: float) -> None:
        super().__init__(http=http, retry=retry, timeout_s=timeout_s)
        self._config = config
        self._url = f"{config.base_url.rstrip('/')}/language/translate/v2"

    async def _translate(self, texts: list[str], *, target: str, source: str | None) -> list[tuple[str, str | None]]:
        key = self._config.api_key.get_secret_value()
        params, headers = ({"key": key}, {}) if self._config.key_in_query else ({}, {"X-Goog-Api-Key": key})
        out: list[tuple[str, str | None]] = []
        for start in range(0, len(texts), BATCH):
            chunk = texts[start:start + BATCH]
            body: dict = {"q": chunk, "target": target, "format": "text"}
            if source:
                body["source"] = source
            response = await self._post(self._url, json=body, params=params, headers=headers)
            data = self._json(response).get("data") or {}
            translations = data.get("translations") if isinstance(data, dict) else None
            if not isinstance(translations, list) or len(translations) != len(chunk):
                raise TranslationError("answer has the wrong number of translations", provider=self.provider)
            out.extend((t["translatedText"], t.get("detectedSourceLanguage")) for t in translations)
        return out

    def _raise_for(self, response: httpx.Response) -> None:
        # NOTE: Google answers a bad key with 400 and reason "API_KEY_INVALID", not 401.
        if response.status_code == 400 and ("API_KEY_INVALID" in response.text or "API key not valid" in response.text):
            raise TranslationAuthError(f"HTTP {response.status_code}: key refused", provider=self.provider,
                                       status=response.status_code)
        if response.status_code == 403 and "quota" in response.text.lower():
            raise self._quota(response)
        super()._raise_for(response)
