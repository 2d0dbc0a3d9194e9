"""The analysis of review texts: CPU-bound and batch-oriented, so callers run it in an executor.

Each part (language, risk lexicon, and the models the NLP issue adds) works on a whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import version

from services.nlp.language import LanguageDetector
from services.nlp.lexicon import RiskHit, RiskLexicon

# SPEC §3: a review with this many distinct risk terms is a malicious-review candidate.
MALICIOUS_MIN_TERMS = 3
ANALYZER_VERSION = f"lexicon-1+lingua-{version('lingua-language-detector')}"


@dataclass(frozen=True)
class TextAnalysis:
    language: str
    language_confidence: float
    risk_hits: list[RiskHit]
    malicious_candidate: bool
    aspects: list[str] = field(default_factory=list)


class Analyzer:
    def __init__(self, *, detector: LanguageDetector, lexicon: RiskLexicon) -> None:
        self._detector = detector
        self._lexicon = lexicon
        self.version = ANALYZER_VERSION

    def analyze(self, texts: list[str]) -> list[TextAnalysis]:
        """Analyses a batch of texts; same order out as in."""
        languages = self._detector.detect(texts)
        results = []
        for text, language in zip(texts, languages):
            hits = self._lexicon.match(text)
            results.append(
                TextAnalysis(
                    language=language.code,
                    language_confidence=language.confidence,
                    risk_hits=hits,
                    malicious_candidate=len(hits) >= MALICIOUS_MIN_TERMS,
                )
            )
        return results


def review_text(title: str, body: str) -> str:
    """The text analysed for a review: its title and body."""
    return f"{title}\n{body}".strip() if title else body
