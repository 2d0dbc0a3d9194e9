"""The multilingual risk lexicon, matched in one pass over a text (Aho-Corasick)."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

DEFAULT_LEXICON = Path(__file__).parent / "data" / "risk_terms.json"


@dataclass(frozen=True)
class RiskHit:
    term: str
    category: str
    language: str


def _normalise(text: str) -> str:
    # NOTE: NFKC folds full-width Latin and half-width katakana, so "ＦＡＫＥ" matches "fake".
    return unicodedata.normalize("NFKC", text).casefold()


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() and not _is_cjk(ch)


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return 0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xAC00 <= code <= 0xD7AF


class RiskLexicon:
    """Finds risk terms of every language in a text; each distinct term counts once."""

    def __init__(self, entries: dict[str, dict[str, list[str]]]) -> None:
        self._automaton = ahocorasick.Automaton()
        self.languages = {lang for lang in entries if not lang.startswith("_")}
        for language, categories in entries.items():
            if language.startswith("_"):
                continue
            for category, terms in categories.items():
                for raw in terms:
                    stem = raw.endswith("*")
                    term = _normalise(raw.rstrip("*"))
                    # NOTE: one term may belong to several languages ("fake" in en and de): keep them all;
                    # its category is the first one given.
                    if term in self._automaton:
                        known = self._automaton.get(term)
                        self._automaton.add_word(term, (known[0], known[1], known[2] | {language}, known[3] or stem))
                    else:
                        self._automaton.add_word(term, (term, category, frozenset({language}), stem))
        self._automaton.make_automaton()
        self.size = len(self._automaton)

    @classmethod
    def load(cls, path: Path = DEFAULT_LEXICON) -> "RiskLexicon":
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def match(self, text: str, language: str | None = None) -> list[RiskHit]:
        """Distinct risk terms in `text`, in order of first appearance.

        With a detected `language`, only that language's terms count: the German "brand" (fire)
        must not fire on an English review about a brand. Unknown languages match every term.
        """
        folded = _normalise(text)
        spans = []
        for end, (term, category, languages, stem) in self._automaton.iter(folded):
            if language and language != "und" and language in self.languages and language not in languages:
                continue
            start = end - len(term) + 1
            if _is_word_char(term[0]) and start > 0 and _is_word_char(folded[start - 1]):
                continue
            if not stem and _is_word_char(term[-1]) and end + 1 < len(folded) and _is_word_char(folded[end + 1]):
                continue
            owner = language if language in languages else sorted(languages)[0]
            spans.append((start, end, RiskHit(term=term, category=category, language=owner)))
        # NOTE: "caught fire" also contains "fire": a hit inside a longer hit does not count again.
        spans.sort(key=lambda s: (s[0], -s[1]))
        seen: dict[str, RiskHit] = {}
        covered_until = -1
        for start, end, hit in spans:
            if end <= covered_until:
                continue
            covered_until = end
            seen.setdefault(hit.term, hit)
        return list(seen.values())
