"""Language identification with lingua, limited to the languages a deployment expects."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lingua import IsoCode639_1, LanguageDetectorBuilder

UNDETERMINED = "und"
# NOTE: lingua's low-accuracy mode is as accurate as the full one on texts of this length and
# about four times faster; shorter texts get the full model.
LONG_TEXT_CHARS = 80
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")


@dataclass(frozen=True)
class DetectedLanguage:
    code: str
    confidence: float


class LanguageDetector:
    """Detects the language of review texts among a fixed set of ISO 639-1 codes."""

    def __init__(self, codes: list[str], *, fallback: LanguageDetector | None = None) -> None:
        # NOTE: a text none of `codes` can account for (Japanese among German and English: no
        # shared script) goes to `fallback`, so a narrow scope is fast without blinding it.
        self._fallback = fallback
        isos = []
        for code in codes:
            try:
                isos.append(getattr(IsoCode639_1, code.strip().upper()))
            except AttributeError:
                raise ValueError(f"lingua does not know the language code {code!r}") from None
        if len(isos) < 2:
            raise ValueError("language detection needs at least two candidate languages")
        # NOTE: preloading costs start-up time but keeps the first batches as fast as the rest.
        self._accurate = LanguageDetectorBuilder.from_iso_codes_639_1(*isos).with_preloaded_language_models().build()
        self._fast = (
            LanguageDetectorBuilder.from_iso_codes_639_1(*isos).with_preloaded_language_models().with_low_accuracy_mode().build()
        )
        self.codes = [iso.name.lower() for iso in isos]

    def detect(self, texts: list[str]) -> list[DetectedLanguage]:
        """The most likely language of each text with its confidence, "und" when none."""
        results: list[DetectedLanguage | None] = [None] * len(texts)
        short, long = [], []
        for i, text in enumerate(texts):
            # NOTE: kana only occur in Japanese and hangul in Korean: no model needed for those.
            if "ja" in self.codes and _KANA.search(text):
                results[i] = DetectedLanguage("ja", 1.0)
            elif "ko" in self.codes and _HANGUL.search(text):
                results[i] = DetectedLanguage("ko", 1.0)
            else:
                (long if len(text) >= LONG_TEXT_CHARS else short).append(i)
        for detector, indexes in ((self._fast, long), (self._accurate, short)):
            if not indexes:
                continue
            for i, values in zip(indexes, detector.compute_language_confidence_values_in_parallel([texts[j] for j in indexes])):
                if not values or values[0].value <= 0.0:
                    results[i] = DetectedLanguage(UNDETERMINED, 0.0)
                else:
                    best = values[0]
                    results[i] = DetectedLanguage(best.language.iso_code_639_1.name.lower(), float(best.value))
        if self._fallback is not None:
            unknown = [i for i, result in enumerate(results) if result is not None and result.code == UNDETERMINED]
            for i, result in zip(unknown, self._fallback.detect([texts[i] for i in unknown]) if unknown else []):
                results[i] = result
        return results  # type: ignore[return-value]


class ScopedDetectors:
    """One detector per language scope (a tenant's marketplaces' languages), built on first use.

    Cheap: lingua shares loaded language models between detectors, so a new scope costs no
    memory and under a millisecond once the deployment-wide detector has preloaded them.
    """

    def __init__(self, universe: LanguageDetector) -> None:
        self.universe = universe
        self._scoped: dict[frozenset[str], LanguageDetector] = {}

    def get(self, codes: list[str]) -> LanguageDetector:
        key = frozenset(codes)
        if key == frozenset(self.universe.codes):
            return self.universe
        detector = self._scoped.get(key)
        if detector is None:
            detector = self._scoped[key] = LanguageDetector(sorted(key), fallback=self.universe)
        return detector
