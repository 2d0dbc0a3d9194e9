"""Precision and recall per aspect on the hand-labelled sets, texts read from the MARC dev data.

Three sets, drawn with fixed seeds (stratified by language and star rating, no review in two sets)
and labelled by the same rules (aspects/README.md):
- `development` (240): the lexicon was first written after reading these, so its figures flatter it;
- `revision` (240): drawn later and scored once before the lexicon was revised with it in view (that
  first score is in the README); a development set since;
- `held-out` (120): drawn after the revision and labelled before the tagger was run on it; terms are
  never added because of a review in it, so its figures are what to expect on unseen reviews.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from services.nlp.aspects.models import ASPECTS
from services.nlp.aspects.tagger import AspectTagger

log = logging.getLogger(__name__)

EVAL_LABELS = Path(__file__).resolve().parent / "eval_labels.jsonl"
REVISION_LABELS = Path(__file__).resolve().parent / "eval_labels_revision.jsonl"
HELDOUT_LABELS = Path(__file__).resolve().parent / "eval_labels_heldout.jsonl"
LABEL_SETS = {"development": EVAL_LABELS, "revision": REVISION_LABELS, "held-out": HELDOUT_LABELS}
# NOTE: the data stays outside the repository (its licence forbids republishing); only pointers
# (language, 1-based line, sha1 of the text) and the labels are committed.
DEFAULT_DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "reviews-marc"


@dataclass(frozen=True)
class LabelledReview:
    language: str
    line: int
    sha1: str
    aspects: frozenset[str]


@dataclass
class AspectScore:
    """Counts for one aspect; precision and recall are None when undefined."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass
class Report:
    """Scores per aspect overall and per language, and how many reviews were read."""

    reviews: int = 0
    missing: int = 0
    overall: dict[str, AspectScore] = field(default_factory=dict)
    by_language: dict[str, dict[str, AspectScore]] = field(default_factory=dict)

    def table(self) -> str:
        """A Markdown table of the overall scores."""

        def fmt(value: float | None) -> str:
            return "–" if value is None else f"{value:.2f}"

        rows = ["| aspect | support | precision | recall |", "| --- | ---: | ---: | ---: |"]
        for aspect in ASPECTS:
            s = self.overall.get(aspect, AspectScore())
            rows.append(f"| {aspect} | {s.support} | {fmt(s.precision)} | {fmt(s.recall)} |")
        tp = sum(s.tp for s in self.overall.values())
        fp = sum(s.fp for s in self.overall.values())
        fn = sum(s.fn for s in self.overall.values())
        micro = AspectScore(tp, fp, fn)
        rows.append(f"| **micro** | {micro.support} | {fmt(micro.precision)} | {fmt(micro.recall)} |")
        return "\n".join(rows)


def read_labels(path: Path = EVAL_LABELS) -> list[LabelledReview]:
    """The labelled pointers; no text is stored."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(LabelledReview(row["language"], int(row["line"]), row["sha1"], frozenset(row["aspects"])))
    return out


def _read_texts(data_dir: Path, labels: list[LabelledReview]) -> dict[tuple[str, int], str]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for label in labels:
        wanted[label.language].add(label.line)
    texts = {}
    for language, lines in wanted.items():
        path = data_dir / f"train_{language}.jsonl"
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as f:
            for number, raw in enumerate(f, start=1):
                if number in lines:
                    texts[(language, number)] = json.loads(raw)["text"]
    return texts


def evaluate(*, tagger: AspectTagger, data_dir: Path = DEFAULT_DATA, labels_path: Path = EVAL_LABELS) -> Report | None:
    """Scores `tagger` against the labels; None when the data folder is absent."""
    if not data_dir.is_dir():
        log.info("aspect evaluation skipped: no data at %s", data_dir)
        return None
    labels = read_labels(labels_path)
    texts = _read_texts(data_dir, labels)
    usable = []
    report = Report()
    for label in labels:
        text = texts.get((label.language, label.line))
        # NOTE: a changed data file must not silently score other reviews against these labels.
        if text is None or hashlib.sha1(text.encode()).hexdigest() != label.sha1:
            report.missing += 1
            continue
        usable.append((label, text))
    predicted = tagger.tag([t for _, t in usable], [lab.language for lab, _ in usable])
    for (label, _), tags in zip(usable, predicted):
        report.reviews += 1
        got = set(tags) & set(ASPECTS)
        per_language = report.by_language.setdefault(label.language, {})
        for aspect in ASPECTS:
            for scores in (report.overall, per_language):
                s = scores.setdefault(aspect, AspectScore())
                if aspect in got and aspect in label.aspects:
                    s.tp += 1
                elif aspect in got:
                    s.fp += 1
                elif aspect in label.aspects:
                    s.fn += 1
    return report


def main(argv: list[str] | None = None) -> int:
    """Prints the precision/recall table; `python -m services.nlp.aspects.evaluate [--data DIR]`."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--set", choices=sorted(LABEL_SETS), default="held-out", help="which labelled set to score")
    parser.add_argument("--by-language", action="store_true")
    args = parser.parse_args(argv)
    report = evaluate(tagger=AspectTagger.load(), data_dir=args.data, labels_path=LABEL_SETS[args.set])
    if report is None:
        print(f"no data at {args.data}; nothing evaluated")
        return 0
    print(f"{args.set} set: {report.reviews} reviews ({report.missing} missing or changed)")
    print(report.table())
    if args.by_language:
        for language, scores in sorted(report.by_language.items()):
            line = ", ".join(
                f"{a} {s.tp}/{s.tp + s.fp}/{s.tp + s.fn}" for a, s in scores.items() if s.tp + s.fp + s.fn
            )
            print(f"{language}: (tp/predicted/labelled) {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
