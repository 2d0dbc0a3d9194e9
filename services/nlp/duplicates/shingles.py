"""Character shingles of normalised review text, the sets whose Jaccard similarity is estimated.

`shingles` is the definition, one text at a time. `normalised_codes` computes the same normalised
texts and shingle lengths for a whole batch with numpy (the Signer hashes shingles from it); tests
hold the two equal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

LATIN_K = 5
# NOTE: one CJK character carries about a word's information, so shorter shingles keep the same
# sensitivity to a changed word as 5-grams do for Latin scripts.
CJK_K = 3
_NOT_WORD = re.compile(r"[\W_]+")


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]")


def normalise(text: str) -> str:
    """Lower-case NFKC text with punctuation gone and runs of spaces as one."""
    # NOTE: copy-paste campaigns vary case, punctuation and spacing; none of that should matter.
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def shingles(text: str, *, k: int | None = None) -> set[str]:
    """The set of k-character shingles of `text` (k by script unless given); a short text is one shingle."""
    norm = normalise(text)
    if not norm:
        return set()
    if k is None:
        cjk = len(_CJK.findall(norm))
        k = CJK_K if cjk * 3 >= len(norm) else LATIN_K
        if k == CJK_K:
            # NOTE: spaces between CJK characters are layout, not words.
            norm = norm.replace(" ", "")
    if len(norm) <= k:
        return {norm}
    return {norm[i:i + k] for i in range(len(norm) - k + 1)}


_CODE_POINTS = 0x110000
_SPACE = np.uint32(ord(" "))


@lru_cache(maxsize=1)
def _classes() -> tuple[np.ndarray, np.ndarray]:
    """Per code point: is it a word character `_NOT_WORD` keeps, and does `_CJK` count it.

    Derived from the two regexes themselves over every code point, so the batch path cannot drift
    from `normalise`/`shingles`; about 0.4 s, once per process.
    """
    every = "".join(map(chr, range(1, _CODE_POINTS)))

    def matched(pattern: re.Pattern[str]) -> np.ndarray:
        out = np.zeros(_CODE_POINTS, dtype=bool)
        marked = pattern.sub("\x00", every).encode("utf-32-le", "surrogatepass")
        out[1:] = np.frombuffer(marked, dtype=np.uint32) == 0
        return out

    word = ~matched(re.compile(_NOT_WORD.pattern.removesuffix("+")))  # [\W_], one character at a time
    word[0] = False
    cjk = matched(_CJK)
    word.flags.writeable = cjk.flags.writeable = False
    return word, cjk


@dataclass(frozen=True)
class Normalised:
    """A batch of normalised texts as one array of code points.

    Text i is `codes[bounds[i]:bounds[i + 1]]` (what `normalise` returns, without the spaces a
    CJK text drops), and its shingles are `k[i]` characters long (a text no longer than that is one
    shingle, an empty one has none).
    """

    codes: np.ndarray  # uint32
    bounds: np.ndarray  # int64, len(texts) + 1
    k: np.ndarray  # int64, len(texts)

    def texts(self) -> list[str]:
        """The normalised texts as strings (for tests and debugging)."""
        joined = self.codes.astype("<u4").tobytes().decode("utf-32-le")
        return [joined[a:b] for a, b in zip(self.bounds[:-1].tolist(), self.bounds[1:].tolist())]


def normalised_codes(texts: Sequence[str]) -> Normalised:
    """`normalise` and the shingle length of every text of a batch, vectorised.

    Same result as the per-text definition: NFKC, casefold, every run of non-word characters as one
    space (none at either end), k by the share of CJK characters, spaces dropped for CJK texts.
    """
    word, cjk = _classes()
    m = len(texts)
    if not m:
        return Normalised(codes=np.zeros(0, dtype=np.uint32), bounds=np.zeros(1, dtype=np.int64), k=np.zeros(0, dtype=np.int64))
    # NOTE: NFKC per text keeps CPython's quick check local (one text needing the slow path does not
    # slow the batch); casefold is per character, so one call over the joined batch is the same.
    # NUL separates texts: it is a non-word character, so one inside a text may become a space first.
    parts = [unicodedata.normalize("NFKC", t.replace("\x00", " ") if "\x00" in t else t) for t in texts]
    joined = "\x00".join(parts).casefold()
    cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    n = cp.size
    is_word = word[cp]
    separators = np.flatnonzero(cp == 0)
    text_start = np.concatenate([[0], separators + 1])
    text_end = np.append(separators, n)
    # A run of non-word characters becomes one space when a word character comes right before it
    # and another one after it in the same text (so never at either end of a text).
    runs = np.flatnonzero(is_word[:-1] & ~is_word[1:]) + 1
    runs = runs[cp[runs] != 0]
    run_text = np.searchsorted(separators, runs)
    words = np.flatnonzero(is_word)
    following = np.searchsorted(words, runs)
    inside = following < words.size
    inside[inside] = words[following[inside]] < text_end[run_text[inside]]
    spaces, space_text = runs[inside], run_text[inside]
    counted = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(is_word, out=counted[1:])
    word_count = counted[text_end] - counted[text_start]
    np.cumsum(is_word & cjk[cp], out=counted[1:])
    cjk_count = counted[text_end] - counted[text_start]
    space_count = np.bincount(space_text, minlength=m)
    # NOTE: the CJK share is taken with the spaces, which a CJK text then drops.
    short = cjk_count * 3 >= word_count + space_count
    spaces = spaces[~short[space_text]]
    keep = is_word.copy()
    keep[spaces] = True
    codes = cp.copy()
    codes[spaces] = _SPACE
    bounds = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(word_count + np.where(short, 0, space_count), out=bounds[1:])
    return Normalised(codes=codes[keep], bounds=bounds, k=np.where(short, CJK_K, LATIN_K))
