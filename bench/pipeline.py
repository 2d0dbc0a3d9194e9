"""`make bench`: the whole system under a real seller's volume, each figure beside a baseline.

Starts the system as `reviewguard run` does (embedded PostgreSQL and NATS, every service as its own
process, `--replicas` when given) and runs three scenarios through the public REST API:

- burst: 20,000 reviews (a seller's mix: about one in five 1-2 stars) posted as fast as the
  gateway takes them; timed from the first POST to the last `reviews.analyzed` and to the last
  `cases.opened` of the negatives.
- steady: 200 reviews/s for 3 minutes; each review timed from its POST to its `alerts.fired`
  (post -> alert) and `cases.opened` (post -> case), p50/p99.
- fairness: tenant A imports 100,000 reviews from a CSV while tenant B posts one fresh 1-star
  review every 200 ms; B's post -> alert p99 while A's import drains.

Baselines in the same run, on the same NATS and PostgreSQL: raw JetStream (publish 20,000 messages
of a review's size with acks, then pull-consume and ack them) and a raw COPY of 20,000 review rows.
Figures go to bench/results/pipeline.json. Sizes can be cut for a quick look with
BENCH_BURST, BENCH_STEADY_SECONDS, BENCH_IMPORT_ROWS (the README's figures use the defaults).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import httpx
import nats
import psutil

from libs import topology
from libs.embedded import free_port
from libs.settings import Settings
from reviewguard.events.v1 import events_pb2
from services.gateway.tenants import provision_tenant
from services.launcher import LocalSystem

RESULTS = Path(__file__).parent / "results" / "pipeline.json"
BURST = int(os.environ.get("BENCH_BURST", 20_000))
STEADY_SECONDS = float(os.environ.get("BENCH_STEADY_SECONDS", 180))
STEADY_RATE = 200
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 100_000))
PER_REQUEST = 500
IN_FLIGHT = 4

# Review texts written for the benchmark in the marketplaces' languages; (stars, title, body).
TEXTS = [
    (1, "Kaputt angekommen", "Der Wasserkocher kam mit einem Riss an und ist nach zwei Tagen ausgefallen."),
    (2, "Stopped working", "The kettle leaked from the base after a week; the lid does not close anymore."),
    (5, "Super Gerät", "Kocht schnell und leise, das Design gefällt uns sehr. Gerne wieder."),
    (4, "Good value", "Heats up quickly and looks nice on the counter. The cable could be longer."),
    (5, "Parfait", "La bouilloire chauffe vite, elle est silencieuse et facile à nettoyer."),
    (4, "Buena compra", "Funciona bien y calienta rápido, aunque la tapa es un poco dura."),
    (5, "とても良い", "デザインが素敵で、お湯がすぐ沸きます。毎朝使っています。"),
    (4, "不错", "加热很快，外观也好看，就是底座有点轻。"),
    (5, "Love it", "Boils in under two minutes and the auto shut-off works every time."),
    (3, "Okay", "Does the job, but the plastic smell took a week to go away."),
]
MARKETS = ("DE", "US", "DE", "US", "FR", "ES", "JP", "CN", "UK", "US")


def review(prefix: str, i: int, *, posted: datetime, negative: bool | None = None) -> dict:
    stars, title, body = TEXTS[i % len(TEXTS)] if negative is None else TEXTS[i % 2 if negative else 2 + i % 8]
    return {
        "platform": "amazon", "marketplace": MARKETS[i % len(TEXTS)], "external_id": f"{prefix}-{i}",
        "product_id": f"SKU-{i % 200}", "rating": stars, "title": title,
        "body": f"{body} (order {prefix}-{i})", "posted_at": posted.isoformat(),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def latency_summary(started: dict[str, float], finished: dict[str, float]) -> dict:
    values = [finished[r] - started[r] for r in started if r in finished]
    return {
        "count": len(values),
        "missing": len([r for r in started if r not in finished]),
        "p50_s": round(statistics.median(values), 3) if values else None,
        "p99_s": round(percentile(values, 0.99), 3) if values else None,
        "max_s": round(max(values), 3) if values else None,
    }


class Watcher:
    """Core-NATS subscriptions on the stream subjects: when each review was analysed, alerted, cased."""

    def __init__(self) -> None:
        self.analyzed: dict[str, float] = {}
        self.alerted: dict[str, float] = {}
        self.cased: dict[str, float] = {}
        self._nc = None

    async def start(self, url: str) -> None:
        self._nc = await nats.connect(url)

        async def on_analyzed(msg) -> None:
            self.analyzed.setdefault(events_pb2.ReviewAnalyzed.FromString(msg.data).review.id, time.perf_counter())

        async def on_alert(msg) -> None:
            alert = events_pb2.AlertFired.FromString(msg.data).alert
            if alert.review_id:
                self.alerted.setdefault(alert.review_id, time.perf_counter())

        async def on_case(msg) -> None:
            case = events_pb2.CaseOpened.FromString(msg.data).case
            if case.review_id:
                self.cased.setdefault(case.review_id, time.perf_counter())

        await self._nc.subscribe(topology.REVIEW_ANALYZED, cb=on_analyzed)
        await self._nc.subscribe(topology.REVIEW_ANALYZED_HISTORY, cb=on_analyzed)
        await self._nc.subscribe(topology.ALERT_FIRED, cb=on_alert)
        await self._nc.subscribe(topology.CASE_OPENED, cb=on_case)

    async def wait(self, what: dict[str, float], ids, *, timeout: float) -> float:
        """Waits until every id is in `what`; returns the time the last one arrived (or now on timeout)."""
        deadline = time.perf_counter() + timeout
        ids = list(ids)
        while time.perf_counter() < deadline:
            if all(i in what for i in ids):
                return max((what[i] for i in ids), default=time.perf_counter())
            await asyncio.sleep(0.1)
        return time.perf_counter()

    async def close(self) -> None:
        await self._nc.close()


def cpu_seconds(system: LocalSystem) -> dict[str, float]:
    """CPU seconds (user + system) each service, PostgreSQL (postmaster and backends) and NATS used so far."""

    def used(pid: int | None, *, children: bool = False) -> float:
        if pid is None:
            return 0.0
        try:
            process = psutil.Process(pid)
            procs = [process, *(process.children(recursive=True) if children else [])]
            total = 0.0
            for p in procs:
                try:
                    t = p.cpu_times()
                    total += t.user + t.system
                except psutil.Error:
                    pass
            return total
        except psutil.Error:
            return 0.0

    out = {name: used(proc.pid) for name, proc in system._processes.items()}  # noqa: SLF001 - the bench reads its children
    out["postgres"] = used(system._postgres.pid if system._postgres else None, children=True)  # noqa: SLF001
    out["nats"] = used(system._nats.pid if system._nats else None)  # noqa: SLF001
    return out


def cpu_per_review(before: dict[str, float], after: dict[str, float], reviews: int, wall: float) -> dict:
    """Per process: ms of CPU per review and the share of one core it kept busy over `wall` seconds."""
    return {
        name: {"cpu_ms_per_review": round(1000 * (after[name] - before.get(name, 0.0)) / reviews, 3),
               "busy_share_of_a_core": round((after[name] - before.get(name, 0.0)) / wall, 2)}
        for name in sorted(after)
    }  # fmt: skip


async def post_all(api: httpx.AsyncClient, reviews: list[dict], posted: dict[str, float], negatives: set[str]) -> None:
    limiter = asyncio.Semaphore(IN_FLIGHT)

    async def post(chunk: list[dict]) -> None:
        async with limiter:
            started = time.perf_counter()
            response = await api.post("/v1/reviews", json={"reviews": chunk})
            response.raise_for_status()
            for r, review_id in zip(chunk, response.json()["ids"]):
                posted[review_id] = started
                if r["rating"] <= 2:
                    negatives.add(review_id)

    await asyncio.gather(*(post(reviews[i : i + PER_REQUEST]) for i in range(0, len(reviews), PER_REQUEST)))


async def burst(base: str, key: str, watcher: Watcher, system: LocalSystem) -> dict:
    now = datetime.now(timezone.utc)
    reviews = [review("burst", i, posted=now - timedelta(minutes=5)) for i in range(BURST)]
    posted: dict[str, float] = {}
    negatives: set[str] = set()
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as api:
        cpu_before = cpu_seconds(system)
        start = time.perf_counter()
        await post_all(api, reviews, posted, negatives)
        accepted = time.perf_counter()
        analysed = await watcher.wait(watcher.analyzed, posted, timeout=900)
        cased = await watcher.wait(watcher.cased, negatives, timeout=300)
        cpu_after = cpu_seconds(system)
    return {
        "reviews": BURST,
        "negatives": len(negatives),
        "accepted_per_s": round(BURST / (accepted - start), 1),
        "analysed_per_s": round(len([r for r in posted if r in watcher.analyzed]) / (analysed - start), 1),
        "negatives_cased_per_s": round(len([r for r in negatives if r in watcher.cased]) / (cased - start), 1),
        "all_negatives_cased_after_s": round(cased - start, 2),
        "not_analysed": len([r for r in posted if r not in watcher.analyzed]),
        "negatives_without_case": len([r for r in negatives if r not in watcher.cased]),
        "machine_load_average_1m": round(os.getloadavg()[0], 2),
        # NOTE: where the burst's CPU went, per stage: the stage nearest one whole core is the cap.
        "per_process": cpu_per_review(cpu_before, cpu_after, BURST, max(analysed, cased) - start),
    }


async def steady(base: str, key: str, watcher: Watcher) -> dict:
    """200 reviews/s as 20 every 100 ms, each its own request batch, for STEADY_SECONDS."""
    posted: dict[str, float] = {}
    negatives: set[str] = set()
    ticks = int(STEADY_SECONDS * 10)
    per_tick = STEADY_RATE // 10
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as api:
        start = time.perf_counter()
        pending = set()
        for tick in range(ticks):
            now = datetime.now(timezone.utc)
            chunk = [review("steady", tick * per_tick + j, posted=now - timedelta(seconds=30)) for j in range(per_tick)]

            async def post(chunk=chunk) -> None:
                started = time.perf_counter()
                response = await api.post("/v1/reviews", json={"reviews": chunk})
                response.raise_for_status()
                for r, review_id in zip(chunk, response.json()["ids"]):
                    posted[review_id] = started
                    if r["rating"] <= 2:
                        negatives.add(review_id)

            task = asyncio.create_task(post())
            pending.add(task)
            task.add_done_callback(pending.discard)
            await asyncio.sleep(max(0.0, start + (tick + 1) * 0.1 - time.perf_counter()))
        await asyncio.gather(*pending)
        sent_in = time.perf_counter() - start
        await watcher.wait(watcher.cased, negatives, timeout=120)
    return {
        "rate_per_s": STEADY_RATE,
        "seconds": STEADY_SECONDS,
        "sent_per_s": round(len(posted) / sent_in, 1),
        "reviews": len(posted),
        "negatives": len(negatives),
        "post_to_analysed": latency_summary(posted, watcher.analyzed),
        "post_to_alert": latency_summary({r: posted[r] for r in negatives}, watcher.alerted),
        "post_to_case": latency_summary({r: posted[r] for r in negatives}, watcher.cased),
    }


def amazon_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Review ID", "ASIN", "Review Date", "Star Rating", "Title", "Review Text", "Reviewer Name", "Marketplace"])
    for i in range(rows):
        stars, title, body = TEXTS[i % len(TEXTS)]
        writer.writerow([
            f"IMP{i:08d}", f"B0IMP{i % 997:05d}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", stars, title,
            f"{body} (#{i})", f"Kunde {i % 7000}", MARKETS[i % len(MARKETS)],
        ])  # fmt: skip
    return out.getvalue().encode()


async def fairness(base: str, key_a: str, key_b: str, watcher: Watcher) -> dict:
    """Tenant B's fresh 1-star reviews while tenant A's 100k-review import drains."""
    data = amazon_csv(IMPORT_ROWS)
    posted: dict[str, float] = {}
    async with (
        httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key_a}"}, timeout=300) as a,
        httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key_b}"}, timeout=60) as b,
    ):
        start = time.perf_counter()
        response = await a.post("/v1/imports", files={"file": ("reviews.csv", data, "text/csv")}, data={"mapping": "amazon"})
        response.raise_for_status()
        job_id = response.json()["id"]
        analysed_before = len(watcher.analyzed)
        i = 0
        import_done_at = None
        # NOTE: B keeps posting until A's import is stored and at least its first half analysed, or 10 min.
        while time.perf_counter() - start < 600:
            now = datetime.now(timezone.utc)
            sent = time.perf_counter()
            r = await b.post("/v1/reviews", json={"reviews": [review("fair-b", i, posted=now, negative=True)]})
            r.raise_for_status()
            posted[r.json()["ids"][0]] = sent
            i += 1
            if import_done_at is None and i % 10 == 0:
                job = (await a.get(f"/v1/imports/{job_id}")).json()
                if job["status"] not in ("queued", "running"):
                    import_done_at = time.perf_counter() - start
            if import_done_at is not None and len(watcher.analyzed) - analysed_before >= IMPORT_ROWS // 2:
                break
            await asyncio.sleep(max(0.0, sent + 0.2 - time.perf_counter()))
        await watcher.wait(watcher.alerted, posted, timeout=60)
        job = (await a.get(f"/v1/imports/{job_id}")).json()
    return {
        "tenant_a_import_rows": IMPORT_ROWS,
        "tenant_a_import_status": job["status"],
        "tenant_a_import_stored_after_s": round(import_done_at, 1) if import_done_at else None,
        "tenant_a_analysed_while_b_posted": len(watcher.analyzed) - analysed_before - len(posted),
        "tenant_b_reviews": len(posted),
        "tenant_b_post_to_alert": latency_summary(posted, watcher.alerted),
    }


async def raw_jetstream(url: str, count: int) -> dict:
    """The floor: publish `count` review-sized messages with acks, then pull-consume and ack them."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    name = f"BENCH_{uuid.uuid4().hex[:6]}"
    await js.add_stream(name=name, subjects=[f"bench.{name}"])
    payload = os.urandom(600)
    start = time.perf_counter()
    for i in range(0, count, 500):
        await asyncio.gather(*(js.publish(f"bench.{name}", payload, headers={"Nats-Msg-Id": f"{i + j}"}) for j in range(min(500, count - i))))
    published = time.perf_counter()
    sub = await js.pull_subscribe(f"bench.{name}", durable="bench", stream=name)
    got = 0
    while got < count:
        msgs = await sub.fetch(256, timeout=5)
        for m in msgs:
            await m.ack()
        got += len(msgs)
    consumed = time.perf_counter()
    await js.delete_stream(name)
    await nc.close()
    return {
        "messages": count,
        "publish_per_s": round(count / (published - start), 1),
        "consume_per_s": round(count / (consumed - published), 1),
    }


