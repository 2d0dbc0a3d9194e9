"""Wiring root of the alerting service: pool, bus consumers, schedules, dispatcher, gRPC server."""

from __future__ import annotations

import asyncio
from pathlib import Path

from libs import topology
from libs.backend import Backend
from libs.crypto import SecretBox
from libs.outbound import OutboundPolicy, outbound_client
from libs.settings import Settings
from reviewguard.alerting.v1 import alerting_pb2, alerting_pb2_grpc
from reviewguard.events.v1 import events_pb2
from services.alerting import repository
from services.alerting.delivery import Dispatcher
from services.alerting.grpc_api import AlertingServicer
from services.alerting.metrics import DeliveryMetrics
from services.alerting.reporting import wiring as reporting
from services.alerting.scheduled import run_trend_schedule
from services.alerting.service import AlertingService

SCHEMA = "alerting"
MIGRATIONS = Path(__file__).parent / "migrations"


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    box = SecretBox(settings.secret_key_list())
    backend = await Backend.open(
        settings, stop, name="alerting", schema=SCHEMA, migrations=MIGRATIONS, port=settings.alerting_port,
        grpc_service=alerting_pb2.DESCRIPTOR.services_by_name["AlertingService"].full_name,
        more_grpc_services=(reporting.SERVICE_NAME,),
    )
    # NOTE: one HTTP client for every receiver call, closed after the dispatcher stops; it reaches
    # only destinations the outbound policy allows.
    outbound = OutboundPolicy.from_settings(settings)
    http = outbound_client(outbound, follow_redirects=False)
    backend.on_close_async(http.aclose)
    metrics = DeliveryMetrics(backend.metrics)
    service = AlertingService(pool=backend.pool, box=box, outbound=outbound, metrics=metrics)
    alerting_pb2_grpc.add_AlertingServiceServicer_to_server(AlertingServicer(service), backend.grpc.server)
    backend.consume_lanes(
        stream=topology.REVIEWS.name,
        live_subject=topology.REVIEW_ANALYZED,
        history_subject=topology.REVIEW_ANALYZED_HISTORY,
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
    for stage in (topology.CASE_SLA_WARNING, topology.CASE_SLA_BREACHED):
        backend.consume(
            stream=topology.CASES.name,
            subject=stage,
            message_type=events_pb2.CaseSlaNotice,
            handler=service.handle_sla_notice,
            durable=f"alerting-{stage.replace('.', '-')}",
        )
    backend.consume(
        stream=topology.SOURCES.name,
        subject=topology.SOURCE_NEEDS_ATTENTION,
        message_type=events_pb2.SourceNeedsAttention,
        handler=service.handle_source_needs_attention,
        durable="alerting-sources-attention",
    )
    reporting.attach(backend, settings)
    dispatcher = Dispatcher(
        pool=backend.pool, box=box, http=http, clock=service.now, link_base=settings.public_url(),
        policy_for=service.policy, metrics=metrics,
    )
    backend.relay_outbox(repository.OUTBOX_CHANNEL)
    backend.background(run_trend_schedule(service, interval_seconds=settings.alerting.trend_interval_seconds, stop=stop))
    backend.background(dispatcher.run(stop, settings.alerting.dispatch_interval_seconds))
    await backend.run()
