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
