"""Language detection among the configured languages."""

from __future__ import annotations

import pytest

from services.nlp.language import LanguageDetector
from tests.helpers import REVIEW_TEXTS


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(["en", "de", "fr", "es", "it", "ja", "zh"])


def test_detects_each_review_language(detector: LanguageDetector) -> None:
    languages = list(REVIEW_TEXTS)
    found = detector.detect([f"{t} {b}" for t, b in REVIEW_TEXTS.values()])
    assert [f.code for f in found] == languages
    assert all(f.confidence > 0.5 for f in found)


def test_text_without_letters_is_undetermined(detector: LanguageDetector) -> None:
    assert detector.detect(["12345 !!!"])[0].code == "und"


def test_unknown_language_code_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="xx"):
        LanguageDetector(["en", "xx"])
