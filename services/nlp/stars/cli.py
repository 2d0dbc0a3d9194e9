"""Command line for the star model: train, eval and predict (wired under `reviewguard nlp ...`)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .data import LANGS, InputError, iter_jsonl

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="reviewguard nlp", description="Multilingual 1-5 star / negative-sentiment model")
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", help="train on <data>/train_<lang>.jsonl, write model.onnx + metrics.json")
    t.add_argument("--data", type=Path, required=True, help="directory with train_<lang>.jsonl files")
    t.add_argument("--out", type=Path, required=True, help="output directory")
    t.add_argument("--seed", type=int, default=13)
    t.add_argument("--langs", default=",".join(LANGS), help="comma-separated languages")
    t.add_argument("--max-per-lang", type=int, default=None)
    t.add_argument("--epochs", type=int, default=None)
    t.add_argument("--no-baseline", action="store_true", help="skip training the scikit-learn baseline")
    t.add_argument(
        "--validation",
        action="store_true",
        help="for choosing settings: hold a validation split out of the training part, train on the rest and "
        "score only that split (the held-out part is not used)",
    )

    o = sub.add_parser("retrain", help='train on your own labelled reviews: jsonl of {"text", "stars", ["lang"]}')
    o.add_argument("--input", type=Path, required=True)
    o.add_argument("--out", type=Path, required=True)
    o.add_argument("--seed", type=int, default=13)
    o.add_argument("--epochs", type=int, default=None)
    o.add_argument("--holdout", type=float, default=0.1, help="fraction held out per (lang, stars) for metrics")

    e = sub.add_parser("eval", help="held-out metrics of the model next to the baseline trained in the same run")
    e.add_argument("--data", type=Path, required=True)
    e.add_argument("--model", type=Path, default=None, help="evaluate this model (a model.onnx, or a Hugging Face export directory) instead of training one")
    e.add_argument("--seed", type=int, default=13)
    e.add_argument("--langs", default=",".join(LANGS))
    e.add_argument("--max-per-lang", type=int, default=None)
    e.add_argument("--epochs", type=int, default=None)
    e.add_argument(
        "--folds",
        type=int,
        default=None,
        help="K-fold cross-validation instead of the single held-out split: K models and K baselines, every "
        "review scored once out of fold, with paired-bootstrap 95%% intervals of model - baseline",
    )
    e.add_argument("--json", type=Path, default=None, help="also write the cross-validation results to this file")

    c = sub.add_parser(
        "calibrate",
        help="fit the negative-score calibration on the held-out split the model was not trained on; write "
        "calibration.json beside the model, the 'calibration' block of metrics.json and the model card's section",
    )
    c.add_argument("--data", type=Path, required=True, help="directory with train_<lang>.jsonl files")
    c.add_argument(
        "--model", type=Path, default=None, help="model.onnx or a Hugging Face export directory (default: the shipped model)"
    )
    c.add_argument("--seed", type=int, default=13, help="the hold-out seed the model was trained with")
    c.add_argument("--langs", default=",".join(LANGS))
    c.add_argument("--max-per-lang", type=int, default=None)
    c.add_argument(
        "--target-max-stars",
        type=int,
        default=None,
        help="the score becomes P(stars <= this); default 3 (see MODEL_CARD.md on why not 2)",
    )

    r = sub.add_parser("predict", help='score a jsonl file of {"text": ...} objects')
    r.add_argument("--input", type=Path, required=True)
    r.add_argument("--output", type=Path, required=True)
    r.add_argument("--model", type=Path, default=None)
    r.add_argument("--batch-size", type=int, default=256)
    return p


def _cmd_train(a: argparse.Namespace) -> int:
    from .evaluate import format_table
    from .train import train

    res = train(
        a.data,
        a.out,
        seed=a.seed,
        langs=[x for x in a.langs.split(",") if x],
        max_per_lang=a.max_per_lang,
        epochs=a.epochs,
        with_baseline=not a.no_baseline,
        validation=a.validation,
    )
    for split in ("holdout", "validation"):
        if split in res.metrics:
            print(f"{split} split (values in %):")
            print(format_table(res.metrics[split]))
    print(f"model: {res.model_path}\nmetrics: {res.metrics_path}")
    return 0


def _cmd_retrain(a: argparse.Namespace) -> int:
    from .evaluate import format_table
    from .train import train_from_records

    # NOTE: read and validate everything first so a bad line stops before any training.
    records = [(o["text"], o["stars"], o.get("lang") or "xx") for _, o in iter_jsonl(a.input, require_stars=True)]
    res = train_from_records(
        records, a.out, seed=a.seed, epochs=a.epochs, holdout=a.holdout, source=f"operator file {a.input.name}"
    )
    if "holdout" in res.metrics:
        print(format_table(res.metrics["holdout"]))
    print(f"model: {res.model_path}\nmetrics: {res.metrics_path}")
    return 0


def _cmd_eval(a: argparse.Namespace) -> int:
    import tempfile

    from .baseline import fit_baseline
    from .data import load_dir, split_holdout
    from .evaluate import format_table, per_language
    from .loading import load_star_model
    from .train import HOLDOUT_FRAC, train

    langs = [x for x in a.langs.split(",") if x]
    if a.folds is not None:
        if a.model is not None:
            raise ValueError("--folds trains a model per fold; it cannot be combined with --model")
        return _cross_validate(a, langs)
    if a.model is None:
        # NOTE: no model given: train one (and the baseline) on the same split, like `train`.
        with tempfile.TemporaryDirectory() as tmp:
            res = train(a.data, Path(tmp), seed=a.seed, langs=langs, max_per_lang=a.max_per_lang, epochs=a.epochs)
        print(format_table(res.metrics["holdout"]))
        return 0
    model = load_star_model(a.model)
    reviews = load_dir(a.data, langs, a.max_per_lang)
    train_set, test_set = split_holdout(reviews, HOLDOUT_FRAC, seed=a.seed)
    texts = [r.text for r in test_set]
    langs_t = [r.lang for r in test_set]
    gold = [r.stars for r in test_set]
    results = {"model": per_language(langs_t, gold, model.predict_batched(texts))}
    base = fit_baseline([r.text for r in train_set], [r.stars for r in train_set], seed=a.seed)
    results["baseline"] = per_language(langs_t, gold, base.predict_proba(texts))
    print(f"model {model.version} on {len(test_set)} held-out reviews (seed {a.seed}); values in %")
    print(format_table(results))
    return 0


def _check_holdout(metadata: dict[str, str], *, seed: int, langs: list[str], max_per_lang: int | None) -> None:
    """Refuses a split that would put the model's own training reviews into the calibration set."""
    try:
        note = json.loads(metadata.get("trained_on", ""))
    except ValueError:
        note = None
    if not isinstance(note, dict) or "holdout" not in note or "languages" not in note:
        log.warning("the model does not record its hold-out split; make sure it never trained on --data")
        return
    same = (
        note["holdout"].endswith(f"seed {seed}")
        and list(note["languages"]) == list(langs)
        and note.get("max_per_lang") == max_per_lang
    )
    if not same:
        raise ValueError(
            f"the model was trained with hold-out {note['holdout']!r}, languages {note['languages']}, max_per_lang "
            f"{note.get('max_per_lang')}; calibrate with the same --seed/--langs/--max-per-lang so it is fitted on "
            "reviews the model never saw"
        )


