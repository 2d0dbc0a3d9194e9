"""Training entry points: train() on the MARC-style jsonl directory, train_from_records() on any labelled reviews."""

from __future__ import annotations

import json
import logging
import platform
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from . import calibration as calib
from .data import LANGS, Review, load_dir, split_folds, split_holdout, split_validation
from .evaluate import format_table, per_language
from .export import export_onnx
from .features import FeatureConfig, featurize_views
from .model import StarModel, raw_negative
from .network import NetConfig, Params, forward_ensemble, train_network

log = logging.getLogger(__name__)

# NOTE: 2**20 buckets: with 2**19 the collisions cost about 2 points of exact accuracy on zh
# (largest n-gram vocabulary) in our runs; the int8 table stays under 20 MB.
# Word-bounded character n-grams (round 3): on the validation split they raised exact accuracy
# 49.8 -> 50.1 and binary 87.1 -> 87.5 over across-space n-grams, and are fewer (faster).
DEFAULT_FEATURES = FeatureConfig(n_buckets=1 << 20, char_ngrams=(2, 3, 4), char_word_bounded=True)
# NOTE: two members whose probabilities are averaged: an MLP over the n-gram embedding bag and a
# plain softmax regression over the same n-grams. Trained apart, they err differently; on a
# validation split carved from the training part their average beat either alone by ~0.5-1 point.
# Settings were compared on that split (see MODEL_CARD.md on how the held-out split was used).
DEFAULT_MEMBERS: tuple[NetConfig, ...] = (
    NetConfig(
        dim=12, hidden=32, wide=False, epochs=3, batch=512, lr=3e-3, emb_lr=3e-3, feat_dropout=0.5, pooling="sqrt_views"
    ),
    NetConfig(dim=0, wide=True, epochs=4, batch=128, emb_lr=1e-2, feat_dropout=0.1, pooling="sqrt_views"),
)
HOLDOUT_FRAC = 0.1


@dataclass
class TrainResult:
    """Where the model went and how it scored."""

    model_path: Path
    metrics_path: Path
    metrics: dict


