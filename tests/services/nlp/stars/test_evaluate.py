"""Metrics: exact, off-by-one, binary and macro-F1 on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from services.nlp.stars.evaluate import format_table, per_language, star_metrics


def onehot(stars):
    p = np.full((len(stars), 5), 0.01)
    p[np.arange(len(stars)), np.asarray(stars) - 1] = 0.96
    return p


def test_perfect_predictions():
    m = star_metrics([1, 2, 3, 4, 5], onehot([1, 2, 3, 4, 5]))
    assert m["exact"] == m["off_by_one"] == m["binary"] == m["macro_f1"] == 1.0


def test_hand_computed():
    true = [1, 2, 3, 4, 5, 5]
    pred = [2, 2, 5, 4, 4, 1]
    m = star_metrics(true, onehot(pred))
    assert m["exact"] == pytest.approx(2 / 6)
    assert m["off_by_one"] == pytest.approx(4 / 6)
    # polar reviews: 1->2 ok, 2->2 ok, 4->4 ok, 5->4 ok, 5->1 wrong
    assert m["binary"] == pytest.approx(4 / 5)
    # F1 per star: 1:0, 2:2/3, 3:0, 4:2/3, 5:0
    assert m["macro_f1"] == pytest.approx((2 / 3 + 2 / 3) / 5)


def test_per_language_and_table():
    res = per_language(["en", "en", "de"], [1, 5, 3], onehot([1, 4, 3]))
    assert res["en"]["exact"] == 0.5 and res["de"]["exact"] == 1.0 and res["all"]["n"] == 3
    table = format_table({"model": res, "baseline": res})
    assert table.splitlines()[0].startswith("| lang | exact model | exact baseline")
    assert "| all |" in table.splitlines()[-1]
