"""Wiring root of the resolution service: pool, bus consumers, scheduled loop, gRPC server; closed in reverse order."""

from __future__ import annotations

import asyncio
from pathlib import Path

from libs import topology
from libs.backend import Backend
from libs.settings import Settings
from reviewguard.events.v1 import events_pb2
from reviewguard.resolution.v1 import resolution_pb2, resolution_pb2_grpc
from services.resolution.grpc_api import ResolutionServicer
from services.resolution.requests import announcements
from services.resolution.requests.sender import LogSender
from services.resolution.context import Toolkit
from services.resolution.service import ResolutionService
from services.resolution.sla import SlaPolicy

SCHEMA = "resolution"
MIGRATIONS = Path(__file__).parent / "migrations"


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    backend = await Backend.open(
        settings, stop, name="resolution", schema=SCHEMA, migrations=MIGRATIONS, port=settings.resolution_port,
        grpc_service=resolution_pb2.DESCRIPTOR.services_by_name["ResolutionService"].full_name,
    )
    sla = SlaPolicy(
        high_hours=settings.sla_high_hours,
        normal_hours=settings.sla_normal_hours,
        first_response_hours=settings.sla_first_response_hours,
    )
    service = ResolutionService(
        pool=backend.pool, sla=sla, bus=backend.bus, toolkit=Toolkit.load(), sender=LogSender(),
        public_base_url=settings.public_url(),
    )
    resolution_pb2_grpc.add_ResolutionServiceServicer_to_server(ResolutionServicer(service), backend.grpc.server)
    backend.consume(
        stream=topology.ALERTS.name,
        subject=topology.ALERT_FIRED,
        message_type=events_pb2.AlertFired,
        handler=service.consumers.handle_fired,
    )
    # NOTE: rating changes from ingest's edit history feed the rating-recovery KPI.
    backend.consume(
        stream=topology.REVIEWS.name,
        subject=topology.REVIEW_UPDATED,
        message_type=events_pb2.ReviewUpdated,
        handler=service.consumers.handle_review_updated,
        durable="resolution-ratings",
    )
    # NOTE: each review's order id, platform ids and reviewer, so a case knows its order and customer
    # whichever of review, alert or order arrives first; history too, for the review-request gate.
    backend.consume_lanes(
        stream=topology.REVIEWS.name,
        live_subject=topology.REVIEW_INGESTED,
        history_subject=topology.REVIEW_INGESTED_HISTORY,
        message_type=events_pb2.ReviewIngested,
        handler=service.consumers.handle_reviews_ingested,
        durable="resolution-reviews",
    )
    backend.relay_outbox(announcements.OUTBOX_CHANNEL)
    backend.background(service.run_scheduled(stop=stop, interval=settings.resolution_tick_seconds))
    await backend.run()
