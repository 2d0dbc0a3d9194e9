"""The result of translating one text: the translation and the original, always together."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Translation:
    """A translated text with its original; `detected_source` is an ISO 639-1 code or "und"."""

    text: str
    original: str
    detected_source: str
    provider: str

    @property
    def translated(self) -> bool:
        return self.text != self.original


def iso639_1(code: str | None) -> str:
    """A provider's language code ("DE", "EN-US", "zh-CN") as lower-case ISO 639-1, "und" if none."""
    if not code:
        return "und"
    return code.split("-")[0].split("_")[0].lower() or "und"
