"""Negation cues per language: does a cue negate the term found at [start, end) of a text?"""

from __future__ import annotations

import re
from dataclasses import dataclass

# NOTE: Latin-script languages put the cue before the term ("not damaged", "nicht kaputt",
# "pas cassé", "no llegó roto", "non rotto"), within a few words and in the same clause.
WINDOW_TOKENS = 3
_LOOKBACK_CHARS = 60
_TOKEN = re.compile(r"[\w']+")

_LATIN_CUES: dict[str, frozenset[str]] = {
    "en": frozenset({"not", "no", "never", "without", "neither", "nor", "hardly", "nothing", "none", "cannot",
                     "isnt", "wasnt", "didnt", "doesnt", "dont", "arent", "werent", "wont", "havent", "hasnt"}),
    "de": frozenset({"nicht", "nie", "niemals", "ohne", "weder", "nichts", "kaum"}),
    "fr": frozenset({"ne", "pas", "jamais", "aucun", "aucune", "sans", "ni", "non", "rien"}),
    "es": frozenset({"no", "nunca", "sin", "ni", "ningún", "ninguna", "ninguno", "jamás", "tampoco", "nada"}),
    "it": frozenset({"non", "mai", "senza", "né", "nessun", "nessuna", "nessuno", "niente", "nulla", "nemmeno", "neanche"}),
}
_CUE_PREFIXES: dict[str, tuple[str, ...]] = {"de": ("kein",), "fr": ("n'",)}
_CUE_SUFFIXES: dict[str, tuple[str, ...]] = {"en": ("n't",)}

# NOTE: a cue in the previous clause does not reach the term: "not cheap, but arrived damaged".
_CLAUSE_BREAK = re.compile(
    r"[.,;:!?()\n]|\b(?:but|however|although|though|aber|sondern|jedoch|trotzdem|mais|cependant|pourtant"
    r"|pero|sino|aunque|però|ma|tuttavia)\b"
)

# NOTE: Japanese negates after the verb: 壊れていない, 破損はありません, 傷もなかった, 偽物ではない.
_JA_SUFFIX = re.compile(r"[\u3040-\u309f]{0,4}?(?:ない|なく|なし|ません|なかった|ず|無い|無く|無し)")
_JA_LOOKAHEAD = 12
# NOTE: Chinese negates before: 没坏, 没有破损, 并没有任何破损, 不是假货, 未发现破损, 无破损.
_ZH_PREFIX = re.compile(
    r"(?:没有?|不|未|无|非|并没有?|并不|从未|从没)(?:有|是|被|任何|什么|出现|发现|一点|遇到|会|看到|见){0,2}$"
)
_ZH_LOOKBACK = 8


@dataclass(frozen=True)
class NegationRules:
    """How one language marks negation; `is_negated` answers for a term at [start, end)."""

    language: str

    def is_negated(self, text: str, start: int, end: int) -> bool:
        """True when a cue of this language negates the term spanning text[start:end]."""
        if self.language == "ja":
            return _JA_SUFFIX.match(text, end, min(len(text), end + _JA_LOOKAHEAD)) is not None
        if self.language == "zh":
            return _ZH_PREFIX.search(text[max(0, start - _ZH_LOOKBACK):start]) is not None
        cues = _LATIN_CUES.get(self.language)
        if cues is None:
            return False
        before = text[max(0, start - _LOOKBACK_CHARS):start]
        breaks = list(_CLAUSE_BREAK.finditer(before))
        if breaks:
            before = before[breaks[-1].end():]
        prefixes = _CUE_PREFIXES.get(self.language, ())
        suffixes = _CUE_SUFFIXES.get(self.language, ())
        for token in _TOKEN.findall(before)[-WINDOW_TOKENS:]:
            if token in cues or (prefixes and token.startswith(prefixes)) or (suffixes and token.endswith(suffixes)):
                return True
        return False
