"""Benchmark: reviews/s of each part of the NLP analysis alone, on the texts bench.nlp_analysis uses.

The same breakdown `python -m bench.nlp_analysis` records beside the full-analysis figure (real
reviews read at run time from ../shared/data/reviews-marc, templated texts only when that folder
is absent), for when only the parts are of interest. Writes bench/results/nlp_parts.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.nlp_analysis import LANGUAGES, TOTAL, batches, corpus, parts  # noqa: E402
from libs.settings import Settings  # noqa: E402
from services.nlp.app import build_analyzer  # noqa: E402

RESULTS = REPO / "bench" / "results" / "nlp_parts.json"


def main(argv: list[str] | None = None) -> int:
    """Times each part alone in batches of 256 on one thread of this process; writes the JSON."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--reviews", type=int, default=TOTAL)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    analyzer = build_analyzer(Settings(nlp_languages=LANGUAGES).nlp)
    texts, _, source = corpus(args.reviews)
    chunks = batches(texts)
    # NOTE: one warm-up pass so lazy imports and first-call costs (tables, sessions) do not count.
    analyzer.analyze(chunks[0])
    results = {
        "texts": source,
        "reviews": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
        "reviews_per_s": parts(analyzer, chunks),
        "process": "one Python process; each part alone, one after another (lingua uses its own threads)",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "loadavg_1m": round(os.getloadavg()[0], 2)},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
