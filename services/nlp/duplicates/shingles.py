"""Character shingles of normalised review text, the sets whose Jaccard similarity is estimated."""

from __future__ import annotations

import re
import unicodedata

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
