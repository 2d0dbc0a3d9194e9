"""DeepL API client: POST /v2/translate with `Authorization: DeepL-Auth-Key`, JSON body."""

from __future__ import annotations

import logging

import httpx

from services.nlp.translation.base import Translator
from services.nlp.translation.config import DeepLConfig, RetrySettings
from services.nlp.translation.errors import TranslationError

log = logging.getLogger(__name__)

# NOTE: DeepL takes at most 50 texts per request.
BATCH = 50
# NOTE: DeepL wants a regional variant for English and Portuguese targets and a script for Chinese.
_TARGETS = {"pt": "PT-PT", "zh": "ZH-HANS"}


class DeepLTranslator(Translator):
    """Translates with DeepL Free or Pro."""

    provider = "deepl"

    def __init__(self, *, config: DeepLConfig, http: httpx.AsyncClient, retry: RetrySettings, timeout_s: float) -> None:
        super().__init__(http=http, retry=retry, timeout_s=timeout_s)
        self._config = config
        self._url = f"{config.url()}/v2/translate"

    async def _translate(self, texts: list[str], *, target: str, source: str | None) -> list[tuple[str, str | None]]:
        target_lang = self._config.english if target == "en" else _TARGETS.get(target, target.upper())
        headers = {"Authorization": f"DeepL-Auth-Key {self._config.api_key.get_secret_value()}"}
        out: list[tuple[str, str | None]] = []
        for start in range(0, len(texts), BATCH):
            chunk = texts[start:start + BATCH]
            body: dict = {"text": chunk, "target_lang": target_lang}
            if source:
                body["source_lang"] = source.upper()
            response = await self._post(self._url, json=body, headers=headers)
            translations = self._json(response).get("translations")
            if not isinstance(translations, list) or len(translations) != len(chunk):
                raise TranslationError("answer has the wrong number of translations", provider=self.provider)
            out.extend((t["text"], t.get("detected_source_language")) for t in translations)
        return out

    def _raise_for(self, response: httpx.Response) -> None:
        if response.status_code == 456:
            raise self._quota(response)
        super()._raise_for(response)
