"""Language detection among the configured languages."""

from __future__ import annotations

import pytest

from services.nlp.language import LanguageDetector, ScopedDetectors
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


def test_scoped_detector_chooses_among_its_languages_and_hands_other_scripts_on(detector: LanguageDetector) -> None:
    scopes = ScopedDetectors(detector)
    german_english = scopes.get(["de", "en"])
    assert german_english.codes == ["de", "en"] and scopes.get(["en", "de"]) is german_english
    assert scopes.get(detector.codes) is detector
    texts = [
        "Der Wasserkocher ist nach zwei Tagen kaputt gegangen, sehr enttäuschend.",
        "Il bollitore si è rotto dopo due giorni, molto deludente.",  # Italian: outside the scope
        "電気ケトルが二日で壊れました。",  # no German or English letter in it: the full detector decides
    ]
    found = [f.code for f in german_english.detect(texts)]
    assert found[0] == "de" and found[1] in {"de", "en"} and found[2] == "ja"
