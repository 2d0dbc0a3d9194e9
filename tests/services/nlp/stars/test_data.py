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


def test_folds_cover_every_review_once_and_are_stratified():
    from services.nlp.stars.data import split_folds

    reviews = _reviews()  # 40 per (language, stars)
    fold = split_folds(reviews, 5, seed=13)
    assert fold.shape == (len(reviews),) and set(fold.tolist()) == set(range(5))
    for k in range(5):
        counts = Counter((r.lang, r.stars) for r, f in zip(reviews, fold, strict=True) if f == k)
        assert set(counts.values()) == {8}
    assert (split_folds(reviews, 5, seed=13) == fold).all()
    assert (split_folds(reviews, 5, seed=14) != fold).any()


def test_folds_need_at_least_two():
    import pytest

    from services.nlp.stars.data import split_folds

    with pytest.raises(ValueError, match="at least 2 folds"):
        split_folds(_reviews(), 1)
