"""Wiring root of the ingest service: pool, gRPC server, outbox relay; closed in reverse order."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from libs import db
from libs.bus import Bus
from libs.grpc_server import GrpcServer
from libs.settings import Settings
from reviewguard.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from services.ingest.grpc_api import IngestServicer
from services.ingest.models import Limits
from services.ingest.outbox import OutboxRelay
from services.ingest.service import IngestService

log = logging.getLogger(__name__)

SCHEMA = "ingest"
MIGRATIONS = Path(__file__).parent / "migrations"


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    dsn = settings.database_dsn()
    await db.migrate(dsn, schema=SCHEMA, directory=MIGRATIONS)
    pool = await db.create_pool(dsn, schema=SCHEMA, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    service = IngestService(
        pool=pool,
        limits=Limits(max_title_chars=settings.max_title_chars, max_body_chars=settings.max_body_chars),
        max_batch=settings.max_reviews_per_request,
    )
    server = GrpcServer(
        bind=f"{settings.host}:{settings.ingest_port}",
        service_names=[ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name],
    )
    ingest_pb2_grpc.add_IngestServiceServicer_to_server(IngestServicer(service), server.server)
    await server.start()
    # NOTE: reviews are accepted as soon as the database is ready; the bus may come later and
    # the outbox holds their events until it does.
    await server.set_serving()
    relay_task = asyncio.create_task(_relay_when_bus_ready(settings, pool, stop), name="outbox-relay")
    try:
        await stop.wait()
    finally:
        await server.stop(settings.grpc_grace_seconds)
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await pool.close()


async def _relay_when_bus_ready(settings: Settings, pool, stop: asyncio.Event) -> None:
    """Connects to the bus (waiting as long as it takes) and runs the relay until `stop`."""
    bus = await Bus.connect(
        settings.nats_url,
        name="ingest",
        duplicate_window_seconds=settings.bus_duplicate_window_seconds,
        connect_timeout=float("inf"),
    )
    try:
        while not stop.is_set():
            try:
                await bus.ensure_streams()
                break
            except Exception:  # noqa: BLE001 - JetStream not ready yet
                log.warning("cannot declare streams yet; retrying", exc_info=True)
                await asyncio.sleep(1.0)
        relay = OutboxRelay(pool=pool, bus=bus, batch=settings.outbox_batch, poll_seconds=settings.outbox_poll_seconds)
        await relay.run(stop)
    finally:
        await bus.close()
