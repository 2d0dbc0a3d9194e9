"""`make bench`: a burst of 2,000 reviews through the gateway, timed from post to opened case.

Starts the whole system as `reviewguard run` does (embedded PostgreSQL and NATS, five service
processes), posts 2,000 one- and two-star reviews as 40 requests of 50 with 8 in flight, and
watches `cases.opened` to time each review from the start of its POST to its case. Baseline in the
same run: the same 2,000 reviews submitted straight to ingest over gRPC (no gateway, no JSON),
which shows what the REST layer costs. Figures go to bench/results/pipeline.json.
"""

from __future__ import annotations

import asyncio
import os
import json
import platform
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import httpx
import nats

from libs import topology
from libs.embedded import free_port
from libs.grpc_client import open_channel
from libs.settings import Settings
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import ingest_pb2, ingest_pb2_grpc, review_pb2
from services.gateway.tenants import provision_tenant
from services.launcher import LocalSystem

TOTAL = 2000
PER_REQUEST = 50
IN_FLIGHT = 8
RESULTS = Path(__file__).parent / "results" / "pipeline.json"

BODIES = [
    ("Kaputt angekommen", "Der Wasserkocher kam mit einem Riss an und ist nach zwei Tagen ausgefallen."),
    ("Stopped working", "The kettle leaked from the base after a week; the lid does not close anymore."),
    ("Très déçu", "La bouilloire est arrivée cassée et le service client ne répond pas."),
    ("Muy mala calidad", "El hervidor llegó con una grieta y el asa se soltó al segundo día."),
    ("残念です", "届いた時には蓋が割れていて、二日目から電源が入らなくなりました。"),
    ("质量太差", "收到的时候外壳就有裂缝，用了两天就不能加热了。"),
]


def reviews(prefix: str) -> list[dict]:
    out = []
    for i in range(TOTAL):
        title, body = BODIES[i % len(BODIES)]
        out.append(
            {
                "platform": "amazon", "marketplace": "DE", "external_id": f"{prefix}-{i}", "product_id": f"SKU-{i % 50}",
                "rating": 1 + i % 2, "title": title, "body": f"{body} (#{i})", "posted_at": "2026-11-20T09:30:00Z",
            }
        )
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def through_gateway(system: LocalSystem, key: str) -> dict:
    base = f"http://{system.settings.host}:{system.settings.gateway_port}"
    posted_at: dict[str, float] = {}
    opened_at: dict[str, float] = {}
    nc = await nats.connect(system.nats_url)
    js = nc.jetstream()
    done = asyncio.Event()

    async def on_case(msg) -> None:
        case = events_pb2.CaseOpened.FromString(msg.data).case
        opened_at.setdefault(case.review_id, time.perf_counter())
        await msg.ack()
        if len(opened_at) >= TOTAL:
            done.set()

    sub = await js.subscribe(topology.CASE_OPENED, cb=on_case, deliver_policy=nats.js.api.DeliverPolicy.NEW)
    payload = reviews(f"bench-{uuid.uuid4().hex[:6]}")
    chunks = [payload[i : i + PER_REQUEST] for i in range(0, TOTAL, PER_REQUEST)]
    limiter = asyncio.Semaphore(IN_FLIGHT)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as api:

        async def post(chunk: list[dict]) -> None:
            async with limiter:
                started = time.perf_counter()
                response = await api.post("/v1/reviews", json={"reviews": chunk})
                response.raise_for_status()
                for review_id in response.json()["ids"]:
                    posted_at[review_id] = started

        start = time.perf_counter()
        await asyncio.gather(*(post(c) for c in chunks))
        accepted = time.perf_counter()
        await asyncio.wait_for(done.wait(), timeout=600)
        finished = time.perf_counter()
    await sub.unsubscribe()
    await nc.close()
    latencies = [opened_at[r] - posted_at[r] for r in posted_at if r in opened_at]
    return {
        "reviews": TOTAL,
        "accepted_per_s": round(TOTAL / (accepted - start), 1),
        "end_to_end_per_s": round(TOTAL / (finished - start), 1),
        "post_to_case_p50_s": round(statistics.median(latencies), 3),
        "post_to_case_p99_s": round(percentile(latencies, 0.99), 3),
        "post_to_case_max_s": round(max(latencies), 3),
    }


async def straight_to_ingest(system: LocalSystem, tenant_id: uuid.UUID) -> dict:
    channel = open_channel(system.settings.grpc_target("ingest"))
    stub = ingest_pb2_grpc.IngestServiceStub(channel)
    protos = []
    for r in reviews(f"grpc-{uuid.uuid4().hex[:6]}"):
        review = review_pb2.Review(**{k: v for k, v in r.items() if k != "posted_at"})
        review.posted_at.FromDatetime(datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc))
        protos.append(review)
    limiter = asyncio.Semaphore(IN_FLIGHT)

    async def submit(chunk) -> None:
        async with limiter:
            await stub.SubmitReviews(ingest_pb2.SubmitReviewsRequest(tenant_id=str(tenant_id), reviews=chunk))

    start = time.perf_counter()
    await asyncio.gather(*(submit(protos[i : i + PER_REQUEST]) for i in range(0, TOTAL, PER_REQUEST)))
    elapsed = time.perf_counter() - start
    await channel.close()
    return {"reviews": TOTAL, "accepted_per_s": round(TOTAL / elapsed, 1)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(
            data_dir=root / "data", embedded_nats_port=free_port(), ingest_port=free_port(), nlp_port=free_port(),
            alerting_port=free_port(), resolution_port=free_port(), gateway_port=free_port(), ingest_metrics_port=free_port(),
            nlp_languages="en,de,fr,es,it,ja,zh",
        )
        system = LocalSystem(settings=settings, log_dir=Path(os.environ.get("REVIEWGUARD_BENCH_LOGS", root / "logs")), restart_crashed=False)
        system.start_infrastructure()
        try:
            system.start_services()
            system.wait_ready()
            tenant_id, key = asyncio.run(provision_tenant(system.dsn, "bench"))
            gateway = asyncio.run(through_gateway(system, key))
            baseline = asyncio.run(straight_to_ingest(system, tenant_id))
        finally:
            system.stop()
    result = {
        "benchmark": "pipeline burst: POST /v1/reviews -> ingest -> nlp -> alerting -> resolution (cases.opened)",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "through_gateway": gateway,
        "baseline_grpc_ingest_only": baseline,
        "gateway_overhead_ratio": round(baseline["accepted_per_s"] / gateway["accepted_per_s"], 2),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
