"""Deterministic, vectorised hashed word and character n-gram featurisation shared by training and serving."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

log = logging.getLogger(__name__)

# Kinds of feature ("views"), pooled apart by the sqrt_views pooling.
VIEW_DOC, VIEW_CHAR, VIEW_WORD = 0, 1, 2
N_VIEWS = 3

# Character classes used to cut tokens.
SPACE, WORD, CJK, PUNCT = 0, 1, 2, 3

_U64 = np.uint64
_MASK_POW = 31  # NOTE: positions past 31 inside one word reuse the last multiplier; harmless for hashing.
_POLY = _U64(0x100000001B3)  # FNV-64 prime: odd, so the polynomial hash keeps all code point bits.
# NOTE: one seed per namespace so that e.g. the word "ok" and the char bigram "ok" land in different buckets.
_NS_WORD = _U64(0x9E3779B97F4A7C15)
_NS_BIGRAM = _U64(0xC2B2AE3D27D4EB4F)
_NS_CHAR = _U64(0x165667B19E3779F9)
_NS_PHRASE = _U64(0x27D4EB2F165667C5)
_FIB = _U64(0xD6E8FEB86659FD93)  # NOTE: odd, well-mixed multiplier (splitmix-style constant)


@dataclass(frozen=True)
class FeatureConfig:
    """Parameters of the featuriser; stored in the model's metadata so serving matches training."""

    n_buckets: int = 1 << 20
    char_ngrams: tuple[int, ...] = (2, 3, 4)
    # NOTE: single characters carry meaning only in scripts without spaces (ja/zh) and for
    # punctuation/emoji; latin letters alone are noise, so unigrams are limited to those classes.
    cjk_unigrams: bool = True
    word_bigrams: bool = True
    cjk_phrases: bool = True
    max_chars: int = 2000
    # NOTE: word-bounded character n-grams (scikit-learn's "char_wb"): n-grams of 3+ characters
    # never span a space, and every text is padded with a space on both sides, so " nicht" and
    # "lich " are features but "t e" is not. False keeps the original across-space n-grams (models
    # trained before this option load unchanged: from_dict defaults the missing key to False).
    char_word_bounded: bool = False
    version: int = 2  # NOTE: bump whenever hashing or tokenisation changes: old models then refuse to load

    def __post_init__(self) -> None:
        if self.n_buckets < 2 or self.n_buckets & (self.n_buckets - 1):
            raise ValueError(f"n_buckets must be a power of two, got {self.n_buckets}")

    def to_dict(self) -> dict:
        """Return a JSON-serialisable dict."""
        d = asdict(self)
        d["char_ngrams"] = list(self.char_ngrams)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> FeatureConfig:
        """Build from a dict written by to_dict."""
        d = dict(d)
        d["char_ngrams"] = tuple(d.get("char_ngrams", (2, 3, 4)))
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@lru_cache(maxsize=1)
def _class_table() -> np.ndarray:
    """Class of every BMP code point (read-only, built once)."""
    tbl = np.zeros(0x10000, dtype=np.uint8)
    for cp in range(0x10000):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if cat[0] in "LMN":
            if (
                0x3040 <= cp <= 0x30FF  # hiragana, katakana
                or 0x3400 <= cp <= 0x4DBF
                or 0x4E00 <= cp <= 0x9FFF  # CJK ideographs
                or 0xF900 <= cp <= 0xFAFF
                or 0xAC00 <= cp <= 0xD7AF  # hangul
                or 0xFF66 <= cp <= 0xFF9F  # half-width katakana
            ):
                tbl[cp] = CJK
            else:
                tbl[cp] = WORD
        elif cat[0] in "PS":
            tbl[cp] = PUNCT
        else:
            tbl[cp] = SPACE  # Z*, C*: whitespace, controls, unassigned
    tbl[ord("_")] = WORD
    tbl.flags.writeable = False
    return tbl


