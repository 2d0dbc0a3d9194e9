"""Benchmark: rows/s of a 100,000-row Amazon CSV imported end to end (parsed, validated, staged by
COPY and upserted set-based with history and syndication links, every event queued in the outbox
and published to NATS by the relay), beside a plain asyncpg COPY of the same file into a table of
text columns as the floor, measured in the same run. Writes bench/results/ingest_import.json.

Two ratios to the floor: `ratio_stored_to_copy` (until the job is done: every row in PostgreSQL with
its events queued) and `ratio_import_to_copy` (until the last event is published).

Runs in one process against embedded PostgreSQL and NATS (or DATABASE_URL / NATS_URL when set): the
import job, the outbox relay and the COPY share the machine, as they would in the ingest service.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import asyncpg  # noqa: E402

from libs import db, topology  # noqa: E402
from libs.bus import Bus  # noqa: E402
from libs.embedded import EmbeddedNats, EmbeddedPostgres, ensure_database, free_port  # noqa: E402
from reviewguard.ingest.v1 import ingest_pb2  # noqa: E402
from services.ingest.app import MIGRATIONS, SCHEMA  # noqa: E402
from services.ingest.import_jobs import BATCH, ImportService  # noqa: E402
from services.ingest.models import Limits  # noqa: E402
from libs.outbox import OutboxRelay  # noqa: E402
from services.ingest.reviews.repository import OUTBOX_CHANNEL  # noqa: E402
from services.ingest.service import IngestService  # noqa: E402

log = logging.getLogger(__name__)

HEADER = ["Review ID", "ASIN", "SKU", "Review Date", "Star Rating", "Title", "Review Text", "Reviewer Name", "Verified Purchase", "Marketplace"]
# Review texts written for the benchmark, varied by row so rows differ like real exports.
TEXTS = [
    ("Kaputt angekommen", "Der Wasserkocher kam mit einem Riss im Gehäuse an und ist nach zwei Tagen ausgefallen."),
    ("Stopped working", "The kettle leaked from the base after a week and the lid does not close properly anymore."),
    ("Très déçu", "La bouilloire est arrivée avec le couvercle cassé, et le service client ne répond pas."),
    ("とても良い", "デザインが素敵で、お湯がすぐ沸きます。毎朝使っています。"),
    ("质量太差", "收到的时候外壳就有裂缝，用了两天就不能加热了，客服也不回复消息。"),
]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(rows):
            title, body = TEXTS[i % len(TEXTS)]
            writer.writerow([
                f"R{i:08d}", f"B0K{i % 997:07d}", f"KT-{i % 31}", f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", str(1 + i % 5),
                title, f"{body} (#{i})", f"Kunde {i % 5000}", "Yes" if i % 3 else "No", ("DE", "US", "FR", "JP", "CN")[i % 5],
            ])  # fmt: skip


async def copy_floor(dsn: str, path: Path) -> float:
    """Seconds for COPY ... FROM the CSV into an empty table of text columns."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP TABLE IF EXISTS public.copy_floor")
        await conn.execute("CREATE TABLE public.copy_floor (" + ", ".join(f'"{h}" text' for h in HEADER) + ")")
        started = time.perf_counter()
        with path.open("rb") as f:
            await conn.copy_to_table("copy_floor", source=f, schema_name="public", format="csv", header=True)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def import_end_to_end(dsn: str, nats_url: str, path: Path, *, batch: int) -> tuple[float, dict]:
    """Seconds from the first byte sent to the last event published, and the job's counts."""
    await db.migrate(dsn, schema=SCHEMA, directory=MIGRATIONS)
    pool = await db.create_pool(dsn, schema=SCHEMA, min_size=2, max_size=6)
    bus = await Bus.connect(nats_url, name="bench", duplicate_window_seconds=600)
    await bus.ensure_streams()
    ingest = IngestService(pool=pool, limits=Limits(max_title_chars=500, max_body_chars=20_000), max_batch=500)
    imports = ImportService(pool=pool, ingest=ingest, max_bytes=1 << 30, batch=batch)
    relay = OutboxRelay(pool=pool, bus=bus, channel=OUTBOX_CHANNEL, batch=500, poll_seconds=0.2, history_suffix=topology.HISTORY_SUFFIX)
    stop = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stop))
    tenant = str(uuid.uuid4())

    async def chunks():
        with path.open("rb") as f:
            while data := f.read(256 * 1024):
                yield data

    try:
        started = time.perf_counter()
        job = await imports.start(
            start=ingest_pb2.ImportStart(tenant_id=tenant, format="csv", mapping="amazon", file_name=path.name), chunks=chunks()
        )
        await imports.wait()
        stored_at = time.perf_counter() - started
        while True:
            async with pool.acquire() as conn:
                if await conn.fetchval("SELECT count(*) FROM outbox") == 0:
                    break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        done = await imports.get(tenant_id=tenant, import_id=job.id)
        published = (await bus.jetstream.stream_info("REVIEWS")).state.messages
        return elapsed, {"stored_seconds": round(stored_at, 3), "status": done.status, "rows_good": done.rows_good, "rows_bad": done.rows_bad, "created": done.created, "published": published}
    finally:
        stop.set()
        await relay_task
        await bus.close()
        await pool.close()


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


async def run(rows: int, batch: int, out: Path) -> dict:
    # NOTE: recorded because a machine shared with other work makes every figure here slower.
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="reviewguard-bench-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        postgres = nats_server = None
        if os.environ.get("DATABASE_URL"):
            admin = os.environ["DATABASE_URL"]
        else:
            postgres = EmbeddedPostgres(folder / "pg", delete_on_stop=True)
            admin = postgres.start()
        if os.environ.get("NATS_URL"):
            nats_url = os.environ["NATS_URL"]
        else:
            nats_server = EmbeddedNats(folder / "nats", port=free_port())
            nats_url = nats_server.start()
        try:
            dsn = await ensure_database(admin, f"bench_{uuid.uuid4().hex[:8]}")
            path = folder / "export.csv"
            write_csv(path, rows)
            file_bytes = path.stat().st_size
            copy_seconds = await copy_floor(dsn, path)
            import_seconds, job = await import_end_to_end(dsn, nats_url, path, batch=batch)
        finally:
            if nats_server is not None:
                nats_server.stop()
            if postgres is not None:
                postgres.stop()
    result = {
        "benchmark": "ingest_import",
        "commit": _commit(),
        "rows": rows,
        "file_bytes": file_bytes,
        "batch": batch,
        "import": {
            "seconds": round(import_seconds, 3),
            "rows_per_second": round(rows / import_seconds, 1),
            "stored_rows_per_second": round(rows / job["stored_seconds"], 1),
            **job,
        },
        "floor_copy": {"seconds": round(copy_seconds, 3), "rows_per_second": round(rows / copy_seconds, 1)},
        "ratio_stored_to_copy": round(copy_seconds / job["stored_seconds"], 4),
        "ratio_import_to_copy": round(copy_seconds / import_seconds, 4),
        "copy_is_faster_by": round(import_seconds / copy_seconds, 1),
        "machine": {
            "python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "load_average_before": round(load_before, 2),
        },
    }  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=BATCH, help="rows per stored transaction (the import's default)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "ingest_import.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(run(args.rows, args.batch, args.out))
    print(json.dumps(result, indent=2))
    return 0 if result["import"]["status"] == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
