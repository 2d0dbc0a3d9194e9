"""Sources that need a person: a credential the platform refused for good (`sources.needs_attention`
from ingest) becomes an alert routed to the tenant's receivers like any other.

It is not announced on `alerts.fired`: it is about the tenant's setup, not a review, so no case opens.
"""

from __future__ import annotations

import uuid

from libs.bus import Delivery
from libs.errors import require_uuids
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from services.alerting import repository
from services.alerting.context import Context
from services.alerting.delivery import route_alert
from services.alerting.policies import service as tenant_policies

SOURCE_ATTENTION_RULE = "source_needs_attention"


async def handle_source_needs_attention(ctx: Context, batch: list[Delivery[events_pb2.SourceNeedsAttention]]) -> None:
    """One alert per marking of a source (a redelivery adds nothing), high severity: replies and polls stop."""
    for delivery in batch:
        require_uuids({"tenant_id": delivery.message.tenant_id, "source_id": delivery.message.source_id})
    async with ctx.pool.acquire() as conn, conn.transaction():
        for delivery in batch:
            notice = delivery.message
            tenant = uuid.UUID(notice.tenant_id)
            at = notice.at.ToDatetime().isoformat() if notice.HasField("at") else ""
            summary = f"Source {notice.name!r} ({notice.kind}) needs attention: its credential was refused; sign in again"
            row, new = await repository.insert_or_get(
                conn, tenant_id=tenant, dedup_key=f"source_attention:{notice.source_id}:{at}", rule=SOURCE_ATTENTION_RULE,
                severity=alert_pb2.SEVERITY_HIGH, platform=notice.kind, reasons=[notice.reason],
                labels={"source_id": notice.source_id, "source_kind": notice.kind, "source_name": notice.name},
                scope=f"source:{notice.source_id}", summary=summary, fired_at=ctx.clock(),
            )  # fmt: skip
            if new:
                policy = await tenant_policies.effective(ctx, tenant, conn)
                await route_alert(conn, repository.to_proto(row), policy, ctx.clock(), metrics=ctx.metrics)
