"""`python -m bench.resolution_cases`: alerts.fired → cases, per alert, batched as the consumer fetches them.

In one process against embedded PostgreSQL and NATS: 2,048 fired alerts of 4 tenants (each with a team
of 3 agents, so every case is also assigned) through ResolutionService.handle_fired in fetched batches
of 64, beside the named baseline of alerts one per call (512 of them) (one transaction per alert, as the
consumer behaved before the batch became set-based). Reports handler ms per alert, alerts/s, database
round trips and commits per alert (every statement the pool's connections send, counted by asyncpg's
query logger). Then batches of 8 (a steady stream fetches small batches), and a tenant grown to
10,000 open cases: ms per alert in batches of 16 beside the same on a fresh tenant (assignment must
not grow with the tenant's open cases).

`--baseline-ref REF` also runs all of it on the code of git commit REF (exported to a temporary folder,
this file copied in), in the same run on the same machine: the before of a change. Figures go to
bench/results/resolution_cases.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import asyncpg

from libs import db, topology
from libs.bus import Bus, Delivery
from libs.embedded import EmbeddedNats, EmbeddedPostgres, ensure_database, free_port
from libs.telemetry import extract_context
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from reviewguard.resolution.v1 import resolution_pb2
from services.resolution import app as resolution_app
from services.resolution.service import ResolutionService, Toolkit
from services.resolution.sla import SlaPolicy

RESULTS = Path(__file__).parent / "results" / "resolution_cases.json"
ALERTS = 2048
BATCH = 64
TENANTS = 4
GROWN_CASES = 10000


def fired(tenant: str, n: int) -> Delivery:
    alert = alert_pb2.Alert(
        id=str(uuid.uuid4()), tenant_id=tenant, rule="negative_review", severity=alert_pb2.SEVERITY_HIGH, review_id=str(uuid.uuid4()),
        product_id=f"B0KETTLE{n % 50:02d}", marketplace="DE", platform="amazon", summary=f"1★ review {n}", reasons=["rating 1"],
    )
    alert.fired_at.FromDatetime(datetime.now(timezone.utc))
    return Delivery(message=events_pb2.AlertFired(alert=alert), subject=topology.ALERT_FIRED, headers={},
                    context=extract_context({}), deliveries=1, stream_sequence=0, raw=None)


class Counter:
    def __init__(self) -> None:
        self.queries = 0
        self.commits = 0

    def __call__(self, record) -> None:
        self.queries += 1
        if record.query.strip().upper().startswith("COMMIT"):
            self.commits += 1


async def run(service: ResolutionService, counter: Counter, tenants: list[str], *, batch: int, alerts: int = ALERTS) -> dict:
    deliveries = [fired(tenants[i % len(tenants)], i) for i in range(alerts)]
    counter.queries = counter.commits = 0
    started = time.perf_counter()
    for i in range(0, len(deliveries), batch):
        await service.handle_fired(deliveries[i:i + batch])
    seconds = time.perf_counter() - started
    return {
        "alerts": alerts, "batch": batch, "seconds": round(seconds, 3), "alerts_per_s": round(alerts / seconds, 1),
        "ms_per_alert": round(seconds * 1000 / alerts, 3), "round_trips_per_alert": round(counter.queries / alerts, 2),
        "commits_per_alert": round(counter.commits / alerts, 3),
    }


async def staffed(service: ResolutionService, count: int) -> list[str]:
    """`count` tenants, each with a DACH team of three agents, so every case is also assigned."""
    tenants = [str(uuid.uuid4()) for _ in range(count)]
    for tenant in tenants:
        team = await service.put_team(resolution_pb2.Team(tenant_id=tenant, name="DACH", markets=["DE"], timezone="Europe/Berlin",
                                                          work_start="00:00", work_end="23:59", work_days=list(range(7))))
        for agent in ("jonas", "mia", "lena"):
            await service.put_agent(resolution_pb2.Agent(tenant_id=tenant, team_id=team.id, name=agent, languages=["de"], capacity=20000))
    return tenants


async def measure() -> dict:
    root = Path(tempfile.mkdtemp(prefix="bench-resolution-"))
    pg = EmbeddedPostgres(root / "pg", delete_on_stop=True)
    dsn = await ensure_database(pg.start(), "bench")
    nats = EmbeddedNats(root / "nats", port=free_port())
    nats.start()
    try:
        await db.migrate(dsn, schema=resolution_app.SCHEMA, directory=resolution_app.MIGRATIONS)
        counter = Counter()

        async def count(conn: asyncpg.Connection) -> None:
            conn.add_query_logger(counter)

        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=4, init=count,
                                         server_settings={"search_path": f"{resolution_app.SCHEMA},public"})
        bus = await Bus.connect(nats.url, name="bench")
        await bus.ensure_streams()
        service = ResolutionService(pool=pool, sla=SlaPolicy(), bus=bus, toolkit=Toolkit.load())
        results = {}
        # NOTE: the one-per-call baseline on a quarter of the alerts: its rate is what counts, and it is slow.
        for name, batch, alerts in (("batched", BATCH, ALERTS), ("batches_of_8", 8, ALERTS), ("baseline_one_per_call", 1, ALERTS // 4)):
            results[name] = await run(service, counter, await staffed(service, TENANTS), batch=batch, alerts=alerts)
        results["speedup"] = round(results["batched"]["alerts_per_s"] / results["baseline_one_per_call"]["alerts_per_s"], 1)
        grown = {}
        for size in (0, GROWN_CASES):
            (tenant,) = await staffed(service, 1)
            for i in range(0, size, 500):
                await service.handle_fired([fired(tenant, n) for n in range(i, min(size, i + 500))])
            grown[f"tenant_with_{size}_open"] = await run(service, counter, [tenant], batch=16, alerts=512)
        grown["ms_per_alert_ratio"] = round(
            grown[f"tenant_with_{GROWN_CASES}_open"]["ms_per_alert"] / grown["tenant_with_0_open"]["ms_per_alert"], 2
        )
        results["grown_tenant"] = grown
        await bus.close()
        await pool.close()
    finally:
        nats.stop()
        pg.stop()
    return results


def baseline_at(ref: str) -> dict:
    """Everything above on the code of commit `ref`: its tree exported, this file copied in, run in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        archive = subprocess.run(["git", "archive", ref], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        shutil.copy(Path(__file__), tree / "bench" / "resolution_cases.py")
        env = {**os.environ, "PYTHONPATH": f"{tree / 'libs' / 'gen'}:{tree}"}
        out = subprocess.run([sys.executable, "-m", "bench.resolution_cases", "--print-only"], cwd=tree, env=env,
                             capture_output=True, text=True, check=True).stdout
    return json.loads(out[out.index("{"):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline-ref", help="also run it on this git commit's code")
    parser.add_argument("--print-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    results = asyncio.run(measure())
    if args.print_only:
        print(json.dumps(results))
        return
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    report = {"commit": commit, "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end", **results}
    if args.baseline_ref:
        report["baseline"] = {"commit": args.baseline_ref, **baseline_at(args.baseline_ref)}
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
