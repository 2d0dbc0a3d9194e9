"""`make bench` (alerting): analysed reviews/s through the rules, and post → delivered webhook latency.

1. In one process against embedded PostgreSQL and NATS: 5,000 analysed reviews of 4 tenants (50
   products, 3 marketplaces, 30 days) through AlertingService.handle_analyzed (facts, grading,
   bursts, baselines, crises, spikes, routing, outbox) in fetched batches of 64 and of 8 (a steady
   stream fetches small batches), with database round trips and commits per review (every
   statement the pool sends, counted by asyncpg's query logger); then a tenant grown to 30,000
   reviews of today: ms per batch of 10 fresh reviews beside the same on an empty tenant (judging
   must not grow with the tenant). Beside the named baseline of the grading rule alone.
2. The whole system (`reviewguard run`'s launcher) with a signed-webhook receiver served by this
   process: 1★ reviews posted through the gateway at 200 reviews/s for 10 s; p50/p99 seconds from
   the start of each POST to the webhook request carrying its alert.

`--baseline-ref REF` also runs part 1 on the code of git commit REF (exported to a temporary folder,
this file copied in), in the same run on the same machine: the before of a change. `--in-process`
skips part 2. Figures go to bench/results/alerting.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse

from bench.pipeline import percentile
from libs import db, topology
from libs.bus import Delivery
from libs.embedded import EmbeddedPostgres, ensure_database, free_port
from libs.settings import Settings
from libs.telemetry import extract_context
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import review_pb2
from reviewguard.nlp.v1 import analysis_pb2
from services.alerting import app as alerting_app
from services.alerting import rules
from services.alerting.policy import ReviewRules
from services.alerting.service import AlertingService
from services.gateway.tenants import provision_tenant
from services.launcher import LocalSystem

RESULTS = Path(__file__).parent / "results" / "alerting.json"
RULE_REVIEWS = 5000
GROWN_REVIEWS = 30000
RATE = 200
SECONDS = 10


def analysed(tenant: str, rng: random.Random, now: datetime) -> Delivery:
    rating = rng.choice([1, 2, 3, 4, 5, 5, 5, 4])
    review = review_pb2.Review(
        id=str(uuid.uuid4()), tenant_id=tenant, platform="amazon", marketplace=rng.choice(["DE", "FR", "JP"]),
        store_id="store-1", external_id=str(uuid.uuid4()), product_id=f"SKU-{rng.randrange(50)}", rating=rating,
        title="t", body="b", version=1,
    )
    review.posted_at.FromDatetime(now - timedelta(days=rng.randrange(30), minutes=rng.randrange(1440)))
    terms = [analysis_pb2.RiskTerm(term="kaputt", category="damage")] if rating <= 2 and rng.random() < 0.3 else []
    analysis = analysis_pb2.Analysis(review_id=review.id, tenant_id=tenant, language="de", risk_terms=terms,
                                     aspects=rng.sample(["logistics", "damaged", "product_quality"], k=rng.randrange(2)))
    return Delivery(message=events_pb2.ReviewAnalyzed(review=review, analysis=analysis), subject=topology.REVIEW_ANALYZED,
                    headers={}, context=extract_context({}), deliveries=1, stream_sequence=0, raw=None)


class Counter:
    """Counts the statements and commits the pool's connections send."""

    def __init__(self) -> None:
        self.queries = 0
        self.commits = 0

    def __call__(self, record) -> None:
        self.queries += 1
        if record.query.strip().upper().startswith("COMMIT"):
            self.commits += 1


async def _through(service: AlertingService, counter: Counter, items: list[Delivery], batch: int) -> dict:
    counter.queries = counter.commits = 0
    start = time.perf_counter()
    for i in range(0, len(items), batch):
        await service.handle_analyzed(items[i : i + batch])
    seconds = time.perf_counter() - start
    return {
        "batch": batch, "reviews": len(items), "reviews_per_s": round(len(items) / seconds, 1),
        "ms_per_review": round(seconds * 1000 / len(items), 3),
        "round_trips_per_review": round(counter.queries / len(items), 2), "commits_per_review": round(counter.commits / len(items), 3),
    }


def _today(tenant: str, rng: random.Random, now: datetime) -> Delivery:
    delivery = analysed(tenant, rng, now)
    review = delivery.message.review
    review.marketplace, review.product_id = "DE", f"SKU-{rng.randrange(20)}"
    review.posted_at.FromDatetime(now - timedelta(seconds=rng.randrange(3600)))
    return delivery


async def rules_throughput(root: Path) -> dict:
    pg = EmbeddedPostgres(root / "pg", delete_on_stop=True)
    dsn = await ensure_database(pg.start(), "bench")
    try:
        await db.migrate(dsn, schema=alerting_app.SCHEMA, directory=alerting_app.MIGRATIONS)
        counter = Counter()

        async def count(conn: asyncpg.Connection) -> None:
            conn.add_query_logger(counter)

        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=4, init=count,
                                         server_settings={"search_path": f"{alerting_app.SCHEMA},public"})
        service = AlertingService(pool=pool)
        rng = random.Random(7)
        now = datetime.now(timezone.utc)
        figures = {}
        for batch in (64, 8):
            tenants = [str(uuid.uuid4()) for _ in range(4)]
            figures[f"batches_of_{batch}"] = await _through(
                service, counter, [analysed(tenants[i % 4], rng, now) for i in range(RULE_REVIEWS)], batch
            )
        grown = {}
        for size in (0, GROWN_REVIEWS):
            tenant = str(uuid.uuid4())
            history = [_today(tenant, rng, now) for _ in range(size)]
            for i in range(0, size, 500):
                await service.handle_analyzed(history[i : i + 500])
            grown[f"tenant_with_{size}"] = await _through(service, counter, [_today(tenant, rng, now) for _ in range(200)], 10)
        figures["grown_tenant"] = grown | {
            "ms_per_batch_of_10_ratio": round(grown[f"tenant_with_{GROWN_REVIEWS}"]["ms_per_review"] / grown["tenant_with_0"]["ms_per_review"], 2)
        }
        review_rules = ReviewRules()
        items = [analysed(str(uuid.uuid4()), rng, now) for _ in range(RULE_REVIEWS)]
        start = time.perf_counter()
        for d in items:
            rules.evaluate_review(d.message.review, d.message.analysis, review_rules)
        figures["baseline_grading_rule_only_per_s"] = round(RULE_REVIEWS / (time.perf_counter() - start), 1)
        await pool.close()
    finally:
        pg.stop()
    return figures


