"""Plugs the inbox/report read model into the alerting backend: its consumers and its gRPC service."""

from __future__ import annotations

import logging
import os

from libs import topology
from libs.backend import Backend
from libs.crypto import SecretBox
from libs.settings import Settings
from reviewguard.events.v1 import events_pb2
from reviewguard.reporting.v1 import reporting_pb2, reporting_pb2_grpc
from services.alerting.reporting.grpc_api import ReportingServicer
from services.alerting.reporting.models import PageTokens
from services.alerting.reporting.service import ReportingService

log = logging.getLogger(__name__)

SERVICE_NAME = reporting_pb2.DESCRIPTOR.services_by_name["Reporting"].full_name
DURABLE = "alerting-reporting"


def page_token_key(settings: Settings) -> bytes:
    """The secret page tokens are signed with: shared by every replica, so any one reads another's tokens."""
    secret = settings.grpc_client_pepper_value() or ",".join(settings.secret_key_list())
    if secret:
        return secret.encode()
    # NOTE: without a configured secret a token stays valid only on the replica that issued it.
    log.warning("no pepper or secret key configured: page tokens are signed with a per-process key")
    return os.urandom(32)


def attach(backend: Backend, settings: Settings) -> ReportingService:
    service = ReportingService(pool=backend.pool, page_tokens=PageTokens(page_token_key(settings)))
    keys = settings.secret_key_list()
    servicer = ReportingServicer(service, box=SecretBox(keys) if keys else None)
    reporting_pb2_grpc.add_ReportingServicer_to_server(servicer, backend.grpc.server)
    backend.background(servicer.schedules.run(backend.stop, settings.alerting.report_schedule_tick_seconds))
    # NOTE: durables of its own, so the read model keeps its own position in the streams and a
    # replay of it (a new durable) never re-fires an alert.
    backend.consume_lanes(
        stream=topology.REVIEWS.name, live_subject=topology.REVIEW_ANALYZED, history_subject=topology.REVIEW_ANALYZED_HISTORY,
        message_type=events_pb2.ReviewAnalyzed, handler=service.handle_analyzed, durable=DURABLE,
    )
    backend.consume(
        stream=topology.REVIEWS.name, subject=topology.REVIEW_TRANSLATED, message_type=events_pb2.ReviewTranslated,
        handler=service.handle_translated, durable=f"{DURABLE}-translated",
    )
    backend.consume(
        stream=topology.ORDERS.name, subject=topology.ORDER_SUBMITTED, message_type=events_pb2.OrderSubmitted,
        handler=service.handle_order_submitted, durable=f"{DURABLE}-orders",
    )
    for subject, message_type in ((topology.CASE_OPENED, events_pb2.CaseOpened), (topology.CASE_UPDATED, events_pb2.CaseUpdated)):
        backend.consume(
            stream=topology.CASES.name, subject=subject, message_type=message_type, handler=service.handle_case_event,
            durable=f"{DURABLE}-{subject.replace('.', '-')}",
        )
    return service
