"""Finds wording a platform forbids in a seller's reply or message, in any supported language."""

from __future__ import annotations

import logging
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from libs.errors import FieldViolation, InvalidArgument
from services.resolution.compliance.models import CheckResult, PlatformPolicy, Rule, Violation

log = logging.getLogger(__name__)

LEXICON_PATH = Path(__file__).with_name("lexicon.toml")
POLICIES_PATH = Path(__file__).with_name("policies.toml")
LANGUAGES = ("en", "de", "fr", "es", "it", "ja", "zh")

_ORDER_ID_SHAPES = (
    re.compile(r"\d{3}-\d{7}-\d{7}"),  # Amazon
    re.compile(r"\d{2}-\d{5}-\d{5}"),  # eBay
)
_ORDER_WORDS = re.compile(r"(order|bestell|auftrag|commande|pedido|ordine|sendung|tracking|注文|订单|運送|追跡|快递)")
_HOST = re.compile(r"^(?:https?://)?(?:www\.)?([^/\s:?#]+)")


@dataclass(frozen=True)
class Normalised:
    """Text after NFKC + casefold + whitespace folding, with each character's source span."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[end - 1]


def normalise(text: str) -> Normalised:
    """NFKC + casefold, whitespace runs as one space and ’ as ', mapping back to the original."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        # NOTE: a base character and its combining marks are normalised together, so "e" + U+0301
        # composes to "é" just as whole-string NFKC would, while positions stay traceable.
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        chunk = unicodedata.normalize("NFKC", text[i:j]).casefold().replace("\u2019", "'")
        if chunk.isspace():
            if out and out[-1] == " ":
                ends[-1] = j
                i = j
                continue
            chunk = " "
        for ch in chunk:
            out.append(ch)
            starts.append(i)
            ends.append(j)
        i = j
    return Normalised("".join(out), tuple(starts), tuple(ends))


def _is_latin_word_char(ch: str) -> bool:
    return ch.isalnum() and ord(ch) < 0x2E80


@dataclass(frozen=True)
class _Pattern:
    rule_id: str
    language: str
    regex: re.Pattern[str]


