"""Benchmark: rows/s of the seller-centre presets' mapping (CSV parsed and each row mapped to a Review,
no database), Walmart and AliExpress beside the Amazon preset as the baseline, measured in the same
run on files of the same size. Writes bench/results/import_presets.json.

What it shows: whether a preset's extra work (AliExpress: a hashed, derived review id and China time
to UTC; Walmart: US dates with times) costs the import's hot loop anything against Amazon's.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.ingest.imports import (  # noqa: E402
    RowError,
    aliexpress_seller_center,
    amazon_seller_central,
    import_reviews,
    walmart_seller_center,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
# Review texts written for the benchmark.
TEXTS = ["Das Gerät kam beschädigt an.", "Boils fast, a bit loud.", "Le couvercle ne ferme plus.", "Товар пришёл разбитым.", "配送が早くて品質も良いです。"]


def rows(preset: str, n: int) -> tuple[list[str], list[list[str]]]:
    if preset == "amazon":
        header = ["Review ID", "ASIN", "Review Date", "Star Rating", "Title", "Review Text", "Reviewer Name", "Marketplace"]
        return header, [[f"R{i:09d}", f"B0{i % 500:08d}", f"2026-11-{1 + i % 20:02d}", str(1 + i % 5), "t", TEXTS[i % 5], "n", "DE"] for i in range(n)]
    if preset == "walmart":
        header = ["Review ID", "Item ID", "Rating", "Review Title", "Review Text", "Reviewer Nickname", "Review Submission Date"]
        return header, [[str(284710000 + i), str(5512390000 + i % 500), str(1 + i % 5), "t", TEXTS[i % 5], "n", f"11/{1 + i % 20:02d}/2026 14:05:00"] for i in range(n)]
    header = ["订单号", "商品ID", "买家", "国家", "评分", "评价内容", "评价时间"]
    return header, [[str(8190234470000000 + i), str(1005006214470000 + i % 500), "n", "RU", str(1 + i % 5), TEXTS[i % 5], f"2026-11-{1 + i % 20:02d} 09:12:44"] for i in range(n)]


def measure(preset: str, n: int, directory: Path) -> dict:
    path = directory / f"{preset}.csv"
    header, data = rows(preset, n)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(data)
    mapping = {"amazon": amazon_seller_central, "walmart": walmart_seller_center, "aliexpress": aliexpress_seller_center}[preset]()
    started = time.perf_counter()
    with path.open("rb") as f:
        items = list(import_reviews(f, format="csv", mapping=mapping, now=NOW))
    seconds = time.perf_counter() - started
    bad = sum(isinstance(item, RowError) for _, item in items)
    return {"rows": n, "bad": bad, "seconds": round(seconds, 3), "rows_per_second": round(n / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "import_presets.json")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        results = {preset: measure(preset, args.rows, Path(tmp)) for preset in ("amazon", "walmart", "aliexpress")}
    baseline = results["amazon"]["rows_per_second"]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    report = {
        "benchmark": "import_presets", "commit": commit, "baseline": "amazon", **results,
        "ratio_to_baseline": {p: round(results[p]["rows_per_second"] / baseline, 3) for p in ("walmart", "aliexpress")},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(), "load_average_before": round(load, 2)},
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