async def raw_copy(dsn: str, count: int) -> dict:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TEMP TABLE bench_copy (id text, tenant uuid, product text, rating int, title text, body text, posted timestamptz)")
        tenant = uuid.uuid4()
        now = datetime.now(timezone.utc)
        rows = [(f"c{i}", tenant, f"SKU-{i % 200}", TEXTS[i % 10][0], TEXTS[i % 10][1], TEXTS[i % 10][2], now) for i in range(count)]
        start = time.perf_counter()
        await conn.copy_records_to_table("bench_copy", records=rows)
        elapsed = time.perf_counter() - start
    finally:
        await conn.close()
    return {"rows": count, "rows_per_s": round(count / elapsed, 1)}


async def run(system: LocalSystem, scenarios: set[str]) -> dict:
    base = f"http://{system.settings.host}:{system.settings.gateway_port}"
    watcher = Watcher()
    await watcher.start(system.nats_url)
    out: dict = {
        "baseline_raw_jetstream": await raw_jetstream(system.nats_url, 20_000),
        "baseline_raw_copy": await raw_copy(system.dsn, 20_000),
    }
    try:
        if "burst" in scenarios:
            _, key = await provision_tenant(system.dsn, "bench-burst", pepper=system.api_key_pepper())
            out["burst"] = await burst(base, key, watcher, system)
            out["burst"]["analysed_vs_raw_jetstream_consume"] = round(
                out["burst"]["analysed_per_s"] / out["baseline_raw_jetstream"]["consume_per_s"], 3
            )
        if "steady" in scenarios:
            _, key = await provision_tenant(system.dsn, "bench-steady", pepper=system.api_key_pepper())
            out["steady"] = await steady(base, key, watcher)
        if "fairness" in scenarios:
            _, key_a = await provision_tenant(system.dsn, "bench-importer", pepper=system.api_key_pepper())
            _, key_b = await provision_tenant(system.dsn, "bench-fresh", pepper=system.api_key_pepper())
            out["fairness"] = await fairness(base, key_a, key_b, watcher)
    finally:
        await watcher.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="burst,steady,fairness", help="scenarios, comma-separated")
    parser.add_argument("--replicas", default=os.environ.get("REVIEWGUARD_REPLICAS", ""), help='e.g. "nlp=2,alerting=2"')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(
            data_dir=root / "data", embedded_nats_port=free_port(), ingest_port=free_port(), nlp_port=free_port(),
            alerting_port=free_port(), resolution_port=free_port(), gateway_port=free_port(), ingest_metrics_port=free_port(),
            nlp_metrics_port=free_port(), alerting_metrics_port=free_port(), resolution_metrics_port=free_port(),
            nlp_languages="en,de,fr,es,it,ja,zh", replicas=args.replicas, log_level="WARNING",
            # NOTE: the bench measures throughput, not the per-key limits that guard a real gateway.
            rate_limit_per_key="", daily_quota_per_tenant=0,
        )
        system = LocalSystem(settings=settings, log_dir=Path(os.environ.get("REVIEWGUARD_BENCH_LOGS", root / "logs")), restart_crashed=False)
        system.start_infrastructure()
        try:
            system.start_services()
            system.wait_ready()
            figures = asyncio.run(run(system, set(args.only.split(","))))
        finally:
            system.stop()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    result = {
        "benchmark": "pipeline: POST /v1/reviews -> ingest -> nlp -> alerting -> resolution, all services on",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average_at_end": round(os.getloadavg()[0], 1),
                    # NOTE: e.g. "shared by 8 engineers' builds and tests": what else the figures competed with.
                    "note": os.environ.get("BENCH_MACHINE_NOTE", "")},
        "replicas": args.replicas or "one of each",
        **figures,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    # NOTE: a run of some scenarios keeps the others' last figures, marked with their own commit.
    for name in ("burst", "steady", "fairness"):
        if name not in result and name in previous:
            result[name] = {**previous[name], "from_commit": previous[name].get("from_commit", previous.get("commit"))}
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