CARD_BEGIN, CARD_END = "<!-- negative-calibration:begin -->", "<!-- negative-calibration:end -->"


def _cmd_calibrate(a: argparse.Namespace) -> int:
    from .calibration import DEFAULT_TARGET_MAX_STARS, format_report
    from .data import load_dir, split_holdout
    from .loading import load_star_model
    from .model import DEFAULT_MODEL_PATH
    from .train import HOLDOUT_FRAC, calibrate

    langs = [x for x in a.langs.split(",") if x]
    path = Path(a.model or DEFAULT_MODEL_PATH)
    # NOTE: the calibration being replaced may belong to an older model; it is not read.
    model = load_star_model(path, find_calibration=False)
    _check_holdout(model.metadata, seed=a.seed, langs=langs, max_per_lang=a.max_per_lang)
    _, held = split_holdout(load_dir(a.data, langs, a.max_per_lang), HOLDOUT_FRAC, seed=a.seed)
    probs = model.predict_batched([r.text for r in held])
    folder = path if path.is_dir() else path.parent
    fitted_on = f"held-out split of {a.data.name}: {HOLDOUT_FRAC:.0%} per (language, stars), seed {a.seed}"
    target = DEFAULT_TARGET_MAX_STARS if a.target_max_stars is None else a.target_max_stars
    gold, held_langs = [r.stars for r in held], [r.lang for r in held]
    rep = calibrate(model, probs, gold, held_langs, folder, fitted_on, target_max_stars=target, seed=a.seed)
    if not rep["fitted"]:
        raise ValueError(f"no calibration fitted: {rep['reason']}")
    text = format_report(rep)
    metrics_path = folder / "metrics.json"
    if metrics_path.is_file():
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        metrics["calibration"] = rep
        metrics_path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    card = folder / "MODEL_CARD.md"
    if card.is_file():
        doc = card.read_text(encoding="utf-8")
        head, sep, rest = doc.partition(CARD_BEGIN)
        _, sep2, tail = rest.partition(CARD_END)
        if sep and sep2:
            card.write_text(f"{head}{CARD_BEGIN}\n{text}\n{CARD_END}{tail}", encoding="utf-8")
        else:
            log.warning("%s has no %s ... %s section; not updated", card, CARD_BEGIN, CARD_END)
    print(text)
    print(f"calibration: {folder / 'calibration.json'}")
    return 0


