"""Language identification with lingua, limited to the languages a deployment expects."""

from __future__ import annotations

from dataclasses import dataclass

from lingua import IsoCode639_1, LanguageDetectorBuilder

UNDETERMINED = "und"


@dataclass(frozen=True)
class DetectedLanguage:
    code: str
    confidence: float


class LanguageDetector:
    """Detects the language of review texts among a fixed set of ISO 639-1 codes."""

    def __init__(self, codes: list[str]) -> None:
        isos = []
        for code in codes:
            try:
                isos.append(getattr(IsoCode639_1, code.strip().upper()))
            except AttributeError:
                raise ValueError(f"lingua does not know the language code {code!r}") from None
        if len(isos) < 2:
            raise ValueError("language detection needs at least two candidate languages")
        # NOTE: preloading costs start-up time but keeps the first batches as fast as the rest.
        self._detector = LanguageDetectorBuilder.from_iso_codes_639_1(*isos).with_preloaded_language_models().build()
        self.codes = [iso.name.lower() for iso in isos]

    def detect(self, texts: list[str]) -> list[DetectedLanguage]:
        """The most likely language of each text with its confidence, "und" when none."""
        results = []
        for values in self._detector.compute_language_confidence_values_in_parallel(texts):
            if not values or values[0].value <= 0.0:
                results.append(DetectedLanguage(UNDETERMINED, 0.0))
            else:
                best = values[0]
                results.append(DetectedLanguage(best.language.iso_code_639_1.name.lower(), float(best.value)))
        return results