class Checker:
    """Compiled lexicon and platform policies; build once with `load_checker` and share."""

    def __init__(self, *, rules: dict[str, Rule], policies: dict[str, PlatformPolicy], phrases: dict[str, dict[str, list[str]]], patterns: list[_Pattern]) -> None:
        self.rules = rules
        self.policies = policies
        self._patterns = patterns
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[str, str]]] = {}
        for rule_id, by_language in phrases.items():
            for language, words in by_language.items():
                for word in words:
                    key = normalise(word).text
                    entries.setdefault(key, []).append((rule_id, language))
        for key, owners in entries.items():
            self._automaton.add_word(key, (key, tuple(owners)))
        if entries:
            self._automaton.make_automaton()

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(sorted(self.policies))

    def check(self, *, text: str, platform: str) -> CheckResult:
        """Every forbidden phrase in `text` for `platform`, each with its rule, span and reason."""
        policy = self.policies.get(platform.strip().lower())
        if policy is None:
            raise InvalidArgument(
                f"unknown platform {platform!r}", [FieldViolation("platform", f"one of {', '.join(self.platforms)}")]
            )
        norm = normalise(text)
        found: list[tuple[int, int, str, str]] = []
        found.extend(self._phrase_hits(norm.text, policy))
        found.extend(self._pattern_hits(norm.text, policy))
        violations = self._to_violations(found, norm, text, policy)
        if violations:
            log.debug("compliance: %d violation(s) for %s", len(violations), policy.platform)
        return CheckResult(platform=policy.platform, violations=violations)

    def _phrase_hits(self, text: str, policy: PlatformPolicy) -> list[tuple[int, int, str, str]]:
        hits = []
        if not len(self._automaton):
            return hits
        for end_index, (key, owners) in self._automaton.iter(text):
            start, end = end_index - len(key) + 1, end_index + 1
            # NOTE: "bribe" must not fire inside "describe"; CJK text has no spaces, so no boundary there.
            if _is_latin_word_char(key[0]) and start > 0 and _is_latin_word_char(text[start - 1]):
                continue
            if _is_latin_word_char(key[-1]) and end < len(text) and _is_latin_word_char(text[end]):
                continue
            for rule_id, language in owners:
                if rule_id in policy.rules:
                    hits.append((start, end, rule_id, language))
        return hits

    def _pattern_hits(self, text: str, policy: PlatformPolicy) -> list[tuple[int, int, str, str]]:
        hits = []
        for pattern in self._patterns:
            if pattern.rule_id not in policy.rules:
                continue
            for match in pattern.regex.finditer(text):
                group = "hit" if "hit" in pattern.regex.groupindex else 0
                start, end = match.span(group)
                if start == end or not self._plausible(pattern.rule_id, text, start, end, policy):
                    continue
                hits.append((start, end, pattern.rule_id, pattern.language))
        return hits

    @staticmethod
    def _plausible(rule_id: str, text: str, start: int, end: int, policy: PlatformPolicy) -> bool:
        """Filters for contact patterns that would otherwise catch order numbers or allowed links."""
        value = text[start:end]
        if rule_id == "contact.phone":
            digits = sum(ch.isdigit() for ch in value)
            if not 8 <= digits <= 15:
                return False
            if any(shape.fullmatch(value.strip()) for shape in _ORDER_ID_SHAPES):
                return False
            # NOTE: a long number right after "order"/"注文" is an order or tracking number, not a phone.
            if _ORDER_WORDS.search(text[max(0, start - 25) : start]):
                return False
        if rule_id == "contact.url":
            host = _HOST.match(value)
            labels = set(host.group(1).split(".")) if host else set()
            if labels & policy.allowed_domain_labels:
                return False
        return True

    def _to_violations(
        self, found: list[tuple[int, int, str, str]], norm: Normalised, original: str, policy: PlatformPolicy
    ) -> tuple[Violation, ...]:
        # NOTE: a phrase and a pattern often catch the same words; keep the widest hit per rule, and
        # let an email swallow the bare domain inside it.
        found.sort(key=lambda h: (h[0], -(h[1] - h[0])))
        kept: list[tuple[int, int, str, str]] = []
        for hit in found:
            start, end, rule_id, _ = hit
            if any(
                k[0] <= start and end <= k[1] and (k[2] == rule_id or (k[2] == "contact.email" and rule_id == "contact.url"))
                for k in kept
            ):
                continue
            kept.append(hit)
        violations = []
        for start, end, rule_id, language in kept:
            o_start, o_end = norm.original_span(start, end)
            violations.append(
                Violation(
                    rule_id=rule_id,
                    platform=policy.platform,
                    phrase=original[o_start:o_end],
                    start=o_start,
                    end=o_end,
                    language=language,
                    explanation=f"{self.rules[rule_id].explanation} ({policy.name}: {policy.policy})",
                )
            )
        return tuple(violations)


def load_checker(*, lexicon_path: Path = LEXICON_PATH, policies_path: Path = POLICIES_PATH) -> Checker:
    """A checker compiled from the lexicon and platform policy files."""
    lexicon = tomllib.loads(lexicon_path.read_text(encoding="utf-8"))
    policy_data = tomllib.loads(policies_path.read_text(encoding="utf-8"))
    rules: dict[str, Rule] = {}
    phrases: dict[str, dict[str, list[str]]] = {}
    patterns: list[_Pattern] = []
    for rule_id, spec in lexicon["rules"].items():
        rules[rule_id] = Rule(id=rule_id, explanation=spec["explanation"])
        phrases[rule_id] = spec.get("phrases", {})
        for language, regexes in spec.get("patterns", {}).items():
            patterns.extend(_Pattern(rule_id, language, re.compile(regex)) for regex in regexes)
    policies = {}
    for platform, spec in policy_data["platforms"].items():
        unknown = set(spec["rules"]) - set(rules)
        if unknown:
            raise ValueError(f"policy of {platform} names unknown rules {sorted(unknown)}")
        policies[platform] = PlatformPolicy(
            platform=platform,
            name=spec["name"],
            policy=spec["policy"],
            rules=frozenset(spec["rules"]),
            allowed_domain_labels=frozenset(spec.get("allowed_domain_labels", ())),
        )
    return Checker(rules=rules, policies=policies, phrases=phrases, patterns=patterns)


def check(*, text: str, platform: str, checker: Checker | None = None) -> CheckResult:
    """Checks `text` for `platform`; pass a shared `checker` to avoid recompiling the lexicon."""
    return (checker or load_checker()).check(text=text, platform=platform)
