"""The base aspect lexicon of SPEC §3, per language, read from data/aspect_terms.json."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from services.nlp.aspects.models import ASPECTS

DEFAULT_TAXONOMY = Path(__file__).resolve().parent.parent / "data" / "aspect_terms.json"

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def normalise(text: str) -> str:
    """NFKC, case-folded text with one kind of apostrophe: what terms and patterns are matched on."""
    # NOTE: NFKC folds full-width Latin and half-width katakana; curly apostrophes are common in
    # "doesn’t" from phones, and the negation cues are written with a straight one.
    return unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)


@dataclass(frozen=True)
class Taxonomy:
    """Terms per language and aspect; immutable, shared by every tenant's tagger."""

    terms: Mapping[str, Mapping[str, tuple[str, ...]]]

    @classmethod
    def from_dict(cls, entries: Mapping[str, Mapping[str, list[str]]]) -> "Taxonomy":
        terms: dict[str, Mapping[str, tuple[str, ...]]] = {}
        for language, aspects in entries.items():
            if language.startswith("_"):
                continue
            unknown = set(aspects) - set(ASPECTS)
            if unknown:
                raise ValueError(f"unknown aspects for {language}: {sorted(unknown)}")
            terms[language] = MappingProxyType({a: tuple(t) for a, t in aspects.items()})
        return cls(MappingProxyType(terms))

    @classmethod
    def load(cls, path: Path = DEFAULT_TAXONOMY) -> "Taxonomy":
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.terms)
