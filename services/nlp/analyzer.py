"""The analysis of review texts: CPU-bound and batch-oriented, so callers run it in an executor.

Every part works on a whole batch: language (lingua), risk lexicon (Aho-Corasick), stars and
negative score (the ONNX star model), aspects with negation (Aho-Corasick per language), generic
text and competitor cues (suspicion signals), and the MinHash signature for near-duplicates.
Signals that need a tenant's history (duplicates, bursts, reviewer history) are added by the
service, which owns the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import version

import numpy as np

from services.nlp.aspects import AspectTagger
from services.nlp.duplicates.signature import Signer, to_bytes
from services.nlp.language import LanguageDetector
from services.nlp.lexicon import RiskHit, RiskLexicon
from services.nlp.stars.model import StarModel, negative_score
from services.nlp.suspicion.models import CompetitorMentions, GenericText
from services.nlp.suspicion.signals import CompetitorMatcher, generic_text

# SPEC §3: a review with this many distinct risk terms is a malicious-review candidate.
MALICIOUS_MIN_TERMS = 3
LINGUA_VERSION = version("lingua-language-detector")


@dataclass(frozen=True)
class TextAnalysis:
    language: str
    language_confidence: float
    risk_hits: list[RiskHit]
    malicious_candidate: bool
    aspects: list[str] = field(default_factory=list)
    stars: int | None = None
    star_probs: list[float] = field(default_factory=list)
    negative: float | None = None
    generic: GenericText | None = None
    competitor: CompetitorMentions | None = None
    signature: bytes = b""


@dataclass(frozen=True)
class TenantLexicons:
    """What a tenant adds at run time: its aspect tags and competitor brands, built once per change."""

    aspects: AspectTagger
    competitors: CompetitorMatcher


class Analyzer:
    """Stateless after construction; safe to call from executor threads."""

    def __init__(
        self,
        *,
        detector: LanguageDetector,
        lexicon: RiskLexicon,
        aspects: AspectTagger,
        stars: StarModel | None,
        signer: Signer | None = None,
    ) -> None:
        self._detector = detector
        self._lexicon = lexicon
        self._default = TenantLexicons(aspects=aspects, competitors=CompetitorMatcher())
        self._stars = stars
        self._signer = signer or Signer()

    @property
    def default_model(self) -> StarModel | None:
        return self._stars

    @property
    def default_detector(self) -> LanguageDetector:
        return self._detector

    @property
    def default_lexicons(self) -> TenantLexicons:
        return self._default

    def version(self, model: StarModel | None = None) -> str:
        model = model or self._stars
        return f"{model.version if model else 'stars-none'}+lexicon-2+lingua-{LINGUA_VERSION}"

    def analyze(
        self,
        texts: list[str],
        *,
        model: StarModel | None = None,
        lexicons: TenantLexicons | None = None,
        detector: LanguageDetector | None = None,
        signatures: bool = True,
    ) -> list[TextAnalysis]:
        """Analyses a batch of texts; same order out as in.

        `model` overrides the default star model and `detector` the deployment-wide language set
        (a tenant's detector knows only its marketplaces' languages: faster and fewer confusions).
        """
        if not texts:
            return []
        lexicons = lexicons or self._default
        model = model or self._stars
        languages = (detector or self._detector).detect(texts)
        codes = [lang.code for lang in languages]
        probs = model.predict(texts) if model is not None else None
        negatives = negative_score(probs) if probs is not None else None
        aspects = lexicons.aspects.tag(texts, codes)
        signed = self._signer.sign_many(texts) if signatures else [None] * len(texts)
        results = []
        for i, (text, language) in enumerate(zip(texts, languages)):
            hits = self._lexicon.match(text, language.code)
            results.append(
                TextAnalysis(
                    language=language.code,
                    language_confidence=language.confidence,
                    risk_hits=hits,
                    malicious_candidate=len(hits) >= MALICIOUS_MIN_TERMS,
                    aspects=aspects[i],
                    stars=int(np.argmax(probs[i])) + 1 if probs is not None else None,
                    star_probs=[float(p) for p in probs[i]] if probs is not None else [],
                    negative=float(negatives[i]) if negatives is not None else None,
                    generic=generic_text(text, language=language.code),
                    competitor=lexicons.competitors.find(text, language=language.code),
                    signature=to_bytes(signed[i]) if signed[i] is not None else b"",
                )
            )
        return results


def review_text(title: str, body: str) -> str:
    """The text analysed for a review: its title and body."""
    return f"{title}\n{body}".strip() if title else body
