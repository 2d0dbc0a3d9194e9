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


def _probs_for(pred):
    p = np.full((len(pred), 5), 0.01)
    p[np.arange(len(pred)), np.asarray(pred) - 1] = 0.96
    return p


def test_paired_bootstrap_separates_a_real_difference_from_a_tie():
    from services.nlp.stars.evaluate import format_difference_table, paired_bootstrap

    rng = np.random.default_rng(0)
    true = rng.integers(1, 6, size=2000)
    langs = ["de"] * 1000 + ["fr"] * 1000
    # system a is right 70% of the time everywhere; b equals a on de, and is right only 50% on fr
    right_a = rng.random(2000) < 0.7
    wrong = (true % 5) + 1  # a different star, two or more away for 1 and 5 only sometimes
    pred_a = np.where(right_a, true, wrong)
    pred_b = pred_a.copy()
    fr = np.arange(2000) >= 1000
    flip = fr & right_a & (rng.random(2000) < 0.3)
    pred_b[flip] = wrong[flip]
    d = paired_bootstrap(langs, true, _probs_for(pred_a), _probs_for(pred_b), n_boot=400, seed=1)
    tie, gap = d["de"]["exact"], d["fr"]["exact"]
    assert tie["diff"] == 0 and tie["lo"] == 0 and tie["hi"] == 0  # identical predictions: no uncertainty
    assert gap["lo"] > 0.15 and gap["hi"] < 0.27 and gap["lo"] < gap["diff"] < gap["hi"]
    assert set(d) == {"de", "fr", "all"} and set(d["fr"]) == {"exact", "off_by_one", "binary", "macro_f1"}
    table = format_difference_table(d)
    assert "| de | +0.0 [+0.0, +0.0]" in table and "| fr | +" in table
