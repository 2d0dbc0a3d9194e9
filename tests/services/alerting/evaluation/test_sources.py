"""A source whose credential the platform refused (`sources.needs_attention` from ingest) becomes one
alert, sent to the tenant's webhook receiver (a local server), and opens no case."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from libs import topology
from libs.bus import Delivery
from libs.telemetry import extract_context
from reviewguard.events.v1 import events_pb2
from tests.services.alerting.test_delivery import TENANT, add_webhook, bodies, harness, hook, set_routing, webhook_server  # noqa: F401

REASON = "trustpilot: the business login was refused (HTTP 400, invalid_grant); sign in to Trustpilot again"


def notice(source_id: str) -> Delivery:
    message = events_pb2.SourceNeedsAttention(tenant_id=TENANT, source_id=source_id, kind="trustpilot", name="Acme on Trustpilot", reason=REASON)
    message.at.FromDatetime(datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc))
    return Delivery(message=message, subject=topology.SOURCE_NEEDS_ATTENTION, headers={}, context=extract_context({}),
                    deliveries=1, stream_sequence=0, raw=None)  # fmt: skip


async def test_a_refused_credential_alerts_the_tenant_once_and_opens_no_case(harness, hook) -> None:  # noqa: F811
    service, dispatcher, clock = harness
    await add_webhook(service, hook)
    await set_routing(service, {"receiver": "ops", "group_by": ["rule"], "group_wait_seconds": 0})
    source = str(uuid.uuid4())
    await service.handle_source_needs_attention([notice(source)])
    await service.handle_source_needs_attention([notice(source)])  # redelivered
    alerts, _ = await service.list(TENANT, review_id="", page_size=10, page_token="", rule="source_needs_attention")
    assert len(alerts) == 1 and list(alerts[0].reasons) == [REASON] and alerts[0].labels["source_id"] == source
    assert "Acme on Trustpilot" in alerts[0].summary
    await dispatcher.run_once()
    [sent] = bodies(hook)
    assert sent["alert"]["rule"] == "source_needs_attention" and REASON in sent["alert"]["reasons"]
    async with service._pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE subject = $1", topology.ALERT_FIRED) == 0
