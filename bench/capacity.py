"""`make bench`: what each service costs per review, the figures deploy/README.md's Capacity rests on.

Starts the whole system as bench/pipeline.py does (embedded PostgreSQL and NATS, every service its
own process), posts one bounded burst of reviews through the gateway (BENCH_CAPACITY_REVIEWS,
20,000 by default, a seller's mix with one in five 1-2 stars) and waits until every review is
analysed and every negative has its case. Per process it records:

- CPU seconds per 1,000 reviews (user + system, from /proc/<pid>/stat before and after the burst)
  and so the reviews/s one fully busy CPU handles: the per-replica planning rate, independent of
  how many other processes shared the machine's cores;
- peak RSS (the kernel's high-water mark, VmHWM in /proc/<pid>/status, start-up and models
  included), what memory requests and limits are set from;
- the reviews/s each stage handled during the burst (all stages sharing the machine);
- PostgreSQL's WAL bytes and database growth per review (what replication, archiving and disks
  carry), from pg_current_wal_lsn() and pg_database_size() before and after.

Baselines in the same run, on the same NATS and PostgreSQL: raw JetStream publish/consume and a raw
COPY (bench/pipeline.py's). Figures go to bench/results/capacity.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import httpx

from bench.pipeline import Watcher, cpu_seconds, post_all, raw_copy, raw_jetstream, review
from libs.embedded import free_port
from libs.settings import Settings
from services.gateway.tenants import provision_tenant
from services.launcher import LocalSystem

RESULTS = Path(__file__).parent / "results" / "capacity.json"
REVIEWS = int(os.environ.get("BENCH_CAPACITY_REVIEWS", 20_000))
# What each process's CPU per review is divided by: the reviews a stage handles. Resolution handles
# the alerts of the negatives; every other stage handles every review.
STAGE_OUTPUT = {"gateway": "accepted", "ingest": "accepted", "nlp": "analysed", "alerting": "alerted", "resolution": "cased"}


def peak_rss_mib(pid: int | None) -> float | None:
    """The process's peak resident set so far (VmHWM), in MiB; None once it is gone."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def pids(system: LocalSystem) -> dict[str, int | None]:
    out = {name: proc.pid for name, proc in system._processes.items()}  # noqa: SLF001 - the bench reads its children
    out["nats"] = system._nats.pid if system._nats else None  # noqa: SLF001
    return out


async def database_position(dsn: str) -> tuple[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT pg_current_wal_lsn()::text"), await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()


async def wal_bytes(dsn: str, since: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::text::pg_lsn)", since))
    finally:
        await conn.close()


async def burst(system: LocalSystem, key: str, watcher: Watcher) -> dict:
    base = f"http://{system.settings.host}:{system.settings.gateway_port}"
    now = datetime.now(timezone.utc)
    reviews = [review("capacity", i, posted=now - timedelta(minutes=5)) for i in range(REVIEWS)]
    posted: dict[str, float] = {}
    negatives: set[str] = set()
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as api:
        load_before = os.getloadavg()[0]
        wal_before, size_before = await database_position(system.dsn)
        cpu_before = cpu_seconds(system)
        start = time.perf_counter()
        await post_all(api, reviews, posted, negatives)
        accepted = time.perf_counter()
        analysed = await watcher.wait(watcher.analyzed, posted, timeout=600)
        alerted = await watcher.wait(watcher.alerted, negatives, timeout=300)
        cased = await watcher.wait(watcher.cased, negatives, timeout=300)
        cpu_after = cpu_seconds(system)
        wall = max(analysed, cased) - start
        # NOTE: the relays delete published outbox rows; what stays is what a disk keeps per review.
        wal = await wal_bytes(system.dsn, wal_before)
        size_after = (await database_position(system.dsn))[1]
    done = {
        "accepted": (len(posted), accepted - start),
        "analysed": (len([r for r in posted if r in watcher.analyzed]), analysed - start),
        "alerted": (len([r for r in negatives if r in watcher.alerted]), alerted - start),
        "cased": (len([r for r in negatives if r in watcher.cased]), cased - start),
    }
    memory = {name: peak_rss_mib(pid) for name, pid in pids(system).items()}
    per_process = {}
    for name in sorted(cpu_after):
        used = cpu_after[name] - cpu_before.get(name, 0.0)
        stage = STAGE_OUTPUT.get(name.partition("-")[0])
        entry = {
            "cpu_seconds": round(used, 2),
            "cpu_s_per_1000_reviews": round(1000 * used / REVIEWS, 3),
            # NOTE: the planning rate: reviews one busy CPU handles at this cost per review.
            "reviews_per_s_per_cpu": round(REVIEWS / used, 0) if used else None,
            "busy_share_of_a_core": round(used / wall, 2),
            "peak_rss_mib": memory.get(name),
        }
        if stage is not None:
            handled, seconds = done[stage]
            entry["stage_output"] = stage
            entry["stage_handled"] = handled
            entry["stage_per_s_during_burst"] = round(handled / seconds, 1) if seconds > 0 else None
            if stage in ("alerted", "cased"):
                entry["cpu_ms_per_" + ("alert" if stage == "alerted" else "case")] = round(1000 * used / max(handled, 1), 3)
        per_process[name] = entry
    return {
        "reviews": REVIEWS,
        "negatives": len(negatives),
        "wall_s": round(wall, 1),
        "not_analysed": REVIEWS - done["analysed"][0],
        "negatives_without_case": len(negatives) - done["cased"][0],
        "machine_load_average_1m": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "postgres_wal_bytes_per_review": round(wal / REVIEWS),
        "postgres_database_growth_bytes_per_review": round((size_after - size_before) / REVIEWS),
        "per_process": per_process,
    }


async def run(system: LocalSystem) -> dict:
    watcher = Watcher()
    await watcher.start(system.nats_url)
    try:
        out: dict = {
            "baseline_raw_jetstream": await raw_jetstream(system.nats_url, 20_000),
            "baseline_raw_copy": await raw_copy(system.dsn, 20_000),
        }
        _, key = await provision_tenant(system.dsn, "bench-capacity", pepper=system.api_key_pepper())
        out["burst"] = await burst(system, key, watcher)
    finally:
        await watcher.close()
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(
            data_dir=root / "data", embedded_nats_port=free_port(), ingest_port=free_port(), nlp_port=free_port(),
            alerting_port=free_port(), resolution_port=free_port(), gateway_port=free_port(), ingest_metrics_port=free_port(),
            nlp_metrics_port=free_port(), alerting_metrics_port=free_port(), resolution_metrics_port=free_port(),
            # NOTE: the 14 languages the production ConfigMap sets, so nlp's memory is production's.
            nlp_languages="en,de,fr,es,it,ja,zh,pt,nl,pl,sv,tr,ko,ar", log_level="WARNING",
            # NOTE: the bench measures cost, not the per-key limits that guard a real gateway.
            rate_limit_per_key="", daily_quota_per_tenant=0,
        )
        system = LocalSystem(settings=settings, log_dir=root / "logs", restart_crashed=False)
        system.start_infrastructure()
        try:
            system.start_services()
            system.wait_ready()
            figures = asyncio.run(run(system))
        finally:
            system.stop()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    result = {
        "benchmark": "capacity: CPU seconds per 1,000 reviews and peak RSS per service, one burst through the gateway",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "note": "every service, PostgreSQL and NATS on this machine, which other work shared (load average above)"},
        **figures,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
