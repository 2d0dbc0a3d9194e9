"""CLI: predict writes the documented fields; bad input names the line; train/eval run end to end."""

from __future__ import annotations

import json

import pytest

from services.nlp.stars.cli import main
from services.nlp.stars.model import DEFAULT_MODEL_PATH


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_predict_writes_fields(tmp_path):
    src = tmp_path / "in.jsonl"
    _write(
        src,
        [
            json.dumps({"id": 1, "text": "Broke after a day, waste of money."}),
            "",
            json.dumps({"id": 2, "text": "非常满意，强烈推荐！", "lang": "zh"}, ensure_ascii=False),
        ],
    )
    dst = tmp_path / "out" / "out.jsonl"
    assert main(["predict", "--input", str(src), "--output", str(dst), "--model", str(DEFAULT_MODEL_PATH)]) == 0
    rows = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[1]["lang"] == "zh" and rows[1]["text"] == "非常满意，强烈推荐！"
    for r in rows:
        assert r["stars"] in {1, 2, 3, 4, 5}
        assert len(r["star_probs"]) == 5 and abs(sum(r["star_probs"]) - 1) < 1e-4
        assert r["stars"] == max(range(5), key=lambda k: r["star_probs"][k]) + 1
        assert 0.0 <= r["negative"] <= 1.0
    assert rows[0]["negative"] > rows[1]["negative"]


@pytest.mark.parametrize(
    ("lines", "needle"),
    [
        ([json.dumps({"text": "ok"}), "{not json"], ":2: not valid JSON"),
        (
            [json.dumps({"text": "ok"}), json.dumps({"text": "ok"}), json.dumps({"body": "x"})],
            ":3: missing or non-string field 'text'",
        ),
        ([json.dumps(["text"])], ":1: expected a JSON object"),
        ([json.dumps({"text": 5})], ":1: missing or non-string field 'text'"),
    ],
)
def test_predict_bad_input_names_line(tmp_path, capsys, lines, needle):
    src = tmp_path / "in.jsonl"
    _write(src, lines)
    dst = tmp_path / "out.jsonl"
    assert main(["predict", "--input", str(src), "--output", str(dst)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "in.jsonl" in err
    assert not dst.exists()


def test_predict_missing_model(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    _write(src, [json.dumps({"text": "ok"})])
    assert (
        main(
            [
                "predict",
                "--input",
                str(src),
                "--output",
                str(tmp_path / "o.jsonl"),
                "--model",
                str(tmp_path / "nope.onnx"),
            ]
        )
        == 2
    )
    assert "not found" in capsys.readouterr().err


def test_train_and_eval_on_a_directory(tmp_path, capsys, synthetic_reviews):
    pytest.importorskip("sklearn")  # NOTE: only the baseline needs scikit-learn
    data = tmp_path / "data"
    data.mkdir()
    for lang in ("en", "de"):
        rows = [json.dumps({"lang": lang, "text": t, "stars": s}) for t, s, lg in synthetic_reviews if lg == lang]
        _write(data / f"train_{lang}.jsonl", rows)
    out = tmp_path / "model"
    assert main(["train", "--data", str(data), "--out", str(out), "--langs", "en,de", "--epochs", "4"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["holdout"]) == {"model", "baseline"}
    assert set(metrics["holdout"]["model"]) == {"en", "de", "all"}
    capsys.readouterr()
    assert main(["eval", "--data", str(data), "--model", str(out / "model.onnx"), "--langs", "en,de"]) == 0
    table = capsys.readouterr().out
    assert "exact model" in table and "macro_f1 baseline" in table and "| en |" in table


def test_train_rejects_bad_stars(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    _write(data / "train_en.jsonl", [json.dumps({"text": "ok", "stars": 5}), json.dumps({"text": "ok", "stars": 9})])
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "m"), "--langs", "en"]) == 2
    assert "train_en.jsonl:2" in capsys.readouterr().err


def test_retrain_on_operator_file(tmp_path, capsys, synthetic_reviews):
    src = tmp_path / "mine.jsonl"
    _write(src, [json.dumps({"text": t, "stars": s, "lang": lg}, ensure_ascii=False) for t, s, lg in synthetic_reviews])
    out = tmp_path / "m"
    assert main(["retrain", "--input", str(src), "--out", str(out), "--epochs", "3"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["trained_on"]["dataset"] == "operator file mine.jsonl"
    assert (out / "model.onnx").is_file()


def test_retrain_bad_stars_names_line(tmp_path, capsys):
    src = tmp_path / "mine.jsonl"
    _write(src, [json.dumps({"text": "ok", "stars": 4}), json.dumps({"text": "meh", "stars": "three"})])
    assert main(["retrain", "--input", str(src), "--out", str(tmp_path / "m")]) == 2
    assert "mine.jsonl:2: field 'stars'" in capsys.readouterr().err


def test_train_validation_scores_only_the_validation_split(tmp_path, capsys, synthetic_reviews):
    data = tmp_path / "data"
    data.mkdir()
    rows = [json.dumps({"lang": "en", "text": t, "stars": s}) for t, s, lg in synthetic_reviews if lg == "en"]
    _write(data / "train_en.jsonl", rows)
    out = tmp_path / "model"
    args = ["train", "--data", str(data), "--out", str(out), "--langs", "en", "--epochs", "2", "--no-baseline"]
    assert main([*args, "--validation"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert "holdout" not in metrics and set(metrics["validation"]["model"]) == {"en", "all"}
    # NOTE: 20 reviews a star: 2 held out, then round(18 * 0.1) = 2 for validation, 16 trained on.
    assert metrics["validation_size"] == 10 and metrics["train_size"] == 80
    assert "validation split" in capsys.readouterr().out


def test_eval_cross_validation_scores_every_review_out_of_fold(tmp_path, capsys, synthetic_reviews):
    pytest.importorskip("sklearn")  # NOTE: only the baseline needs scikit-learn
    data = tmp_path / "data"
    data.mkdir()
    rows = [json.dumps({"lang": "en", "text": t, "stars": s}) for t, s, lg in synthetic_reviews if lg == "en"]
    _write(data / "train_en.jsonl", rows)
    report = tmp_path / "cv.json"
    args = ["eval", "--data", str(data), "--langs", "en", "--epochs", "3", "--folds", "3", "--json", str(report)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "3-fold cross-validation on 100 reviews" in out and "95% paired-bootstrap interval" in out
    doc = json.loads(report.read_text())
    assert doc["results"]["model"]["en"]["n"] == 100 and doc["results"]["baseline"]["all"]["n"] == 100
    diff = doc["model_minus_baseline"]["en"]["exact"]
    assert diff["lo"] <= diff["diff"] <= diff["hi"]
    # the synthetic phrases are easy: both systems learn them out of fold
    assert doc["results"]["model"]["en"]["binary"] > 0.8


def test_eval_cross_validation_rejects_a_given_model_and_one_fold(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    _write(data / "train_en.jsonl", [json.dumps({"text": "ok", "stars": 5})])
    assert main(["eval", "--data", str(data), "--langs", "en", "--folds", "3", "--model", "x.onnx"]) == 2
    assert "cannot be combined with --model" in capsys.readouterr().err
    assert main(["eval", "--data", str(data), "--langs", "en", "--folds", "1"]) == 2
    assert "at least 2 folds" in capsys.readouterr().err
