"""Wiring root of the alerting service: pool, bus consumer, gRPC server; closed in reverse order."""

from __future__ import annotations

import asyncio
from pathlib import Path

from libs import topology
from libs.backend import Backend
from libs.settings import Settings
from reviewguard.alerting.v1 import alerting_pb2, alerting_pb2_grpc
from reviewguard.events.v1 import events_pb2
from services.alerting.grpc_api import AlertingServicer
from services.alerting.scheduled import run_trend_schedule
from services.alerting.service import AlertingService

SCHEMA = "alerting"
MIGRATIONS = Path(__file__).parent / "migrations"


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    backend = await Backend.open(
        settings, stop, name="alerting", schema=SCHEMA, migrations=MIGRATIONS, port=settings.alerting_port,
        grpc_service=alerting_pb2.DESCRIPTOR.services_by_name["AlertingService"].full_name,
    )
    service = AlertingService(pool=backend.pool, bus=backend.bus)
    alerting_pb2_grpc.add_AlertingServiceServicer_to_server(AlertingServicer(service), backend.grpc.server)
    backend.consume(
        stream=topology.REVIEWS.name,
        subject=topology.REVIEW_ANALYZED,
        message_type=events_pb2.ReviewAnalyzed,
        handler=service.handle_analyzed,
    )
    backend.consume(
        stream=topology.CASES.name,
        subject=topology.CASE_OPENED,
        message_type=events_pb2.CaseOpened,
        handler=service.handle_case_opened,
        durable="alerting-cases",
    )
    backend.background(run_trend_schedule(service, interval_seconds=settings.trend_interval_seconds, stop=stop))
    await backend.run()
