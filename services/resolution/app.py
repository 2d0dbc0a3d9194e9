"""Wiring root of the resolution service: pool, bus consumer, gRPC server; closed in reverse order."""

from __future__ import annotations

import asyncio
from pathlib import Path

from libs import db, topology
from libs.bus import Bus
from libs.grpc_server import GrpcServer
from libs.runtime import wait_until_stopped
from libs.settings import Settings
from reviewguard.resolution.v1 import resolution_pb2, resolution_pb2_grpc
from reviewguard.events.v1 import events_pb2
from services.resolution.grpc_api import ResolutionServicer
from services.resolution.service import ResolutionService
from services.resolution.sla import SlaPolicy

SCHEMA = "resolution"
MIGRATIONS = Path(__file__).parent / "migrations"
CONSUMER = "resolution"


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    dsn = settings.database_dsn()
    await db.migrate(dsn, schema=SCHEMA, directory=MIGRATIONS)
    pool = await db.create_pool(dsn, schema=SCHEMA, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    bus = await Bus.connect(settings.nats_url, name="resolution", duplicate_window_seconds=settings.bus_duplicate_window_seconds)
    await bus.ensure_streams()
    sla = SlaPolicy(
        high_hours=settings.sla_high_hours,
        normal_hours=settings.sla_normal_hours,
        first_response_hours=settings.sla_first_response_hours,
    )
    service = ResolutionService(pool=pool, sla=sla, bus=bus)
    server = GrpcServer(
        bind=f"{settings.host}:{settings.resolution_port}",
        service_names=[resolution_pb2.DESCRIPTOR.services_by_name["ResolutionService"].full_name],
    )
    resolution_pb2_grpc.add_ResolutionServiceServicer_to_server(ResolutionServicer(service), server.server)
    await server.start()
    tasks = bus.start_consumer(
        stream=topology.ALERTS.name,
        durable=CONSUMER,
        subject=topology.ALERT_FIRED,
        message_type=events_pb2.AlertFired,
        handler=service.handle_fired,
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
