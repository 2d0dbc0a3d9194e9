"""Hold-out and validation splits: stratified, disjoint, reproducible for a seed."""

from __future__ import annotations

from collections import Counter

from services.nlp.stars.data import Review, split_holdout, split_validation


def _reviews() -> list[Review]:
    langs, stars = ("de", "zh"), range(1, 6)
    return [Review(lang, f"{lang} review {i} with {s} stars", s) for lang in langs for s in stars for i in range(40)]


def test_validation_is_carved_from_the_training_part_only():
    reviews = _reviews()
    train, held = split_holdout(reviews, 0.1, seed=13)
    fit, val = split_validation(train, 0.1, seed=13)
    held_texts = {r.text for r in held}
    assert not held_texts & {r.text for r in val}
    assert not held_texts & {r.text for r in fit}
    assert sorted(r.text for r in fit + val) == sorted(r.text for r in train)
    # NOTE: stratified like the hold-out: 10% of each (language, stars) group of the training part.
    assert set(Counter((r.lang, r.stars) for r in val).values()) == {4}


def test_validation_split_is_reproducible_and_differs_from_holdout_draw():
    train, _ = split_holdout(_reviews(), 0.1, seed=13)
    a = split_validation(train, 0.1, seed=13)
    b = split_validation(train, 0.1, seed=13)
    assert a == b
    assert split_validation(train, 0.1, seed=14) != a
