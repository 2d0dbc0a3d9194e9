"""Benchmark: reviews/s of the star model (features + onnxruntime) at batch 256, next to the baseline."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.nlp.stars.model import DEFAULT_MODEL_PATH, StarModel  # noqa: E402

log = logging.getLogger(__name__)

DEFAULT_DATA = REPO.parent / "shared" / "data" / "reviews-marc"
BATCH = 256


def load_texts(data_dir: Path, per_lang: int) -> tuple[list[str], list[int]]:
    """Texts (and stars) to time on: the MARC dev files when present, else generated reviews."""
    from services.nlp.stars.data import LANGS, load_dir

    if (data_dir / "train_en.jsonl").is_file():
        revs = load_dir(data_dir, LANGS, per_lang)
        return [r.text for r in revs], [r.stars for r in revs]
    # NOTE: fallback so the benchmark runs anywhere; lengths roughly like real reviews.
    words = "good bad quality price delivery broken love hate works fine cheap great poor size colour".split()
    texts = [" ".join(words[(i * 7 + j) % len(words)] for j in range(10 + i % 40)) for i in range(per_lang * 6)]
    return texts, [1 + i % 5 for i in range(len(texts))]


def rate(fn, texts: list[str], seconds: float) -> float:
    """Reviews/s of fn over consecutive batches of BATCH texts for about `seconds`."""
    batches = [texts[i : i + BATCH] for i in range(0, len(texts) - BATCH + 1, BATCH)]
    fn(batches[0])
    n, t0, i = 0, time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        fn(batches[i % len(batches)])
        n += BATCH
        i += 1
    return n / (time.perf_counter() - t0)


def rate_threads(model: StarModel, texts: list[str], seconds: float, workers: int) -> float:
    """Reviews/s with `workers` threads sharing one session (as an executor would)."""
    batches = [texts[i : i + BATCH] for i in range(0, len(texts) - BATCH + 1, BATCH)]
    model.predict(batches[0])
    deadline = time.perf_counter() + seconds

    def work(k: int) -> int:
        n, i = 0, k
        while time.perf_counter() < deadline:
            model.predict(batches[i % len(batches)])
            n += BATCH
            i += workers
        return n

    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as ex:
        total = sum(ex.map(work, range(workers)))
    return total / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write bench/results/nlp_stars.json."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--per-lang", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "nlp_stars.json")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    texts, stars = load_texts(a.data, a.per_lang)
    # NOTE: interleave languages so each batch is mixed, as in production traffic.
    order = sorted(range(len(texts)), key=lambda i: (i % a.per_lang, i))
    texts = [texts[i] for i in order]
    stars = [stars[i] for i in order]
    m1 = StarModel.load(a.model, intra_op_num_threads=1)
    m2 = StarModel.load(a.model, intra_op_num_threads=2)
    res: dict = {
        "model": str(a.model.relative_to(REPO) if a.model.is_relative_to(REPO) else a.model),
        "model_version": m1.version,
        "batch": BATCH,
        "texts": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
        "cpu_count": os.cpu_count(),
        # NOTE: the machine may be shared; a load near the core count means the 2-thread rows are pessimistic.
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "model_reviews_per_s": {
            "1_thread": round(rate(m1.predict, texts, a.seconds)),
            "2_intra_op_threads": round(rate(m2.predict, texts, a.seconds)),
            "2_caller_threads_shared_session": round(rate_threads(m1, texts, a.seconds, 2)),
        },
    }
    if not a.no_baseline:
        from services.nlp.stars.baseline import fit_baseline

        base = fit_baseline(texts, stars)
        res["baseline_reviews_per_s"] = {"1_thread": round(rate(base.predict_proba, texts, a.seconds))}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
