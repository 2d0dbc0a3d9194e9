"""Reading labelled review jsonl files and the deterministic stratified hold-out split."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

LANGS: tuple[str, ...] = ("de", "en", "es", "fr", "ja", "zh")


class InputError(ValueError):
    """A malformed input line; the message names the file and line number."""


@dataclass(frozen=True)
class Review:
    """One labelled review."""

    lang: str
    text: str
    stars: int


def iter_jsonl(path: Path, *, require_stars: bool = False) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) from a jsonl file, streaming; blank lines are skipped."""
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict):
                raise InputError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
            if not isinstance(obj.get("text"), str):
                raise InputError(f"{path}:{lineno}: missing or non-string field 'text'")
            if require_stars:
                s = obj.get("stars")
                if isinstance(s, bool) or not isinstance(s, (int, float)) or int(s) != s or not 1 <= s <= 5:
                    raise InputError(f"{path}:{lineno}: field 'stars' must be an integer 1-5, got {s!r}")
            yield lineno, obj


def load_dir(data_dir: Path, langs: Iterable[str] = LANGS, max_per_lang: int | None = None) -> list[Review]:
    """Read train_<lang>.jsonl files of a directory (streamed, at most max_per_lang per language)."""
    out: list[Review] = []
    for lang in langs:
        path = Path(data_dir) / f"train_{lang}.jsonl"
        n = 0
        for _, obj in iter_jsonl(path, require_stars=True):
            if max_per_lang is not None and n >= max_per_lang:
                break
            out.append(Review(str(obj.get("lang") or lang), obj["text"], int(obj["stars"])))
            n += 1
        log.info("read %d reviews from %s", n, path)
    return out


def split_holdout(reviews: list[Review], frac: float = 0.1, seed: int = 13) -> tuple[list[Review], list[Review]]:
    """Split into (train, held-out), stratified by (language, stars), reproducible for a seed."""
    groups: dict[tuple[str, int], list[int]] = {}
    for i, r in enumerate(reviews):
        groups.setdefault((r.lang, r.stars), []).append(i)
    rng = np.random.default_rng(seed)
    held = np.zeros(len(reviews), dtype=bool)
    # NOTE: sorted group order + one seeded generator = the same split on every machine.
    for key in sorted(groups):
        idx = np.asarray(groups[key])
        k = int(round(len(idx) * frac))
        held[rng.permutation(idx)[:k]] = True
    train = [r for r, h in zip(reviews, held, strict=True) if not h]
    test = [r for r, h in zip(reviews, held, strict=True) if h]
    return train, test


def split_validation(train: list[Review], frac: float = 0.1, seed: int = 13) -> tuple[list[Review], list[Review]]:
    """Carve a validation split out of the *training* part (for choosing settings), stratified like the hold-out.

    Seeded with seed + 1 so it is a different draw from the hold-out split; the held-out reviews are
    never in it because it is cut from what split_holdout returned as training data.
    """
    return split_holdout(train, frac, seed=seed + 1)


def split_folds(reviews: list[Review], folds: int, seed: int = 13) -> np.ndarray:
    """Fold index (0..folds-1) of every review for cross-validation, stratified by (language, stars).

    Every (language, stars) group is dealt round-robin over the folds after a seeded shuffle, so
    each fold holds about 1/folds of every group and every review is in exactly one fold.
    """
    if folds < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, got {folds}")
    groups: dict[tuple[str, int], list[int]] = {}
    for i, r in enumerate(reviews):
        groups.setdefault((r.lang, r.stars), []).append(i)
    rng = np.random.default_rng(seed)
    fold = np.empty(len(reviews), dtype=np.int64)
    offset = 0
    for key in sorted(groups):
        idx = rng.permutation(np.asarray(groups[key]))
        # NOTE: the offset carries over between groups so small groups do not all start at fold 0.
        fold[idx] = (np.arange(len(idx)) + offset) % folds
        offset += len(idx)
    return fold
