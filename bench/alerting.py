"""`make bench` (alerting): analysed reviews/s through the rules, and post → delivered webhook latency.

1. In one process against embedded PostgreSQL and NATS: 5,000 analysed reviews (50 products,
   3 marketplaces, 30 days) through AlertingService.handle_analyzed (facts, grading, baselines,
   crises, spikes, routing), beside the named baseline of the grading rule alone (no storage).
2. The whole system (`reviewguard run`'s launcher) with a signed-webhook receiver served by this
   process: 1★ reviews posted through the gateway at 200 reviews/s for 10 s; p50/p99 seconds from
   the start of each POST to the webhook request carrying its alert.
Figures go to bench/results/alerting.json.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse

from bench.pipeline import percentile
from libs import db, topology
from libs.bus import Bus, Delivery
from libs.embedded import EmbeddedNats, EmbeddedPostgres, ensure_database, free_port
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


async def rules_throughput(root: Path) -> dict:
    pg = EmbeddedPostgres(root / "pg", delete_on_stop=True)
    dsn = await ensure_database(pg.start(), "bench")
    nats = EmbeddedNats(root / "nats", port=free_port())
    nats.start()
    try:
        await db.migrate(dsn, schema=alerting_app.SCHEMA, directory=alerting_app.MIGRATIONS)
        pool = await db.create_pool(dsn, schema=alerting_app.SCHEMA)
        bus = await Bus.connect(nats.url, name="bench")
        await bus.ensure_streams()
        service = AlertingService(pool=pool)
        rng = random.Random(7)
        now = datetime.now(timezone.utc)
        tenant = str(uuid.uuid4())
        batch = [analysed(tenant, rng, now) for _ in range(RULE_REVIEWS)]
        start = time.perf_counter()
        for i in range(0, RULE_REVIEWS, 64):
            await service.handle_analyzed(batch[i : i + 64])
        full = RULE_REVIEWS / (time.perf_counter() - start)
        review_rules = ReviewRules()
        start = time.perf_counter()
        for d in batch:
            rules.evaluate_review(d.message.review, d.message.analysis, review_rules)
        rule_only = RULE_REVIEWS / (time.perf_counter() - start)
        await bus.close()
        await pool.close()
    finally:
        nats.stop()
        pg.stop()
    return {"reviews": RULE_REVIEWS, "full_handler_per_s": round(full, 1), "baseline_grading_rule_only_per_s": round(rule_only, 1)}


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
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        rules_figures = asyncio.run(rules_throughput(root / "rules"))
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
            latency = asyncio.run(webhook_latency(system, key))
        finally:
            system.stop()
    result = {
        "benchmark": "alerting: rules throughput in process; post -> delivered webhook through every service",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "rules": rules_figures,
        "webhook_latency": latency,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