def featurize_each(
    texts: Sequence[str], cfg: FeatureConfig, chunk: int = 2048
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Feature ids and views per text (training wants them per text to shuffle)."""
    ids_out: list[np.ndarray] = []
    views_out: list[np.ndarray] = []
    for i in range(0, len(texts), chunk):
        part = texts[i : i + chunk]
        ids, seg, view = featurize_views(part, cfg)
        cuts = np.cumsum(np.bincount(seg, minlength=len(part)))[:-1]
        ids_out.extend(np.split(ids, cuts))
        views_out.extend(np.split(view, cuts))
    return ids_out, views_out


def fit(
    texts: Sequence[str], stars: Sequence[int], feat_cfg: FeatureConfig, members: Sequence[NetConfig]
) -> list[Params]:
    """Featurise once and train every member; returns their float weights."""
    stars_a = np.asarray(stars, dtype=np.int64)
    if len(texts) == 0:
        raise ValueError("no training reviews")
    if stars_a.min() < 1 or stars_a.max() > 5:
        raise ValueError("stars must be 1..5")
    t0 = time.perf_counter()
    feats, views = featurize_each(list(texts), feat_cfg)
    log.info("featurised %d texts in %.1fs", len(texts), time.perf_counter() - t0)
    out = []
    for i, cfg in enumerate(members):
        t1 = time.perf_counter()
        out.append(train_network(feats, stars_a, feat_cfg.n_buckets, cfg, views_list=views))
        log.info("member %d/%d trained in %.1fs", i + 1, len(members), time.perf_counter() - t1)
    return out


def measure_throughput(model: StarModel, texts: Sequence[str], batch: int = 256, min_seconds: float = 2.0) -> float:
    """Reviews per second of model.predict at a batch size (features + onnxruntime)."""
    texts = list(texts)
    if not texts:
        return float("nan")
    while len(texts) < batch:
        texts = texts * 2
    model.predict(texts[:batch])  # warm-up
    n = 0
    t0 = time.perf_counter()
    i = 0
    while time.perf_counter() - t0 < min_seconds:
        chunk = texts[i : i + batch]
        if len(chunk) < batch:
            i = 0
            continue
        model.predict(chunk)
        n += len(chunk)
        i += batch
    return n / (time.perf_counter() - t0)


def _run(
    train_set: list[Review],
    test_set: list[Review],
    out_dir: Path,
    *,
    feat_cfg: FeatureConfig,
    members: Sequence[NetConfig],
    with_baseline: bool,
    data_note: dict,
    split_name: str = "holdout",
) -> TrainResult:
    """Train, export, evaluate on test_set and write model.onnx + metrics.json.

    split_name names test_set in the metrics ("holdout", or "validation" when choosing settings).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    params = fit([r.text for r in train_set], [r.stars for r in train_set], feat_cfg, members)
    train_seconds = time.perf_counter() - t0
    seed = members[0].seed
    version = f"stars-hashbag-{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}-s{seed}"
    model_path = out_dir / "model.onnx"
    # NOTE: a calibration left from an earlier model in out_dir is wrong for this one (and StarModel.load
    # would refuse it); the new one is fitted below.
    (out_dir / calib.CALIBRATION_FILE).unlink(missing_ok=True)
    export_onnx(
        params,
        feat_cfg,
        members,
        model_path,
        version=version,
        extra_meta={"trained_on": json.dumps(data_note, sort_keys=True), "negative_score": "P1+P2+0.5*P3"},
    )
    model = StarModel.load(model_path)
    metrics: dict = {
        "version": version,
        "trained_on": data_note,
        "train_size": len(train_set),
        f"{split_name}_size": len(test_set),
        "feature_config": feat_cfg.to_dict(),
        "members": [c.to_dict() for c in members],
        "train_seconds": round(train_seconds, 1),
        "model_bytes": model_path.stat().st_size,
        "python": platform.python_version(),
    }
    if test_set:
        texts = [r.text for r in test_set]
        langs = [r.lang for r in test_set]
        gold = [r.stars for r in test_set]
        model_probs = model.predict_batched(texts)
        results = {"model": per_language(langs, gold, model_probs)}
        # NOTE: the float (pre-quantisation) ensemble shows what int8 export costs.
        ids, seg, view = featurize_views(texts, feat_cfg)
        float_probs = forward_ensemble(params, ids, seg, len(texts), view)
        metrics[f"{split_name}_float_model_all"] = per_language(langs, gold, float_probs)["all"]
        if with_baseline:
            from .baseline import NAME, fit_baseline

            tb = time.perf_counter()
            base = fit_baseline([r.text for r in train_set], [r.stars for r in train_set], seed=seed)
            metrics["baseline_name"] = NAME
            metrics["baseline_train_seconds"] = round(time.perf_counter() - tb, 1)
            results["baseline"] = per_language(langs, gold, base.predict_proba(texts))
        metrics[split_name] = results
        metrics["throughput_reviews_per_s_batch256_1thread"] = round(measure_throughput(model, texts), 0)
        log.info("%s metrics (%%):\n%s", split_name, format_table(results))
        metrics["calibration"] = calibrate(model, model_probs, gold, langs, model_path.parent, f"{split_name} split")
    metrics_path = out_dir / "metrics.json"
    metrics_path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return TrainResult(model_path, metrics_path, metrics)


def calibrate(
    model: StarModel,
    probs: np.ndarray,
    gold: Sequence[int],
    langs: Sequence[str],
    out_dir: Path,
    fitted_on: str,
    *,
    target_max_stars: int = calib.DEFAULT_TARGET_MAX_STARS,
    seed: int = 13,
) -> dict:
    """Fit the negative-score calibration on reviews the model did not train on; write calibration.json.

    Returns the report for metrics.json (its figures are cross-fitted, see calibration.report). With
    fewer than MIN_CALIBRATION_REVIEWS reviews no calibration is written and the model serves the
    raw score; the report says so.
    """
    if len(gold) < calib.MIN_CALIBRATION_REVIEWS:
        log.warning("only %d held-out reviews: no negative-score calibration fitted", len(gold))
        return {"fitted": False, "reason": f"{len(gold)} held-out reviews < {calib.MIN_CALIBRATION_REVIEWS}"}
    raw = raw_negative(probs)
    cal = calib.fit(raw, gold, target_max_stars=target_max_stars, model_version=model.version, fitted_on=fitted_on)
    path = Path(out_dir) / calib.CALIBRATION_FILE
    cal.save(path)
    rep = calib.report(raw, gold, langs, target_max_stars=target_max_stars, seed=seed)
    log.info("wrote %s (%d breakpoints)", path, len(cal.x))
    return {"fitted": True, "file": calib.CALIBRATION_FILE, "fitted_on": fitted_on, "breakpoints": len(cal.x)} | rep


def _with_seed(members: Sequence[NetConfig], seed: int, epochs: int | None) -> list[NetConfig]:
    """Member configs with distinct seeds derived from `seed` (and epochs overridden if given)."""
    return [
        replace(c, seed=seed + 1000 * i, epochs=c.epochs if epochs is None else epochs) for i, c in enumerate(members)
    ]


def train(
    data_dir: Path,
    out_dir: Path,
    *,
    seed: int = 13,
    langs: Sequence[str] = LANGS,
    max_per_lang: int | None = None,
    epochs: int | None = None,
    with_baseline: bool = True,
    feature_config: FeatureConfig = DEFAULT_FEATURES,
    members: Sequence[NetConfig] = DEFAULT_MEMBERS,
    validation: bool = False,
) -> TrainResult:
    """Train on <data_dir>/train_<lang>.jsonl, holding out 10% per (language, stars) for evaluation.

    validation=True is for choosing settings: it also carves 10% per (language, stars) out of the
    training part (data.split_validation), trains on the rest and scores only that validation split;
    the held-out reviews are neither trained on nor scored.
    """
    reviews = load_dir(Path(data_dir), langs, max_per_lang)
    train_set, test_set = split_holdout(reviews, HOLDOUT_FRAC, seed=seed)
    split_name = "holdout"
    if validation:
        train_set, test_set = split_validation(train_set, HOLDOUT_FRAC, seed=seed)
        split_name = "validation"
    cfgs = _with_seed(members, seed, epochs)
    note = {
        "dataset": "MARC subset (Multilingual Amazon Reviews Corpus, Keung et al. 2020), train split",
        "languages": list(langs),
        "max_per_lang": max_per_lang,
        "holdout": f"{HOLDOUT_FRAC:.0%} per (language, stars), seed {seed}",
    }
    if validation:
        note["validation"] = f"{HOLDOUT_FRAC:.0%} per (language, stars) of the training part, seed {seed + 1}"
    log.info("training on %d reviews, scoring %d (%s)", len(train_set), len(test_set), split_name)
    return _run(
        train_set,
        test_set,
        out_dir,
        feat_cfg=feature_config,
        members=cfgs,
        with_baseline=with_baseline,
        data_note=note,
        split_name=split_name,
    )


def train_from_records(
    records: Iterable[tuple],
    out_dir: Path,
    *,
    seed: int = 13,
    epochs: int | None = None,
    holdout: float = HOLDOUT_FRAC,
    with_baseline: bool = False,
    feature_config: FeatureConfig = DEFAULT_FEATURES,
    members: Sequence[NetConfig] = DEFAULT_MEMBERS,
    source: str = "operator-owned labelled reviews",
) -> TrainResult:
    """Train on (text, stars) or (text, stars, lang) records, e.g. an operator's own rated reviews."""
    reviews: list[Review] = []
    for i, rec in enumerate(records):
        text, stars = rec[0], rec[1]
        lang = str(rec[2]) if len(rec) > 2 and rec[2] else "xx"
        if not isinstance(text, str):
            raise ValueError(f"record {i}: text must be a string")
        if isinstance(stars, bool) or int(stars) != stars or not 1 <= int(stars) <= 5:
            raise ValueError(f"record {i}: stars must be an integer 1-5, got {stars!r}")
        reviews.append(Review(lang, text, int(stars)))
    if not reviews:
        raise ValueError("no records to train on")
    train_set, test_set = split_holdout(reviews, holdout, seed=seed) if holdout > 0 else (reviews, [])
    cfgs = _with_seed(members, seed, epochs)
    note = {"dataset": source, "records": len(reviews), "holdout": f"{holdout:.0%} per (language, stars), seed {seed}"}
    return _run(
        train_set, test_set, out_dir, feat_cfg=feature_config, members=cfgs, with_baseline=with_baseline, data_note=note
    )


@dataclass
class CrossValidation:
    """Out-of-fold predictions of the model and the baseline: every review scored by systems that never saw it."""

    langs: list[str]
    gold: list[int]
    model_probs: np.ndarray
    baseline_probs: np.ndarray
    folds: int


def cross_validate(
    reviews: Sequence[Review],
    folds: int = 5,
    *,
    seed: int = 13,
    epochs: int | None = None,
    feature_config: FeatureConfig = DEFAULT_FEATURES,
    members: Sequence[NetConfig] = DEFAULT_MEMBERS,
) -> CrossValidation:
    """K-fold cross-validation of the model (exported to int8 ONNX, as shipped) against the baseline.

    A single 10% hold-out has ~1,000 polar reviews a language, so a 1-point difference is within its
    noise; scoring every review once out of fold multiplies the evidence by 1/frac at K trainings' cost.
    """
    import tempfile

    from .baseline import fit_baseline

    reviews = list(reviews)
    fold_of = split_folds(reviews, folds, seed=seed)
    model_probs = np.zeros((len(reviews), 5), dtype=np.float64)
    base_probs = np.zeros((len(reviews), 5), dtype=np.float64)
    cfgs = _with_seed(members, seed, epochs)
    for k in range(folds):
        t0 = time.perf_counter()
        test_idx = np.nonzero(fold_of == k)[0]
        train_set = [r for r, f in zip(reviews, fold_of, strict=True) if f != k]
        texts = [reviews[i].text for i in test_idx]
        params = fit([r.text for r in train_set], [r.stars for r in train_set], feature_config, cfgs)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.onnx"
            export_onnx(params, feature_config, cfgs, path, version=f"cv-fold{k}")
            model_probs[test_idx] = StarModel.load(path).predict_batched(texts)
        base = fit_baseline([r.text for r in train_set], [r.stars for r in train_set], seed=seed)
        base_probs[test_idx] = base.predict_proba(texts)
        log.info("fold %d/%d done in %.0fs", k + 1, folds, time.perf_counter() - t0)
    return CrossValidation(
        langs=[r.lang for r in reviews],
        gold=[r.stars for r in reviews],
        model_probs=model_probs,
        baseline_probs=base_probs,
        folds=folds,
    )
