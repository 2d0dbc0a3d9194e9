"""generic_text's fast paths give what the plain definition (one regex at a time) gives."""

from __future__ import annotations

import re
import unicodedata

import pytest

from services.nlp.suspicion import signals
from services.nlp.suspicion.models import GenericText
from services.nlp.suspicion.signals import _CASEFOLD_JOINS, _WORD, generic_text


def reference_generic_text(text: str, *, language: str) -> GenericText:
    """generic_text as first written: every count by findall, every word casefolded on its own."""
    norm = unicodedata.normalize("NFKC", text)
    digits = len(signals._DIGIT.findall(norm))
    if language in signals._CJK_GENERIC or len(signals._CJK.findall(norm)) * 2 > len(norm):
        chars = len(signals._CJK.findall(norm))
        stripped = norm
        for phrase in sorted(signals._CJK_GENERIC.get(language, signals._CJK_GENERIC["zh"]), key=len, reverse=True):
            stripped = stripped.replace(phrase, "")
        left = len(signals._CJK.findall(stripped))
        specifics = (digits > 0) + len(signals._KATAKANA_RUN.findall(norm)) + len(signals._LATIN_RUN.findall(norm))
        share = 1.0 - left / chars if chars else 1.0
        return GenericText(words=chars, specifics=specifics + left // 8, generic_share=share,
                           short=chars <= signals.SHORT_CJK_CHARS)
    words = _WORD.findall(norm)
    generic = signals._GENERIC.get(language, signals._GENERIC["en"])
    folded = [w.casefold() for w in words]
    content = [w for w in folded if w not in generic and not w.isdigit()]
    nouns = sum(1 for i, w in enumerate(words)
                if language == "de" and i > 0 and w[:1].isupper() and w.casefold() not in generic)
    long_content = sum(1 for w in content if len(w) >= 6)
    share = 1.0 - len(content) / len(folded) if folded else 1.0
    return GenericText(words=len(words), specifics=(digits > 0) + nouns + long_content, generic_share=share,
                       short=len(words) <= signals.SHORT_WORDS)


# NOTE: texts written for this test, with the characters that make fast paths diverge if wrong:
# casefold expansions (ß, İ, ﬁ), U+0345, curly apostrophes, digits of other scripts, mixed scripts.
TEXTS = [
    "Great kettle, boils in 3 minutes. Would buy again!",
    "GREAT KETTLE. DOESN'T LEAK. İSTANBUL DELIVERY WAS FAST; STRASSE straße",
    "Der Wasserkocher ist super, die Lieferung kam schnell. Große Freude, 5 Sterne!",
    "Très bonne bouilloire, l'eau chauffe vite. Le câble est un peu court.",
    "Muy buen hervidor, el agua se calienta rápido. ¡Lo recomiendo!",
    "Ottimo bollitore, arrivato in 2 giorni. Consigliato.",
    "ἀι\u0345 ᾳ greek words with ypogegrammeni",
    "Doesn’t work ‘at all’ – ﬁne print ① ٣ digits",
    "とても良い商品です。また買いたいです。",
    "このケトルはお湯がすぐ沸きます。デザインもいいです。",
    "很好用，质量不错，推荐购买。",
    "水壶用了3天就坏了，客服不回复。Anker 的更好。",
    "mixed テキスト with 漢字 and Latin",
    "", "!!!", "Ⅻ ⅻ ok",
]


@pytest.mark.parametrize("language", ["en", "de", "fr", "es", "it", "ja", "zh", "pt", "und"])
def test_generic_text_equals_its_definition(language: str) -> None:
    for text in TEXTS:
        assert generic_text(text, language=language) == reference_generic_text(text, language=language), text


def test_casefold_keeps_word_characters_word_characters_but_for_the_known_exception() -> None:
    # NOTE: the fast path folds the whole text before splitting it into words; that is the same as
    # folding each word only if no one-character fold turns a word character into a non-word one
    # or back. Checked over every code point, so a new Unicode version cannot slip past.
    word = re.compile(r"[\w']")
    changed = [
        chr(code)
        for code in range(0x110000)
        if len(folded := chr(code).casefold()) == 1 and (word.match(chr(code)) is None) != (word.match(folded) is None)
    ]
    assert changed == list(_CASEFOLD_JOINS)