@lru_cache(maxsize=1)
def _powers() -> np.ndarray:
    """Multipliers POLY**k for positions inside a word."""
    p = np.array([pow(int(_POLY), k, 1 << 64) for k in range(_MASK_POW + 1)], dtype=np.uint64)
    p.flags.writeable = False
    return p


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads polynomial hashes over all 64 bits."""
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def normalise_many(texts: Sequence[str], max_chars: int) -> list[str]:
    """NFKC, lower-case, whitespace collapsed, truncated; one string per text (non-strings -> "")."""
    cut = max_chars * 2
    parts = [t if isinstance(t, str) else "" for t in texts]
    parts = [t if len(t) <= cut else t[:cut] for t in parts]
    # NOTE: per-text NFKC hits CPython's quick check (most reviews are already normalised), while
    # lower() is cheapest as one pass over all texts joined by NUL (removed from the texts first).
    parts = [unicodedata.normalize("NFKC", t.replace("\x00", " ") if "\x00" in t else t) for t in parts]
    joined = "\x00".join(parts).lower()
    return [" ".join(t.split())[:max_chars] for t in joined.split("\x00")]


def normalise(text: str, max_chars: int) -> str:
    """normalise_many for one text."""
    return normalise_many([text], max_chars)[0]


def featurize(texts: Sequence[str], cfg: FeatureConfig, *, grouped: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Map texts to (ids, seg): bucket ids of every feature and the index of the text it belongs to.

    Every text gets bucket 0 (a 'document' feature) so that no bag is empty. With grouped=True
    ids are ordered by text (seg non-decreasing); serving skips that sort since a scatter-add
    does not care about order.
    """
    ids, seg, _ = featurize_views(texts, cfg, grouped=grouped)
    return ids, seg


def view_weights(seg: np.ndarray, view: np.ndarray, n: int, pooling: str) -> tuple[np.ndarray, np.ndarray]:
    """(key, weights): key = seg * N_VIEWS + view per occurrence, weights[key] = its pooling weight.

    mean: 1/n_text; sqrt: 1/sqrt(n_text); sqrt_views: 1/sqrt(count of the occurrence's view
    in its text) - chars and words are normalised apart, so long texts' many char n-grams do not
    drown the word features - and the document feature keeps 1/sqrt(n_text) as a length cue.
    One weight per (text, view) lets the ONNX graph weight after the scatter-add: n*3 multiplies
    instead of one per n-gram.
    """
    key = seg * N_VIEWS + view
    vc = np.bincount(key, minlength=n * N_VIEWS).reshape(n, N_VIEWS).astype(np.float32)
    counts = vc.sum(axis=1, keepdims=True)
    if pooling == "mean":
        w = np.broadcast_to(1.0 / np.maximum(counts, 1), vc.shape)
    elif pooling == "sqrt":
        w = np.broadcast_to(1.0 / np.sqrt(np.maximum(counts, 1)), vc.shape)
    elif pooling == "sqrt_views":
        w = 1.0 / np.sqrt(np.maximum(vc, 1))
        w[:, VIEW_DOC] = 1.0 / np.sqrt(np.maximum(counts[:, 0], 1))
    else:
        raise ValueError(f"unknown pooling {pooling!r}")
    return key, np.ascontiguousarray(w, dtype=np.float32).reshape(-1)


def occurrence_weights(seg: np.ndarray, view: np.ndarray, n: int, pooling: str) -> np.ndarray:
    """Pooling weight of every feature occurrence (float32, same length as seg); see view_weights."""
    key, w = view_weights(seg, view, n, pooling)
    return w[key]


