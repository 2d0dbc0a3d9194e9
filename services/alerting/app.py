"""Wiring root of the alerting service: pool, bus consumer, gRPC server; closed in reverse order."""

from __future__ import annotations

import asyncio
from pathlib import Path

from libs import db, topology
from libs.bus import Bus
from libs.grpc_server import GrpcServer
from libs.runtime import wait_until_stopped
from libs.settings import Settings
from reviewguard.alerting.v1 import alerting_pb2, alerting_pb2_grpc
from reviewguard.events.v1 import events_pb2
from services.alerting.grpc_api import AlertingServicer
from services.alerting.service import AlertingService

SCHEMA = "alerting"
MIGRATIONS = Path(__file__).parent / "migrations"
CONSUMER = "alerting"


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    dsn = settings.database_dsn()
    await db.migrate(dsn, schema=SCHEMA, directory=MIGRATIONS)
    pool = await db.create_pool(dsn, schema=SCHEMA, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    bus = await Bus.connect(settings.nats_url, name="alerting", duplicate_window_seconds=settings.bus_duplicate_window_seconds)
    await bus.ensure_streams()
    service = AlertingService(pool=pool, bus=bus)
    server = GrpcServer(
        bind=f"{settings.host}:{settings.alerting_port}",
        service_names=[alerting_pb2.DESCRIPTOR.services_by_name["AlertingService"].full_name],
    )
    alerting_pb2_grpc.add_AlertingServiceServicer_to_server(AlertingServicer(service), server.server)
    await server.start()
    tasks = bus.start_consumer(
        stream=topology.REVIEWS.name,
        durable=CONSUMER,
        subject=topology.REVIEW_ANALYZED,
        message_type=events_pb2.ReviewAnalyzed,
        handler=service.handle_analyzed,
        stop=stop,
        batch=settings.bus_fetch_batch,
        max_deliver=settings.bus_max_deliver,
        ack_wait_seconds=settings.bus_ack_wait_seconds,
    )
    await server.set_serving()
    try:
        await wait_until_stopped(stop, tasks)
    finally:
        await server.stop(settings.grpc_grace_seconds)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bus.close()
        await pool.close()
