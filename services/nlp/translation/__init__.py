"""Machine translation of review texts through one interface; DeepL, Google v2, LibreTranslate."""

from services.nlp.translation.base import Translator
from services.nlp.translation.config import (
    DeepLConfig,
    GoogleConfig,
    LibreTranslateConfig,
    RetrySettings,
    TranslationSettings,
)
from services.nlp.translation.errors import (
    TranslationAuthError,
    TranslationError,
    TranslationQuotaError,
    TranslationUnavailable,
)
from services.nlp.translation.factory import build_translator
from services.nlp.translation.models import Translation

__all__ = [
    "DeepLConfig", "GoogleConfig", "LibreTranslateConfig", "RetrySettings", "Translation", "TranslationAuthError",
    "TranslationError", "TranslationQuotaError", "TranslationSettings", "TranslationUnavailable", "Translator",
    "build_translator",
]