def featurize_views(
    texts: Sequence[str], cfg: FeatureConfig, *, grouped: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """featurize() plus the view of every feature (VIEW_DOC, VIEW_CHAR or VIEW_WORD, uint8)."""
    n = len(texts)
    norm = normalise_many(texts, cfg.max_chars)
    lens = np.fromiter((len(t) for t in norm), dtype=np.int64, count=n)
    # NOTE: a NUL after every text marks its end (normalise() removes NULs from the text itself),
    # so that no n-gram spans two texts.
    joined = "\x00".join(norm) + "\x00"
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    doc = np.repeat(np.arange(n, dtype=np.int64), lens + 1)
    is_end = cps == 0
    cls = _class_table()[np.minimum(cps, 0xFFFF)]
    cls = np.where(cps < 0x10000, cls, PUNCT).astype(np.uint8)  # NOTE: astral plane = emoji etc.
    cls[is_end] = SPACE
    c64 = cps.astype(np.uint64) + _U64(1)
    total = len(cps)
    shift = _U64(64 - (cfg.n_buckets.bit_length() - 1))

    ids_parts: list[np.ndarray] = [np.zeros(n, dtype=np.uint64)]
    seg_parts: list[np.ndarray] = [np.arange(n, dtype=np.int64)]
    view_parts: list[np.ndarray] = [np.full(n, VIEW_DOC, dtype=np.uint8)]

    def add(h: np.ndarray, seg: np.ndarray, view: int) -> None:
        # NOTE: multiplicative (Fibonacci) hashing: the top bits of h*K depend on every bit of h,
        # at one multiply per n-gram. Bucket 0 is reserved for the document feature.
        ids_parts.append(np.maximum((h * _FIB) >> shift, _U64(1)))
        seg_parts.append(seg)
        view_parts.append(np.full(len(seg), view, dtype=np.uint8))

    # --- character n-grams over the normalised text (spaces included), never across texts.
    if cfg.char_word_bounded:
        _add_word_bounded_char_ngrams(add, cps, doc, is_end, cls, cfg.char_ngrams)
    else:
        h = c64
        for k in range(2, max(cfg.char_ngrams, default=1) + 1):
            m = total - k + 1
            if m <= 0:
                break
            h = h[:m] * _POLY + c64[k - 1 : k - 1 + m]
            if k in cfg.char_ngrams:
                # NOTE: a window lies inside one text iff it starts and ends in the same text's range
                # and does not end on that text's NUL terminator.
                idx = np.nonzero((doc[:m] == doc[k - 1 : k - 1 + m]) & ~is_end[k - 1 : k - 1 + m])[0]
                add(h[idx] ^ (_NS_CHAR + _U64(k)), doc[idx], VIEW_CHAR)
    if cfg.cjk_unigrams:
        idx = np.nonzero((cls == CJK) | (cls == PUNCT))[0]
        add(c64[idx] ^ (_NS_CHAR + _U64(1)), doc[idx], VIEW_CHAR)

    # --- tokens: runs of WORD characters, and single CJK / punctuation characters.
    is_tok = cls != SPACE
    is_word = cls == WORD
    start = is_tok.copy()
    start[1:] &= ~(is_word[1:] & is_word[:-1])
    tok_pos = np.nonzero(start)[0]
    if len(tok_pos):
        tok_chars = np.nonzero(is_tok)[0]
        tok_id = np.cumsum(start[tok_chars]) - 1
        offset = np.minimum(tok_chars - tok_pos[tok_id], _MASK_POW)
        contrib = c64[tok_chars] * _powers()[offset]
        first = np.searchsorted(tok_chars, tok_pos)
        th = np.add.reduceat(contrib, first)
        tdoc = doc[tok_pos]
        add(th ^ _NS_WORD, tdoc, VIEW_WORD)
        if cfg.word_bigrams and len(th) > 1:
            same = np.nonzero(tdoc[1:] == tdoc[:-1])[0]
            bh = _mix(th[same] ^ _NS_WORD) * _POLY + th[same + 1]
            add(bh ^ _NS_BIGRAM, tdoc[same], VIEW_WORD)

    # --- CJK phrases: whole runs of letters between punctuation/space that contain CJK.
    # NOTE: ja/zh have no spaces, so a clause like "质量很差" is the nearest thing to a word;
    # short stock phrases are frequent in reviews and their identity is a strong signal.
    if cfg.cjk_phrases and total:
        is_run = (cls == WORD) | (cls == CJK)
        rstart = is_run.copy()
        rstart[1:] &= ~is_run[:-1]
        run_pos = np.nonzero(rstart)[0]
        run_chars = np.nonzero(is_run)[0]
        run_id = np.cumsum(rstart[run_chars]) - 1
        offset = np.minimum(run_chars - run_pos[run_id], _MASK_POW)
        first = np.searchsorted(run_chars, run_pos)
        rh = np.add.reduceat(c64[run_chars] * _powers()[offset], first)
        has_cjk = np.add.reduceat((cls[run_chars] == CJK).astype(np.int64), first) > 0
        rlen = np.diff(np.r_[first, len(run_chars)])
        keep = np.nonzero(has_cjk & (rlen >= 2))[0]
        add(rh[keep] ^ _NS_PHRASE, doc[run_pos[keep]], VIEW_WORD)

    ids = np.concatenate(ids_parts)
    seg = np.concatenate(seg_parts)
    view = np.concatenate(view_parts)
    if not grouped:
        return ids.astype(np.int64), seg, view
    # NOTE: grouping by text lets training use np.add.reduceat; order inside a text is irrelevant.
    order = np.argsort(seg, kind="stable")
    return ids[order].astype(np.int64), seg[order], view[order]


_SPACE_CP = _U64(ord(" ") + 1)


def _add_word_bounded_char_ngrams(
    add: Callable[[np.ndarray, np.ndarray, int], None],
    cps: np.ndarray,
    doc: np.ndarray,
    is_end: np.ndarray,
    cls: np.ndarray,
    sizes: tuple[int, ...],
) -> None:
    """Word-bounded character n-grams (see FeatureConfig.char_word_bounded), hashed like the others.

    Works on the same joined code points as featurize_views: a text's NUL terminator stands for its
    trailing pad and a virtual space before each text for its leading pad, so no copy of the text
    is made. A window is kept iff it lies in one text (pads included) and has no space strictly
    inside it.
    """
    total = len(cps)
    if len(doc) == 0:  # an empty batch (its joined text is a lone NUL)
        return
    # NOTE: padded arrays = for every text one inserted leading-pad slot, then its code points,
    # then its NUL terminator (which becomes the trailing pad).
    starts = np.r_[0, np.nonzero(is_end)[0][:-1] + 1]
    padded_len = total + len(starts)
    ins = starts + np.arange(len(starts))  # where each leading pad lands in the padded arrays
    is_pad = np.zeros(padded_len, dtype=bool)
    is_pad[ins] = True
    body = np.nonzero(~is_pad)[0]
    c = np.empty(padded_len, dtype=np.uint64)
    c[ins] = _SPACE_CP
    c[body] = cps.astype(np.uint64) + _U64(1)
    d = np.empty(padded_len, dtype=np.int64)
    d[ins] = doc[starts]
    d[body] = doc
    space = np.empty(padded_len, dtype=bool)
    space[ins] = True
    space[body] = (cls == SPACE)  # NUL terminators are SPACE-class: the trailing pad
    c[body[is_end]] = _SPACE_CP
    # number of spaces before each position, to test "no space strictly inside the window" in O(1)
    csum = np.r_[0, np.cumsum(space)]
    h = c
    for k in range(2, max(sizes, default=1) + 1):
        m = padded_len - k + 1
        if m <= 0:
            break
        h = h[:m] * _POLY + c[k - 1 : k - 1 + m]
        if k in sizes:
            inner = csum[k - 1 : k - 1 + m] - csum[1 : 1 + m]  # spaces at offsets 1..k-2
            keep = (d[:m] == d[k - 1 : k - 1 + m]) & (inner == 0)
            if k == 2:
                # NOTE: two pads next to each other only happen for an empty text: not an n-gram.
                keep &= ~(space[:m] & space[1 : 1 + m])
            idx = np.nonzero(keep)[0]
            add(h[idx] ^ (_NS_CHAR + _U64(k)), d[idx], VIEW_CHAR)
