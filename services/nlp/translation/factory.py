"""Builds a tenant's translator from its settings; None while translation is off."""

from __future__ import annotations

import logging

import httpx

from services.nlp.translation.base import Translator
from services.nlp.translation.config import DeepLConfig, GoogleConfig, LibreTranslateConfig, TranslationSettings
from services.nlp.translation.deepl import DeepLTranslator
from services.nlp.translation.google import GoogleTranslator
from services.nlp.translation.libretranslate import LibreTranslateTranslator

log = logging.getLogger(__name__)


def build_translator(settings: TranslationSettings, *, http: httpx.AsyncClient) -> Translator | None:
    """The translator `settings` choose, sharing `http`; None when translation is not enabled."""
    if not settings.enabled:
        return None
    config = settings.provider
    common = {"http": http, "retry": settings.retry, "timeout_s": settings.timeout_s}
    if isinstance(config, DeepLConfig):
        return DeepLTranslator(config=config, **common)
    if isinstance(config, GoogleConfig):
        return GoogleTranslator(config=config, **common)
    if isinstance(config, LibreTranslateConfig):
        return LibreTranslateTranslator(config=config, **common)
    raise ValueError("translation is enabled but no provider is configured")
