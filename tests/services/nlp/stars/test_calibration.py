"""The calibrated negative score: monotone, better calibrated on unseen reviews, and 1★ reviews reach the queue."""

from __future__ import annotations

import json

import numpy as np
import pytest

from services.nlp.model_registry import load_model_bytes
from services.nlp.stars import calibration as calib
from services.nlp.stars.cli import CARD_BEGIN, CARD_END, main
from services.nlp.stars.data import load_dir, split_holdout
from services.nlp.stars.model import DEFAULT_MODEL_PATH, StarModel, negative_score, raw_negative
from services.nlp.stars.train import HOLDOUT_FRAC

THRESHOLD = calib.MANUAL_REVIEW_THRESHOLD


@pytest.fixture(scope="module")
def model() -> StarModel:
    return StarModel.load(DEFAULT_MODEL_PATH)


@pytest.fixture(scope="module")
def held_out(marc_dir, model):
    """The shipped model's star probabilities on its held-out split (reviews it never trained on)."""
    _, held = split_holdout(load_dir(marc_dir), HOLDOUT_FRAC, seed=13)
    probs = model.predict_batched([r.text for r in held])
    return probs, np.array([r.stars for r in held]), np.array([r.lang for r in held])


def _miscalibrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores whose true event rate is score**0.4 (an under-confident model), with ties."""
    rng = np.random.default_rng(seed)
    raw = np.round(rng.random(n), 3)
    return raw, (rng.random(n) < raw**0.4).astype(int)


def test_isotonic_fit_equals_scikit_learn_on_the_fitted_points():
    from sklearn.isotonic import IsotonicRegression

    raw, event = _miscalibrated(3000, seed=1)
    stars = np.where(event == 1, 1, 5)
    cal = calib.fit(raw, stars, target_max_stars=2, model_version="m", fitted_on="synthetic")
    reference = IsotonicRegression(out_of_bounds="clip").fit(raw, event).predict(raw)
    assert np.allclose(cal.apply(raw), reference, atol=1e-5)


def test_calibration_is_monotone_and_a_probability():
    raw, event = _miscalibrated(5000, seed=2)
    cal = calib.fit(raw, np.where(event == 1, 2, 4), target_max_stars=2, model_version="m", fitted_on="synthetic")
    grid = np.linspace(-0.5, 1.5, 20001)
    out = cal.apply(grid)
    assert np.all(np.diff(out) >= 0)
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert len(cal.x) < 1000  # a lookup table, not a copy of the data


def test_calibration_lowers_ece_on_reviews_it_was_not_fitted_on():
    raw, event = _miscalibrated(4000, seed=3)
    fit_part, test_part = slice(0, 2000), slice(2000, 4000)
    cal = calib.fit(raw[fit_part], np.where(event[fit_part] == 1, 1, 5), target_max_stars=2,
                    model_version="m", fitted_on="synthetic")
    before = calib.expected_calibration_error(raw[test_part], event[test_part])
    after = calib.expected_calibration_error(cal.apply(raw[test_part]), event[test_part])
    assert after < before / 3


def test_shipped_model_loads_its_own_monotone_calibration(model):
    cal = model.calibration
    assert cal is not None, "calibration.json missing beside the shipped model"
    assert cal.model_version == model.version
    assert cal.target == f"stars<={calib.DEFAULT_TARGET_MAX_STARS}" and cal.reviews >= calib.MIN_CALIBRATION_REVIEWS
    assert np.all(np.diff(cal.apply(np.linspace(0, 1, 1001))) >= 0)
    card = (DEFAULT_MODEL_PATH.parent / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert CARD_BEGIN in card and "| 0.9-1.0 |" in card.split(CARD_BEGIN)[1]
    metrics = json.loads((DEFAULT_MODEL_PATH.parent / "metrics.json").read_text(encoding="utf-8"))
    assert len(metrics["calibration"]["targets"][cal.target]["reliability_after"]) == 10


def test_on_held_out_reviews_calibration_beats_the_raw_score(held_out):
    probs, stars, langs = held_out
    raw = raw_negative(probs)
    # NOTE: fit on one half of the held-out split, measure on the other.
    rng = np.random.default_rng(5)
    first = rng.random(len(stars)) < 0.5
    target = calib.DEFAULT_TARGET_MAX_STARS
    cal = calib.fit(raw[first], stars[first], target_max_stars=target, model_version="half", fitted_on="half")
    event = stars[~first] <= target
    before = calib.expected_calibration_error(raw[~first], event)
    after = calib.expected_calibration_error(cal.apply(raw[~first]), event)
    assert after < 0.03 < before


def test_nine_in_ten_one_star_reviews_reach_the_manual_review_queue(model, held_out):
    probs, stars, langs = held_out
    score = negative_score(probs, model.calibration)
    one_star = stars == 1
    assert np.mean(score[one_star] >= THRESHOLD) >= 0.90
    for lang in sorted(set(langs.tolist())):
        assert np.mean(score[one_star & (langs == lang)] >= THRESHOLD) >= 0.88, lang
    # NOTE: and 0.7 still means something: most of what it selects is critical, few 5★ reviews pass.
    selected = score >= THRESHOLD
    assert np.mean(stars[selected] <= 3) >= 0.85
    assert np.mean(stars[selected] <= 2) >= 0.60
    assert np.mean(selected[stars == 5]) <= 0.10


def _model_dir(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.onnx").symlink_to(DEFAULT_MODEL_PATH)
    return folder


def test_a_calibration_of_another_model_or_a_corrupt_one_is_refused_naming_the_file(tmp_path, model):
    folder = _model_dir(tmp_path)
    stale = model.calibration.to_dict() | {"model_version": "stars-hashbag-older"}
    (folder / calib.CALIBRATION_FILE).write_text(json.dumps(stale), encoding="utf-8")
    with pytest.raises(ValueError, match="calibration.json.*stars-hashbag-older"):
        StarModel.load(folder / "model.onnx")
    (folder / calib.CALIBRATION_FILE).write_text('{"format": "reviewguard-negative-calibration/1", "x": [', "utf-8")
    with pytest.raises(ValueError, match="calibration.json"):
        StarModel.load(folder / "model.onnx")
    decreasing = model.calibration.to_dict() | {"y": list(reversed(model.calibration.to_dict()["y"]))}
    (folder / calib.CALIBRATION_FILE).write_text(json.dumps(decreasing), encoding="utf-8")
    with pytest.raises(ValueError, match="non-decreasing"):
        StarModel.load(folder / "model.onnx")
    (folder / calib.CALIBRATION_FILE).unlink()
    assert StarModel.load(folder / "model.onnx").calibration is None  # raw score, with a warning


def test_a_tenant_model_loaded_from_stored_bytes_scores_with_the_given_calibration(model):
    texts = ["Caught fire on the second day, the cable melted.", "Works fine, nothing special.", "Love it!"]
    tenant = load_model_bytes(DEFAULT_MODEL_PATH.read_bytes(), model.calibration)
    assert tenant.calibration is model.calibration
    assert np.allclose(negative_score(tenant.predict(texts), tenant.calibration),
                       negative_score(model.predict(texts), model.calibration))


def _write_data(folder, rows) -> None:
    folder.mkdir()
    for lang in ("de", "en", "es", "fr", "ja", "zh"):
        lines = [json.dumps({"lang": g, "text": t, "stars": s}, ensure_ascii=False) for t, s, g in rows if g == lang]
        (folder / f"train_{lang}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_calibrate_command_writes_calibration_metrics_and_card(tmp_path, capsys, review_maker):
    folder = _model_dir(tmp_path)
    (folder / "metrics.json").write_text('{"version": "x"}\n', encoding="utf-8")
    (folder / "MODEL_CARD.md").write_text(f"# card\n\nbefore\n{CARD_BEGIN}\nstale figures\n{CARD_END}\nafter\n", encoding="utf-8")
    data = tmp_path / "data"
    _write_data(data, review_maker(per_star=400, seed=11))  # 12,000 template reviews: a 1,200-review held-out split
    assert main(["calibrate", "--data", str(data), "--model", str(folder / "model.onnx")]) == 0
    loaded = StarModel.load(folder / "model.onnx")
    assert loaded.calibration is not None and loaded.calibration.reviews == 1200
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["version"] == "x" and metrics["calibration"]["fitted"] is True
    after = metrics["calibration"]["targets"]["stars<=3"]["reliability_after"]
    assert [b["bin"] for b in after][0] == "0.0-0.1" and sum(b["n"] for b in after) == 1200
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "stale figures" not in card and card.startswith("# card\n\nbefore\n") and card.endswith(f"{CARD_END}\nafter\n")
    assert "ECE before" in card and "| 0.9-1.0 |" in card
    assert "ECE before" in capsys.readouterr().out


def test_calibrate_refuses_a_split_the_model_trained_on(tmp_path, capsys, synthetic_reviews):
    folder = _model_dir(tmp_path)
    data = tmp_path / "data"
    _write_data(data, synthetic_reviews)
    assert main(["calibrate", "--data", str(data), "--model", str(folder / "model.onnx"), "--seed", "14"]) == 2
    assert "hold-out" in capsys.readouterr().err
    assert not (folder / calib.CALIBRATION_FILE).exists()


def test_training_fits_a_calibration_for_the_new_model_and_drops_a_stale_one(tmp_path, review_maker):
    from services.nlp.stars.features import FeatureConfig
    from services.nlp.stars.train import train_from_records

    out = tmp_path / "trained"
    out.mkdir()
    stale = calib.fit(np.array([0.1, 0.9]), [5, 1], target_max_stars=3, model_version="older", fitted_on="x")
    stale.save(out / calib.CALIBRATION_FILE)
    records = review_maker(per_star=350, seed=4)  # 10,500 reviews, 1,050 held out
    res = train_from_records(records, out, feature_config=FeatureConfig(n_buckets=1 << 16), epochs=1, seed=3)
    assert res.metrics["calibration"]["fitted"] is True
    model = StarModel.load(res.model_path)
    assert model.calibration.model_version == model.version and model.calibration.reviews == 1050
    small = train_from_records(records[:600], tmp_path / "small", feature_config=FeatureConfig(n_buckets=1 << 16),
                               epochs=1, seed=3)
    assert small.metrics["calibration"]["fitted"] is False
    assert StarModel.load(small.model_path).calibration is None


# NOTE: written for this test: 1★-style safety complaints like the one issue 13 saw miss the queue.
FIRE = {
    "en": "Caught fire after two uses, the cable melted and burned the desk.",
    "de": "Das Ladegerät hat Feuer gefangen und ist geschmolzen. Gefährlich!",
    "fr": "Le chargeur a pris feu pendant la nuit, le câble a fondu. Dangereux.",
    "es": "El cargador se incendió por la noche y el cable se derritió. Peligroso.",
    "ja": "充電中に発火して、ケーブルが溶けました。危険です。",
    "zh": "充电的时候着火了，线都烧化了，太危险了。",
}


def test_a_caught_fire_review_that_scored_060_now_reaches_the_queue(model):
    # The round-1 score of the reported review was 0.60; on its model the same raw score now maps above 0.7.
    assert model.calibration.apply([0.60])[0] >= THRESHOLD
    scores = negative_score(model.predict(list(FIRE.values())), model.calibration)
    assert all(s >= THRESHOLD for s in scores), dict(zip(FIRE, scores.round(3)))
