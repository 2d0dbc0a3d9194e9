"""Benchmark: the NLP near-duplicate step per review as a tenant grows (1k, 10k, 100k stored reviews).

Each size is one tenant whose `review_samples` hold N generated reviews with their MinHash signatures
(distinct texts, light edits of 20 campaign templates and 10 short stock phrases, so the clusters grow
with the tenant: about 500 members each at 100k). Then batches of 256 new reviews of the same mix go
through the service's own near-duplicate step, as `NlpService` runs it: under the tenant's lock, catch
up the index from `review_samples`, add the batch, store the samples. Reported per size: ms per review
of that step (steady batches, the index loaded), the one-off load of the index (a restart or a second
replica), and the process's resident memory after loading. The baseline is the 1k tenant in the same
run, the sizes taking turns batch by batch; the figure is the ratio of each size to it (goal ≤ 1.5).
The round-2 index with its catch-up (each batch re-added the one before, rebuilding the tenant's
clusters) cost 47.9 ms per review at 1k stored and 132 ms at 5k on this step (measured at 6374ebe~1).

Writes bench/results/nlp_duplicates.json. Runs against embedded PostgreSQL (or DATABASE_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from libs import db  # noqa: E402
from libs.embedded import EmbeddedPostgres, ensure_database  # noqa: E402
from services.nlp import repository  # noqa: E402
from services.nlp.app import MIGRATIONS, SCHEMA  # noqa: E402
from services.nlp.duplicates import Signer  # noqa: E402
from services.nlp.duplicates.signature import values_from_bytes  # noqa: E402
from services.nlp.service import NlpService  # noqa: E402

BATCH = 256
STOCK = ["Great product", "Love it", "Works as described", "Fast shipping, thank you", "Not worth the money",
         "Broke after a week", "Five stars", "Would not recommend", "Perfect gift", "Exactly what I needed"]


class Texts:
    """Generated reviews: 80% distinct, 15% light edits of 20 templates, 5% stock phrases."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pe", "da", "gu", "hi", "jo", "be", "wa"]
        self.words = ["".join(self.rng.choice(syllables) for _ in range(self.rng.randint(2, 4))) for _ in range(5000)]
        self.templates = [" ".join(self.rng.choice(self.words) for _ in range(25)) for _ in range(20)]

    def next(self) -> str:
        draw = self.rng.random()
        if draw < 0.05:
            return self.rng.choice(STOCK)
        if draw < 0.20:
            words = self.rng.choice(self.templates).split()
            words[self.rng.randrange(len(words))] = self.rng.choice(self.words)
            return " ".join(words)
        return " ".join(self.rng.choice(self.words) for _ in range(self.rng.randint(10, 40)))


async def seed(pool, tenant: uuid.UUID, texts: Texts, signer: Signer, n: int) -> None:
    """N stored samples with signatures, written by COPY (what the NLP would have stored)."""
    posted = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for start in range(0, n, 20_000):
        chunk = [texts.next() for _ in range(min(20_000, n - start))]
        signatures = signer.sign_bytes_many(chunk)
        records = [(uuid.uuid4(), tenant, f"P{i % 50}", f"U{start + i}", 1 + i % 5, "en", posted, t, s)
                   for i, (t, s) in enumerate(zip(chunk, signatures))]
        async with pool.acquire() as conn:
            await conn.copy_records_to_table(
                "review_samples", records=records, schema_name=SCHEMA,
                columns=["review_id", "tenant_id", "product_id", "reviewer_id", "rating", "language", "posted_at", "text", "signature"],
            )


