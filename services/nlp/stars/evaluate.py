"""Per-language star metrics (exact, off-by-one, binary, macro-F1) and the model-vs-baseline table."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np

log = logging.getLogger(__name__)

METRICS: tuple[str, ...] = ("exact", "off_by_one", "binary", "macro_f1")


def star_metrics(true: Sequence[int], probs: np.ndarray) -> dict[str, float]:
    """Metrics from (n, 5) star probabilities: exact, |pred-true|<=1, binary (1-2 vs 4-5, 3 excluded), macro-F1."""
    t = np.asarray(true, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64).reshape(len(t), 5)
    p = probs.argmax(axis=1) + 1
    if len(t) == 0:
        return {m: float("nan") for m in METRICS} | {"n": 0}
    exact = float(np.mean(t == p))
    off1 = float(np.mean(np.abs(t - p) <= 1))
    # NOTE: binary decision = which side holds more probability, P(4-5) vs P(1-2), so a model is
    # not punished for a 3-star argmax on a review it still places on the right side.
    polar = t != 3
    pos = probs[:, 3:].sum(axis=1) > probs[:, :2].sum(axis=1)
    binary = float(np.mean(pos[polar] == (t[polar] >= 4))) if polar.any() else float("nan")
    f1s = []
    for k in range(1, 6):
        tp = np.sum((p == k) & (t == k))
        fp = np.sum((p == k) & (t != k))
        fn = np.sum((p != k) & (t == k))
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return {"exact": exact, "off_by_one": off1, "binary": binary, "macro_f1": float(np.mean(f1s)), "n": int(len(t))}


def per_language(langs: Sequence[str], true: Sequence[int], probs: np.ndarray) -> dict[str, dict[str, float]]:
    """star_metrics for every language plus 'all'."""
    langs_a = np.asarray(langs)
    t = np.asarray(true)
    p = np.asarray(probs)
    out = {str(lang): star_metrics(t[langs_a == lang], p[langs_a == lang]) for lang in sorted(set(langs_a.tolist()))}
    out["all"] = star_metrics(t, p)
    return out


def _bootstrap_metrics(t: np.ndarray, probs: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    """star_metrics under each row of weights w (n_boot, n): one value per bootstrap replicate."""
    pred = probs.argmax(axis=1) + 1
    tot = w.sum(axis=1)
    out = {
        "exact": w @ (t == pred).astype(np.float64) / tot,
        "off_by_one": w @ (np.abs(t - pred) <= 1).astype(np.float64) / tot,
    }
    polar = t != 3
    pos = probs[:, 3:].sum(axis=1) > probs[:, :2].sum(axis=1)
    wp = w[:, polar]
    out["binary"] = wp @ (pos[polar] == (t[polar] >= 4)).astype(np.float64) / np.maximum(wp.sum(axis=1), 1e-12)
    f1s = []
    for k in range(1, 6):
        tp = w @ ((pred == k) & (t == k)).astype(np.float64)
        fp = w @ ((pred == k) & (t != k)).astype(np.float64)
        fn = w @ ((pred != k) & (t == k)).astype(np.float64)
        f1s.append(np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1e-12), 0.0))
    out["macro_f1"] = np.mean(f1s, axis=0)
    return out


def paired_bootstrap(
    langs: Sequence[str],
    true: Sequence[int],
    probs_a: np.ndarray,
    probs_b: np.ndarray,
    *,
    n_boot: int = 1000,
    seed: int = 13,
) -> dict[str, dict[str, dict[str, float]]]:
    """Per language and metric: the difference a - b and its 95% paired-bootstrap interval.

    Both systems are scored on the same resampled reviews (Poisson bootstrap: each review weighted
    by a Poisson(1) draw), so what the interval measures is the uncertainty of the *difference*,
    which is much smaller than that of either accuracy alone.
    """
    langs_a = np.asarray(langs)
    t_all = np.asarray(true, dtype=np.int64)
    pa_all = np.asarray(probs_a, dtype=np.float64)
    pb_all = np.asarray(probs_b, dtype=np.float64)
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for lang in sorted(set(langs_a.tolist())) + ["all"]:
        sel = np.ones(len(t_all), dtype=bool) if lang == "all" else langs_a == lang
        t, pa, pb = t_all[sel], pa_all[sel], pb_all[sel]
        point_a, point_b = star_metrics(t, pa), star_metrics(t, pb)
        w = rng.poisson(1.0, size=(n_boot, len(t))).astype(np.float64)
        ma, mb = _bootstrap_metrics(t, pa, w), _bootstrap_metrics(t, pb, w)
        out[str(lang)] = {
            m: {
                "diff": point_a[m] - point_b[m],
                "lo": float(np.percentile(ma[m] - mb[m], 2.5)),
                "hi": float(np.percentile(ma[m] - mb[m], 97.5)),
            }
            for m in METRICS
        }
    return out


def format_difference_table(diffs: Mapping[str, Mapping[str, Mapping[str, float]]]) -> str:
    """Markdown table of paired_bootstrap output: 'diff [lo, hi]' in points per language and metric."""
    head = ["lang"] + [f"{m} diff [95% CI]" for m in METRICS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for lang, row in diffs.items():
        cells = [f"{100 * row[m]['diff']:+.1f} [{100 * row[m]['lo']:+.1f}, {100 * row[m]['hi']:+.1f}]" for m in METRICS]
        lines.append("| " + " | ".join([lang] + cells) + " |")
    return "\n".join(lines)


def format_table(results: Mapping[str, Mapping[str, Mapping[str, float]]]) -> str:
    """Markdown table with one row per language and, per metric, one column per system."""
    systems = list(results)
    langs = sorted({lang for r in results.values() for lang in r if lang != "all"}) + ["all"]
    head = ["lang"] + [f"{m} {s}" for m in METRICS for s in systems] + ["n"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for lang in langs:
        row = [lang]
        for m in METRICS:
            for s in systems:
                v = results[s].get(lang, {}).get(m)
                row.append("-" if v is None else f"{100 * v:.1f}")
        n = next((results[s][lang]["n"] for s in systems if lang in results[s]), 0)
        row.append(str(n))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)
