"""Tags review texts with aspects in one Aho-Corasick pass per text, negation-aware."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import ahocorasick

from services.nlp.aspects.models import ANY_LANGUAGE, ASPECTS, PROBLEM_ASPECTS, AspectHit, TenantTag
from services.nlp.aspects.negation import NegationRules
from services.nlp.aspects.taxonomy import _APOSTROPHES, Taxonomy, normalise

log = logging.getLogger(__name__)

# NOTE: the automaton for a text whose language is unknown or has no lexicon of its own.
_FALLBACK = "*"
_APOSTROPHE_REPLACEMENTS = tuple((chr(code), to) for code, to in _APOSTROPHES.items())


def _fold(text: str) -> str:
    """`taxonomy.normalise`, faster: str.translate looks up every character of a non-ASCII text in
    the table, while the few apostrophes it maps are found (and seldom present) by a plain scan."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    for char, to in _APOSTROPHE_REPLACEMENTS:
        if char in folded:
            folded = folded.replace(char, to)
    return folded


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return 0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xAC00 <= code <= 0xD7AF


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() and not _is_cjk(ch)


@dataclass(frozen=True)
class _Entry:
    """What one term in an automaton stands for."""

    tag: int
    term: str
    stem: bool
    negatable: bool
    rules: NegationRules


@dataclass(frozen=True)
class _Pattern:
    tag: int
    regex: re.Pattern[str]
    negatable: bool
    rules: NegationRules