async def duplicate_step(service: NlpService, pool, tenant: uuid.UUID, batch: list[tuple[str, bytes, str]]) -> int:
    """The near-duplicate part of `NlpService._analyze_and_store` for one batch; how many got a cluster."""
    async with pool.acquire() as conn:
        async with conn.transaction():
            await repository.lock_duplicates(conn, tenant)
            seq, index = await service._duplicate_index(conn, tenant)  # noqa: SLF001 - the step being measured
            added = index.add_many((rid, values_from_bytes(sig)) for rid, sig, _ in batch)
            posted = datetime(2026, 2, 1, tzinfo=timezone.utc)
            samples = [
                {"review_id": uuid.UUID(rid), "tenant_id": tenant, "product_id": "P1", "reviewer_id": "", "rating": 1,
                 "language": "en", "posted_at": posted, "text": text, "signature": sig,
                 "cluster_id": uuid.UUID(cluster) if cluster else None}
                for (rid, sig, text), (cluster, _) in zip(batch, added)
            ]
            seq = await repository.store_samples(conn, samples) or seq
    service._duplicates[tenant] = (seq, index)  # noqa: SLF001
    return sum(1 for cluster, _ in added if cluster)


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(dsn: str, sizes: list[int], batches: int) -> list[dict]:
    await db.migrate(dsn, schema=SCHEMA, directory=MIGRATIONS)
    pool = await db.create_pool(dsn, schema=SCHEMA, min_size=1, max_size=2)
    signer = Signer()
    # NOTE: the step needs no models; the analyzer is only asked for its detector.
    service = NlpService(pool=pool, analyzer=SimpleNamespace(default_detector=None), executor=None)  # type: ignore[arg-type]
    tenants = {n: (uuid.uuid4(), Texts(seed=n)) for n in sizes}
    rows: dict[int, dict] = {}
    try:
        for n, (tenant, texts) in tenants.items():
            await seed(pool, tenant, texts, signer, n)
            before = rss_mib()
            started = time.perf_counter()
            await duplicate_step(service, pool, tenant, [])
            load = time.perf_counter() - started
            loaded = rss_mib()
            rows[n] = {"stored": n, "index_load_s": round(load, 2), "rss_mib_after_load": round(loaded, 1),
                       "rss_mib_for_index": round(loaded - before, 1)}
        # NOTE: the sizes take turns batch by batch, so other load on the machine hits them alike.
        timings: dict[int, list[float]] = {n: [] for n in sizes}
        clustered = dict.fromkeys(sizes, 0)
        for _ in range(batches):
            for n, (tenant, texts) in tenants.items():
                chunk = [texts.next() for _ in range(BATCH)]
                batch = [(str(uuid.uuid4()), sig, t) for t, sig in zip(chunk, signer.sign_bytes_many(chunk))]
                started = time.perf_counter()
                clustered[n] += await duplicate_step(service, pool, tenant, batch)
                timings[n].append(time.perf_counter() - started)
        for n, (tenant, _) in tenants.items():
            spent = sorted(timings[n])
            index = service._duplicates[tenant][1]  # noqa: SLF001
            largest = sorted((len(m) for m in index.clusters().values()), reverse=True)[:3]
            rows[n].update({
                "ms_per_review_median": round(1000 * spent[len(spent) // 2] / BATCH, 4),
                "ms_per_review_best": round(1000 * spent[0] / BATCH, 4),
                "new_reviews": batches * BATCH,
                "new_with_cluster": clustered[n],
                "largest_clusters": largest,
            })  # fmt: skip
            print(json.dumps(rows[n]), flush=True)
    finally:
        await pool.close()
    return [rows[n] for n in sizes]


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


async def run(sizes: list[int], batches: int, out: Path) -> dict:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="reviewguard-bench-") as tmp:
        postgres = None
        if os.environ.get("DATABASE_URL"):
            admin = os.environ["DATABASE_URL"]
        else:
            folder = Path(tmp)
            folder.chmod(0o755)
            postgres = EmbeddedPostgres(folder / "pg", delete_on_stop=True)
            admin = postgres.start()
        try:
            dsn = await ensure_database(admin, f"bench_{uuid.uuid4().hex[:8]}")
            rows = await measure(dsn, sizes, batches)
        finally:
            if postgres is not None:
                postgres.stop()
    baseline = rows[0]["ms_per_review_median"]
    result = {
        "benchmark": "nlp near-duplicate step per review (lock, catch up the index, add a 256-review batch, store samples)",
        "commit": _commit(),
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "texts": "generated: 80% distinct, 15% light edits of 20 templates, 5% of 10 stock phrases",
        "baseline": f"the {rows[0]['stored']:,}-review tenant in the same run",
        "sizes": rows,
        "ratio_to_baseline": {str(r["stored"]): round(r["ms_per_review_median"] / baseline, 2) for r in rows},
        "ratio_to_baseline_best": {str(r["stored"]): round(r["ms_per_review_best"] / rows[0]["ms_per_review_best"], 2) for r in rows},
        "goal_ratio": 1.5,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average_before": round(load_before, 2)},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--batches", type=int, default=12)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "nlp_duplicates.json")
    args = parser.parse_args(argv)
    result = asyncio.run(run([int(s) for s in args.sizes.split(",")], args.batches, args.out))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
