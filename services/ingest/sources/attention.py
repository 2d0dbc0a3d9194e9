"""A source whose credential the platform refused for good: marked `needs_attention` with the reason,
polled no more, and announced (`sources.needs_attention`, ingest's outbox) so alerting tells the tenant.

Saving new settings (the usual fix: sign in again) or resuming it (PATCH status active) makes it
active again (sources/service.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from libs import outbox, topology
from libs.telemetry import current_traceparent
from reviewguard.events.v1 import events_pb2
from services.ingest.reviews.repository import OUTBOX_CHANNEL

NEEDS_ATTENTION = "needs_attention"


async def needs_attention(conn: asyncpg.Connection, *, tenant_id: uuid.UUID, source_id: uuid.UUID, reason: str, now: datetime) -> bool:
    """Marks the source in the caller's transaction and queues the announcement; False (nothing queued)
    when it was marked already, so a burst of refused replies raises one alert, not one each."""
    row = await conn.fetchrow(
        """UPDATE sources SET status = $3, attention_reason = $4, attention_since = $5, last_error = $4,
                  next_poll_at = NULL, lease_until = NULL, updated_at = now()
           WHERE tenant_id = $1 AND id = $2 AND status <> $3
           RETURNING kind, name""",
        tenant_id, source_id, NEEDS_ATTENTION, reason, now,
    )
    if row is None:
        return False
    event = events_pb2.SourceNeedsAttention(tenant_id=str(tenant_id), source_id=str(source_id), kind=row["kind"], name=row["name"], reason=reason)
    event.at.FromDatetime(now)
    await outbox.add(
        conn,
        [outbox.Event(topology.SOURCE_NEEDS_ATTENTION, f"source-attention:{source_id}:{now.isoformat()}", event.SerializeToString(), current_traceparent())],
        channel=OUTBOX_CHANNEL,
    )
    return True