def _cross_validate(a: argparse.Namespace, langs: list[str]) -> int:
    from .data import load_dir
    from .evaluate import format_difference_table, format_table, paired_bootstrap, per_language
    from .train import cross_validate

    reviews = load_dir(a.data, langs, a.max_per_lang)
    cv = cross_validate(reviews, a.folds, seed=a.seed, epochs=a.epochs)
    results = {
        "model": per_language(cv.langs, cv.gold, cv.model_probs),
        "baseline": per_language(cv.langs, cv.gold, cv.baseline_probs),
    }
    diffs = paired_bootstrap(cv.langs, cv.gold, cv.model_probs, cv.baseline_probs, seed=a.seed)
    print(f"{a.folds}-fold cross-validation on {len(reviews)} reviews (seed {a.seed}); values in %")
    print(format_table(results))
    print("\nmodel - baseline in points, 95% paired-bootstrap interval (an interval above 0 is a real win):")
    print(format_difference_table(diffs))
    if a.json is not None:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        doc = {"folds": a.folds, "seed": a.seed, "reviews": len(reviews), "results": results, "model_minus_baseline": diffs}
        a.json.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


def _cmd_predict(a: argparse.Namespace) -> int:
    from .loading import load_star_model
    from .model import DEFAULT_MODEL_PATH, negative_score

    # NOTE: validate the whole input before loading the model or writing, so a bad line fails
    # fast and leaves no half-written output.
    rows = [obj for _, obj in iter_jsonl(a.input)]
    model = load_star_model(a.model or DEFAULT_MODEL_PATH)
    a.output.parent.mkdir(parents=True, exist_ok=True)
    with open(a.output, "w", encoding="utf-8") as out:
        for i in range(0, len(rows), a.batch_size):
            chunk = rows[i : i + a.batch_size]
            probs = model.predict([o["text"] for o in chunk])
            neg = negative_score(probs, model.calibration)
            for obj, p, ng in zip(chunk, probs, neg, strict=True):
                rec = dict(obj)
                rec["stars"] = int(p.argmax()) + 1
                rec["star_probs"] = [round(float(x), 6) for x in p]
                rec["negative"] = round(float(ng), 6)
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    log.info("scored %d reviews with %s", len(rows), model.version)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = _parser().parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        commands = {
            "train": _cmd_train,
            "retrain": _cmd_retrain,
            "eval": _cmd_eval,
            "calibrate": _cmd_calibrate,
            "predict": _cmd_predict,
        }
        return commands[args.cmd](args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