class AspectTagger:
    """The base taxonomy plus one tenant's tags; immutable, so one instance serves every thread.

    Build one per tenant (tags change rarely: the service keeps them in PostgreSQL and rebuilds the
    tagger when their fingerprint changes; see `fingerprint`).
    """

    def __init__(self, *, taxonomy: Taxonomy, tenant_tags: Sequence[TenantTag] = ()) -> None:
        names = list(ASPECTS)
        for tag in tenant_tags:
            if tag.name not in names:
                names.append(tag.name)
        self.tags: tuple[str, ...] = tuple(names)
        self.fingerprint = self.fingerprint_of(tenant_tags)
        index = {name: i for i, name in enumerate(self.tags)}
        languages = set(taxonomy.languages) | {t.language for t in tenant_tags if t.language != ANY_LANGUAGE}
        rules = {lang: NegationRules(lang) for lang in languages}

        # term -> entries, per automaton (one per language, plus the fallback holding every language)
        tables: dict[str, dict[str, dict[tuple[int, bool], _Entry]]] = {lang: {} for lang in languages}
        tables[_FALLBACK] = {}

        def add(language: str, tag: int, raw: str, negatable: bool) -> None:
            # NOTE: "!" marks a defect word ("broken") that negation cancels even in a topic aspect.
            negatable = negatable or raw.startswith("!")
            stem = raw.endswith("*")
            term = normalise(raw.lstrip("!").rstrip("*").strip())
            if not term:
                return
            targets = [language, _FALLBACK] if language != ANY_LANGUAGE else [*languages, _FALLBACK]
            for target in targets:
                # NOTE: a tag for every language negates by the rules of the automaton's language.
                source = language if language != ANY_LANGUAGE else target
                entry = _Entry(tag, term, stem, negatable, rules.get(source) or NegationRules("und"))
                # NOTE: a term may stand for several tags ("damaged" base + a tenant's "transport");
                # within one tag the first spelling wins.
                tables[target].setdefault(term, {}).setdefault((tag, stem), entry)

        for language, aspects in taxonomy.terms.items():
            for aspect, terms in aspects.items():
                for raw in terms:
                    add(language, index[aspect], raw, aspect in PROBLEM_ASPECTS)
        patterns: dict[str, list[_Pattern]] = {lang: [] for lang in [*languages, _FALLBACK]}
        for tag in tenant_tags:
            negatable = tag.negatable or tag.name in PROBLEM_ASPECTS
            for raw in tag.keywords:
                add(tag.language, index[tag.name], raw, negatable)
            for source in tag.patterns:
                regex = re.compile(source, re.IGNORECASE)
                targets = [tag.language, _FALLBACK] if tag.language != ANY_LANGUAGE else [*languages, _FALLBACK]
                for target in targets:
                    lang_rules = rules.get(target) or rules.get(tag.language) or NegationRules("und")
                    patterns[target].append(_Pattern(index[tag.name], regex, negatable, lang_rules))

        self._automata: dict[str, ahocorasick.Automaton] = {}
        for language, table in tables.items():
            automaton = ahocorasick.Automaton()
            for term, entries in table.items():
                automaton.add_word(term, (len(term), tuple(entries.values())))
            if len(automaton):
                automaton.make_automaton()
                self._automata[language] = automaton
        self._patterns = {lang: tuple(p) for lang, p in patterns.items() if p}
        log.debug("aspect tagger built: %d tags, %d languages", len(self.tags), len(self._automata))

    @classmethod
    def load(cls, *, tenant_tags: Sequence[TenantTag] = ()) -> "AspectTagger":
        """The tagger over the packaged base taxonomy plus `tenant_tags`."""
        return cls(taxonomy=Taxonomy.load(), tenant_tags=tenant_tags)

    @staticmethod
    def fingerprint_of(tenant_tags: Sequence[TenantTag]) -> str:
        """A digest of a tenant's tag set: equal digests mean an existing tagger can be reused."""
        return hashlib.sha1(",".join(sorted(t.fingerprint() for t in tenant_tags)).encode()).hexdigest()

    def tag(self, texts: Sequence[str], languages: Sequence[str]) -> list[list[str]]:
        """The tags of each text, in taxonomy order then tenant order; `languages` are ISO codes."""
        if len(texts) != len(languages):
            raise ValueError("texts and languages differ in length")
        tags = self.tags
        out = []
        for text, language in zip(texts, languages):
            found = {hit.tag for hit in self._hits(text, language) if not hit.negated}
            out.append([tags[i] for i in sorted(found)])
        return out

    def explain(self, text: str, language: str) -> list[AspectHit]:
        """Every term hit in `text`, negated ones included, for debugging and audit."""
        folded = _fold(text)
        return [
            AspectHit(tag=self.tags[h.tag], term=h.term, start=h.start, end=h.end, negated=h.negated)
            for h in self._hits(text, language, folded=folded)
        ]

    def _hits(self, text: str, language: str, *, folded: str | None = None) -> list["_Hit"]:
        if folded is None:
            folded = _fold(text)
        key = language if language in self._automata else _FALLBACK
        automaton = self._automata.get(key)
        spans: list[tuple[int, int, _Entry]] = []
        if automaton is not None:
            size = len(folded)
            for end, (length, entries) in automaton.iter(folded):
                start = end - length + 1
                first, last = folded[start], folded[end]
                left_ok = not (_is_word_char(first) and start > 0 and _is_word_char(folded[start - 1]))
                if not left_ok:
                    continue
                right_bound = not (_is_word_char(last) and end + 1 < size and _is_word_char(folded[end + 1]))
                for entry in entries:
                    if right_bound or entry.stem:
                        spans.append((start, end + 1, entry))
        hits: list[_Hit] = []
        if spans:
            # NOTE: "arrived broken" (damaged) contains "broken" (quality): only the longer term counts.
            spans.sort(key=lambda s: (s[0], -s[1]))
            covered_until = -1
            cover_start = -1
            for start, end, entry in spans:
                if end <= covered_until and not (start == cover_start and end == covered_until):
                    continue
                if end > covered_until:
                    covered_until, cover_start = end, start
                negated = entry.negatable and entry.rules.is_negated(folded, start, end)
                hits.append(_Hit(entry.tag, entry.term, start, end, negated))
        for pattern in self._patterns.get(key, ()):
            for match in pattern.regex.finditer(folded):
                negated = pattern.negatable and pattern.rules.is_negated(folded, match.start(), match.end())
                hits.append(_Hit(pattern.tag, match.group(0), match.start(), match.end(), negated))
        return hits


@dataclass(frozen=True, slots=True)
class _Hit:
    tag: int
    term: str
    start: int
    end: int
    negated: bool
