"""alerts.fired, written to alerting's outbox (libs/outbox.py) in the transaction that stores the alert."""

from __future__ import annotations

import asyncpg
from opentelemetry import trace

from libs import outbox, topology
from libs.telemetry import current_traceparent
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from services.alerting import repository, trends

tracer = trace.get_tracer(__name__)


async def queue(conn: asyncpg.Connection, fired: list[tuple[object, alert_pb2.Alert]]) -> None:
    """alerts.fired for each alert, into the outbox in the caller's transaction: the event exists
    exactly when the alert does, and reaches resolution (which opens the case) once NATS is there."""
    events = []
    for context, alert in fired:
        with tracer.start_as_current_span("alerting.alert_fired", context=context) as span:
            span.set_attribute("alert.id", alert.id)
            span.set_attribute("alert.rule", alert.rule)
            payload = events_pb2.AlertFired(alert=alert).SerializeToString()
            events.append(outbox.Event(topology.ALERT_FIRED, _announcement_id(alert), payload, current_traceparent()))
    await outbox.add(conn, events, channel=repository.OUTBOX_CHANNEL)


def _announcement_id(alert: alert_pb2.Alert) -> str:
    """A redelivered alert is announced once; an incident whose severity rose is announced again."""
    return f"alert:{alert.id}" if alert.rule not in TREND_RULES else f"alert:{alert.id}:{alert.severity}"


TREND_RULES = {trends.RATING_BASELINE, trends.CRISIS, trends.ASPECT_SPIKE}