def baseline_at(ref: str) -> dict:
    """Part 1 on the code of commit `ref`: its tree exported, this file copied in, run in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        archive = subprocess.run(["git", "archive", ref], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        shutil.copy(Path(__file__), tree / "bench" / "alerting.py")
        env = {**os.environ, "PYTHONPATH": f"{tree / 'libs' / 'gen'}:{tree}"}
        out = subprocess.run([sys.executable, "-m", "bench.alerting", "--in-process", "--print-only"], cwd=tree, env=env,
                             capture_output=True, text=True, check=True).stdout
    return json.loads(out[out.index("{"):])


class Hook:
    """Records when each alert's webhook arrives."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        body = json.loads(await Request(scope, receive).body())
        self.arrived.setdefault(body["alert"]["review_id"], time.perf_counter())
        await JSONResponse({"ok": True})(scope, receive, send)


async def webhook_latency(system: LocalSystem, key: str) -> dict:
    hook = Hook()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(hook, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    base = f"http://{system.settings.host}:{system.settings.gateway_port}"
    posted: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as api:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
        await api.put("/v1/alert-receivers/bench", json={"config": {"kind": "webhook", "url": url, "secret": "bench-secret-0123456789"}})
        await api.put("/v1/alert-policies", json={"routing": {"route": {"receiver": "bench", "group_wait_seconds": 0}}})
        per_tick, ticks = 20, RATE * SECONDS // 20

        async def post(n: int) -> None:
            reviews = [
                {"platform": "amazon", "marketplace": "DE", "external_id": f"lat-{n}-{i}", "product_id": f"SKU-{i}",
                 "rating": 1, "title": "Kaputt", "body": f"Nach einem Tag kaputt ({n}-{i}).",
                 "posted_at": datetime.now(timezone.utc).isoformat()}
                for i in range(per_tick)
            ]
            started = time.perf_counter()
            response = await api.post("/v1/reviews", json={"reviews": reviews})
            for review_id in response.json()["ids"]:
                posted[review_id] = started

        tasks = []
        t0 = time.perf_counter()
        for n in range(ticks):
            tasks.append(asyncio.create_task(post(n)))
            await asyncio.sleep(max(0.0, t0 + (n + 1) * per_tick / RATE - time.perf_counter()))
        await asyncio.gather(*tasks)
        deadline = time.perf_counter() + 120
        while len(hook.arrived) < len(posted) and time.perf_counter() < deadline:
            await asyncio.sleep(0.2)
    server.should_exit = True
    await task
    sock.close()
    latencies = [hook.arrived[r] - posted[r] for r in posted if r in hook.arrived]
    return {
        "rate_per_s": RATE, "reviews": len(posted), "delivered": len(latencies),
        "post_to_webhook_p50_s": round(statistics.median(latencies), 3),
        "post_to_webhook_p99_s": round(percentile(latencies, 0.99), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline-ref", help="also run the in-process part on this git commit's code")
    parser.add_argument("--in-process", action="store_true", help="skip the whole-system webhook latency")
    parser.add_argument("--print-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        rules_figures = asyncio.run(rules_throughput(root / "rules"))
        if args.print_only:
            print(json.dumps(rules_figures))
            return
        latency = None if args.in_process else _webhook_latency_run(root)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    result = {
        "benchmark": "alerting: handler throughput in process; post -> delivered webhook through every service",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end",
        "rules": rules_figures,
    }
    if args.baseline_ref:
        result["baseline"] = {"commit": args.baseline_ref, "rules": baseline_at(args.baseline_ref)}
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if latency is not None:
        result["webhook_latency"] = latency
    elif "webhook_latency" in previous:
        # NOTE: an in-process run keeps the last whole-system figure, marked with when it was measured.
        result["webhook_latency"] = {"from_measured_at": previous["webhook_latency"].get("from_measured_at", previous.get("measured_at")),
                                     **{k: v for k, v in previous["webhook_latency"].items() if k != "from_measured_at"}}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def _webhook_latency_run(root: Path) -> dict:
    settings = Settings(
        data_dir=root / "system", embedded_nats_port=free_port(), ingest_port=free_port(), nlp_port=free_port(),
        alerting_port=free_port(), resolution_port=free_port(), gateway_port=free_port(), ingest_metrics_port=free_port(),
        nlp_metrics_port=free_port(), alerting_metrics_port=free_port(), resolution_metrics_port=free_port(),
        nlp_languages="en,de,fr,es,it,ja,zh",
    )
    system = LocalSystem(settings=settings, log_dir=root / "logs", restart_crashed=False)
    system.start_infrastructure()
    try:
        system.start_services()
        system.wait_ready()
        _, key = asyncio.run(provision_tenant(system.dsn, "bench", pepper=system.api_key_pepper()))
        return asyncio.run(webhook_latency(system, key))
    finally:
        system.stop()


if __name__ == "__main__":
    main()
