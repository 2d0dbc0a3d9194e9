"""Analyzer.analyze gives what its parts give on the raw texts, star model threaded or not, and fails loudly."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from services.nlp.analyzer import _THREAD_MIN_BATCH, Analyzer, TenantLexicons
from services.nlp.aspects import AspectTagger
from services.nlp.duplicates import Signer, to_bytes
from services.nlp.lexicon import RiskLexicon
from services.nlp.stars.model import negative_score
from services.nlp.suspicion.signals import CompetitorMatcher, generic_text

# NOTE: phrases written for this test. Full-width letters, half-width katakana, ligatures and
# curly apostrophes change under NFKC, which analyze now applies once for all the text parts.
PHRASES = [
    "The kettle arrived damaged and the seller never answered. Total ＳＣＡＭ, a fake!",
    "Doesn’t leak, boils in 3 minutes. Better off buying Anker instead though.",
    "Der Wasserkocher kam beschädigt an, der Kundenservice antwortet nicht. Betrug!",
    "Kauft lieber bei Anker, das Ladegerät ist nach zwei Wochen kaputt gegangen.",
    "La bouilloire est arrivée cassée, c'est une contrefaçon. Achetez plutôt ailleurs.",
    "El hervidor llegó roto y el vendedor no responde. Es una imitación.",
    "Il bollitore è arrivato rotto, il venditore non risponde.",
    "ｹﾄﾙが破損して届きました。偽物だと思います。他社の方がいいです。",
    "水壶收到时包装破损，感觉是假货，还不如买小米的。",
    "ﬁne product, works great",
    "Great!",
    "",
]


def texts(n: int) -> list[str]:
    combos = itertools.cycle(itertools.product(PHRASES, PHRASES[:5]))
    return [f"{a} {b}" if i % 3 else a for i, (a, b) in zip(range(n), combos)]


def expected(analyzer: Analyzer, batch: list[str], lexicons: TenantLexicons, signatures: bool) -> list[dict]:
    """Every field from the parts called one by one on the raw texts, as analyze did before."""
    languages = analyzer.default_detector.detect(batch)
    codes = [lang.code for lang in languages]
    probs = analyzer.default_model.predict(batch)
    negatives = negative_score(probs, analyzer.default_model.calibration)
    aspects = lexicons.aspects.tag(batch, codes)
    lexicon, signer = RiskLexicon.load(), Signer()
    rows = []
    for i, (text, code) in enumerate(zip(batch, codes)):
        hits = lexicon.match(text, code)
        rows.append({
            "language": code, "risk_hits": hits, "malicious_candidate": len(hits) >= 3, "aspects": aspects[i],
            "stars": int(np.argmax(probs[i])) + 1, "star_probs": [float(p) for p in probs[i]],
            "negative": float(negatives[i]), "generic": generic_text(text, language=code),
            "competitor": lexicons.competitors.find(text, language=code),
            "signature": to_bytes(signer.sign(text)) if signatures else b"",
        })
    return rows


@pytest.mark.parametrize("n", [1, _THREAD_MIN_BATCH - 1, 100])
@pytest.mark.parametrize("signatures", [True, False])
def test_analyze_equals_its_parts_on_raw_texts(analyzer: Analyzer, n: int, signatures: bool) -> None:
    lexicons = TenantLexicons(aspects=AspectTagger.load(), competitors=CompetitorMatcher(brands=["Anker", "小米"]))
    batch = texts(n)
    got = analyzer.analyze(batch, lexicons=lexicons, signatures=signatures)
    assert len(got) == n
    for result, want in zip(got, expected(analyzer, batch, lexicons, signatures)):
        assert {key: getattr(result, key) for key in want} == want
        assert type(result.stars) is int and all(type(p) is float for p in result.star_probs)
        assert type(result.negative) is float


def test_without_a_star_model_the_star_fields_are_empty() -> None:
    from services.nlp.language import LanguageDetector

    bare = Analyzer(detector=LanguageDetector(["en", "de"]), lexicon=RiskLexicon.load(), aspects=AspectTagger.load(),
                    stars=None)
    for result in bare.analyze(texts(40)[:40:3] * 4):
        assert (result.stars, result.star_probs, result.negative) == (None, [], None)
        assert len(result.signature) == 521


class _Broken:
    version = "broken"

    def predict(self, texts):
        raise RuntimeError("model exploded")


@pytest.mark.parametrize("n", [1, _THREAD_MIN_BATCH, 64])
def test_an_error_in_the_star_model_reaches_the_caller(analyzer: Analyzer, n: int) -> None:
    with pytest.raises(RuntimeError, match="model exploded"):
        analyzer.analyze(texts(n), model=_Broken())  # type: ignore[arg-type]


def test_an_empty_batch_is_empty(analyzer: Analyzer) -> None:
    assert analyzer.analyze([]) == []
