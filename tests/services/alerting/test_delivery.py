"""Routing and delivery: grouping, repeats, silences, inhibition, quiet hours, retries, escalation.

A real PostgreSQL, a real local HTTP server speaking the signed-webhook protocol, and a clock the
tests move, so hours of an on-call night replay in milliseconds.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from starlette.responses import JSONResponse

from libs import db
from libs.bus import Bus
from libs.crypto import SecretBox
from libs.errors import InvalidArgument
from libs.outbound import OutboundPolicy, outbound_client
from reviewguard.alerting.v1 import alert_pb2, alerting_pb2
from services.alerting import app as alerting_app
from services.alerting import repository
from services.alerting.delivery import Dispatcher, route_alert
from services.alerting.receivers import verify_signature
from services.alerting.service import AlertingService
from tests.helpers import local_server
from tests.services.alerting.receivers.fakes import FakeServer

TENANT = str(uuid.uuid4())
SECRET = "whsec-0123456789abcdef"
# Tuesday 10:00 in Berlin.
T0 = datetime(2026, 11, 17, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="module")
async def webhook_server():
    fake = FakeServer()
    async with local_server(fake) as url:
        fake.url = url
        yield fake


@pytest.fixture
def hook(webhook_server: FakeServer) -> FakeServer:
    webhook_server.reset()
    webhook_server.expect(lambda r: None, default=JSONResponse({"ok": True}))
    return webhook_server


@pytest.fixture
async def harness(database_url: str, bus: Bus, hook: FakeServer):
    await db.migrate(database_url, schema=alerting_app.SCHEMA, directory=alerting_app.MIGRATIONS)
    pool = await db.create_pool(database_url, schema=alerting_app.SCHEMA)
    clock = Clock()
    box = SecretBox([SecretBox.new_key()])
    # NOTE: the local webhook server is on loopback, which only the allow-list lets through.
    outbound = OutboundPolicy([httpx.URL(hook.url).netloc.decode()])
    service = AlertingService(pool=pool, clock=clock, box=box, outbound=outbound)
    async with outbound_client(outbound) as http:

        async def no_wait(_seconds: float) -> None:
            return None

        dispatcher = Dispatcher(
            pool=pool, box=box, http=http, clock=clock, link_base="https://console.example", policy_for=service.policy,
            sleep=no_wait,
        )
        yield service, dispatcher, clock
    await pool.close()


async def add_webhook(service: AlertingService, hook: FakeServer, name: str = "ops", quiet_hours: dict | None = None) -> None:
    config = {"kind": "webhook", "url": f"{hook.url}/{name}", "secret": SECRET,
              "retry": {"max_attempts": 1, "initial_delay_s": 0, "max_delay_s": 0, "jitter_s": 0}}
    await service.put_receiver(TENANT, name, json.dumps(config), json.dumps(quiet_hours) if quiet_hours else "")


async def set_routing(service: AlertingService, route: dict, **extra) -> None:
    await service.put_policy(TENANT, json.dumps({"routing": {"route": route, **extra}}))


async def fire(service: AlertingService, clock: Clock, *, rule="negative_review", severity=alert_pb2.SEVERITY_HIGH,
               product="B0KETTLE01", scope=None, labels=None, day=None) -> alert_pb2.Alert:
    tenant = uuid.UUID(TENANT)
    policy = await service.policy(tenant)
    async with service._pool.acquire() as conn, conn.transaction():  # noqa: SLF001 - fire as the rules would
        row, _ = await repository.insert_or_get(
            conn, tenant_id=tenant, dedup_key=str(uuid.uuid4()), rule=rule, severity=severity, marketplace="DE",
            product_id=product, reasons=[f"{rule} on {product}"], labels=labels or {}, scope=scope or f"product:{product}",
            summary=f"{rule} on {product}", day=day, fired_at=clock(),
        )
        alert = repository.to_proto(row)
        await route_alert(conn, alert, policy, clock(), metrics=service.metrics)
    return alert


def bodies(hook: FakeServer, path: str = "/ops") -> list[dict]:
    return [r.json() for r in hook.requests if r.path == path]


async def test_alerts_wait_for_their_group_then_go_as_one_signed_message(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_webhook(service, hook)
    await set_routing(service, {"receiver": "ops", "group_by": ["rule", "product_id"], "group_wait_seconds": 30})
    for _ in range(3):
        await fire(service, clock)
    await dispatcher.run_once()
    assert hook.requests == [], "nothing before the group wait is over"
    clock.advance(seconds=31)
    await dispatcher.run_once()
    (request,) = hook.requests
    assert verify_signature(SECRET, request.headers["x-reviewguard-timestamp"], request.body,
                            request.headers["x-reviewguard-signature"], tolerance_s=10 ** 9)
    assert len(request.json()["alert"]["reasons"]) == 3
    clock.advance(seconds=60)
    await dispatcher.run_once()
    assert len(hook.requests) == 1, "the same alerts are not sent twice"
    deliveries = await service.list_deliveries(TENANT, "", 10)
    assert [(d.status, d.kind, len(d.alert_ids)) for d in deliveries] == [("delivered", "notify", 3)]


async def test_unacknowledged_alerts_repeat_and_acknowledged_ones_do_not(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_webhook(service, hook)
    await set_routing(service, {"receiver": "ops", "group_wait_seconds": 0, "repeat_interval_seconds": 3600})
    alert = await fire(service, clock)
    await dispatcher.run_once()
    clock.advance(minutes=61)
    await dispatcher.run_once()
    assert len(bodies(hook)) == 2 and "still firing" in bodies(hook)[1]["message"]["title"]
    await service.acknowledge(TENANT, alert.id, "oncall")
    clock.advance(minutes=61)
    await dispatcher.run_once()
    assert len(bodies(hook)) == 2


async def test_silences_mute_until_they_expire_including_weekly_windows(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_webhook(service, hook)
    await set_routing(service, {"receiver": "ops", "group_wait_seconds": 0, "group_interval_seconds": 60})
    until = alerting_pb2.Silence(matchers=["product_id=B0KETTLE01"], comment="known supplier issue", created_by="mei")
    until.ends_at.FromDatetime(T0 + timedelta(hours=2))
    silence = await service.create_silence(TENANT, until)
    await fire(service, clock)
    await fire(service, clock, product="B0OTHER")
    await dispatcher.run_once()
    assert [b["alert"]["product_id"] for b in bodies(hook)] == ["B0OTHER"]
    await service.expire_silence(TENANT, silence.id)
    clock.advance(seconds=61)
    await dispatcher.run_once()
    assert [b["alert"]["product_id"] for b in bodies(hook)] == ["B0OTHER", "B0KETTLE01"]

    weekly = alerting_pb2.Silence(matchers=["severity=~normal|high"], weekly_json=json.dumps(
        {"days": ["tue"], "start": "09:00", "end": "12:00", "time_zone": "Europe/Berlin"}))
    weekly.ends_at.FromDatetime(T0 + timedelta(days=60))
    await service.create_silence(TENANT, weekly)
    await fire(service, clock, product="B0THIRD")  # Tuesday 10:01 Berlin: inside the window
    clock.advance(seconds=61)
    await dispatcher.run_once()
    assert len(bodies(hook)) == 2
    clock.advance(hours=3)  # 13:02: the window closed
    await dispatcher.run_once()
    assert bodies(hook)[-1]["alert"]["product_id"] == "B0THIRD"


async def test_red_baseline_mutes_orange_for_the_same_product_and_day(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_webhook(service, hook)
    await set_routing(service, {"receiver": "ops", "group_by": ["rule", "scope", "level"], "group_wait_seconds": 0})
    await fire(service, clock, rule="rating_baseline", labels={"level": "orange"}, day=T0.date())
    await fire(service, clock, rule="rating_baseline", severity=alert_pb2.SEVERITY_CRITICAL, labels={"level": "red"}, day=T0.date())
    await fire(service, clock, rule="rating_baseline", labels={"level": "orange"}, product="B0OTHER", day=T0.date())
    await dispatcher.run_once()
    sent = sorted((b["alert"]["product_id"], b["alert"]["labels"]["level"]) for b in bodies(hook))
    assert sent == [("B0KETTLE01", "red"), ("B0OTHER", "orange")]


async def test_quiet_hours_hold_normal_alerts_until_morning_but_not_critical_ones(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_webhook(service, hook, quiet_hours={"start": "21:00", "end": "08:00", "time_zone": "Europe/Berlin"})
    await set_routing(service, {"receiver": "ops", "group_wait_seconds": 0, "repeat_interval_seconds": 86400})
    clock.now = datetime(2026, 11, 17, 22, 0, tzinfo=timezone.utc)  # 23:00 in Berlin
    await fire(service, clock, product="B0NIGHT")
    await fire(service, clock, product="B0FIRE", severity=alert_pb2.SEVERITY_CRITICAL, labels={"escalation": "safety"})
    await dispatcher.run_once()
    assert [b["alert"]["product_id"] for b in bodies(hook)] == ["B0FIRE"]
    clock.now = datetime(2026, 11, 18, 6, 59, tzinfo=timezone.utc)  # 07:59
    await dispatcher.run_once()
    assert len(bodies(hook)) == 1
    clock.now = datetime(2026, 11, 18, 7, 0, 30, tzinfo=timezone.utc)  # 08:00:30
    await dispatcher.run_once()
    assert [b["alert"]["product_id"] for b in bodies(hook)] == ["B0FIRE", "B0NIGHT"]


async def test_a_receiver_that_is_down_gets_the_alert_when_it_is_back(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_webhook(service, hook)
    await set_routing(service, {"receiver": "ops", "group_wait_seconds": 0})
    hook.expect(lambda r: None, JSONResponse({"down": True}, status_code=503), JSONResponse({"down": True}, status_code=503),
                default=JSONResponse({"ok": True}))
    alert = await fire(service, clock)
    await dispatcher.run_once()
    clock.advance(seconds=5)
    await dispatcher.run_once()  # not due yet: backing off
    assert len(hook.requests) == 1
    for _ in range(3):
        clock.advance(minutes=2)
        await dispatcher.run_once()
    (delivery,) = await service.list_deliveries(TENANT, alert.id, 10)
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert len(hook.requests) == 3


async def test_unacknowledged_critical_alert_escalates_to_the_next_receiver(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_webhook(service, hook, "ops")
    await add_webhook(service, hook, "manager")
    await set_routing(service, {"receiver": "ops", "group_wait_seconds": 0, "routes": [
        {"matchers": ["severity=critical"], "escalate_to": ["manager"], "escalate_after_minutes": 15}]})
    critical = await fire(service, clock, severity=alert_pb2.SEVERITY_CRITICAL, product="B0FIRE")
    acked = await fire(service, clock, severity=alert_pb2.SEVERITY_CRITICAL, product="B0SMOKE")
    await dispatcher.run_once()
    await service.acknowledge(TENANT, acked.id, "oncall")
    clock.advance(minutes=16)
    await dispatcher.run_once()
    escalated = bodies(hook, "/manager")
    assert [b["alert"]["id"] for b in escalated] == [critical.id]
    assert "unacknowledged" in escalated[0]["message"]["title"]


async def test_receivers_are_validated_stored_encrypted_and_listed_without_secrets(harness, hook) -> None:
    service, _, _ = harness
    with pytest.raises(InvalidArgument) as refused:
        await service.put_receiver(TENANT, "bad", json.dumps({"kind": "webhook", "url": "ftp://x", "secret": "short"}), "")
    assert {v.field for v in refused.value.violations} >= {"webhook.url", "webhook.secret"}
    with pytest.raises(InvalidArgument):
        await service.put_receiver(TENANT, "q", json.dumps({"kind": "slack", "webhook_url": "https://hooks.slack.com/services/T/B/x"}),
                                   json.dumps({"start": "25:00"}))
    await add_webhook(service, hook)
    (listed,) = await service.list_receivers(TENANT)
    assert listed.kind == "webhook" and SECRET not in listed.config_json and hook.url not in listed.config_json
    async with service._pool.acquire() as conn:  # noqa: SLF001
        raw = await conn.fetchval("SELECT config FROM receivers")
    assert SECRET.encode() not in raw and hook.url.encode() not in raw


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"kind": "webhook", "url": "http://127.0.0.1:9/x", "secret": SECRET}, "webhook.url"),
        ({"kind": "webhook", "url": "http://169.254.169.254/", "secret": SECRET}, "webhook.url"),
        ({"kind": "webhook", "url": "http://localhost/hook", "secret": SECRET}, "webhook.url"),
        ({"kind": "slack", "webhook_url": "http://10.0.0.8/services/T/B/x"}, "slack.webhook_url"),
        ({"kind": "wecom", "webhook_url": "http://[::ffff:192.168.0.1]/cgi-bin/webhook/send?key=k"}, "wecom.webhook_url"),
    ],
)
async def test_receivers_pointing_inside_are_refused_naming_the_field(harness, config: dict, field: str) -> None:
    service, _, _ = harness
    with pytest.raises(InvalidArgument) as refused:
        await service.put_receiver(TENANT, "inside", json.dumps(config), "")
    assert [v.field for v in refused.value.violations] == [field]
    assert "outbound" in refused.value.violations[0].description or "address" in refused.value.violations[0].description
    assert await service.list_receivers(TENANT) == []


async def test_delivery_errors_keep_the_status_not_the_remote_body(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_webhook(service, hook)
    await set_routing(service, {"receiver": "ops", "group_wait_seconds": 0})
    body = "stack trace: internal-db-password=hunter2 at /srv/app.py"
    hook.expect(lambda r: None, default=JSONResponse({"error": body}, status_code=400))
    alert = await fire(service, clock)
    await dispatcher.run_once()
    (delivery,) = await service.list_deliveries(TENANT, alert.id, 10)
    assert delivery.status == "failed" and delivery.last_error == "HTTP 400"
    assert "hunter2" not in delivery.last_error and hook.url not in delivery.last_error


async def test_a_receiver_on_an_address_not_allowed_any_more_fails_with_a_short_reason(harness, hook, database_url) -> None:
    service, _, clock = harness
    await add_webhook(service, hook)
    await set_routing(service, {"receiver": "ops", "group_wait_seconds": 0})
    alert = await fire(service, clock)
    # NOTE: the same stored receiver, sent by a dispatcher whose policy does not allow-list it.
    async with outbound_client(OutboundPolicy()) as http:
        strict = Dispatcher(pool=service._pool, box=service._box, http=http, clock=clock,  # noqa: SLF001
                            link_base="https://console.example", policy_for=service.policy)
        await strict.run_once()
    (delivery,) = await service.list_deliveries(TENANT, alert.id, 10)
    assert delivery.status == "failed" and delivery.last_error.startswith("refused by the outbound policy")
    assert "/ops" not in delivery.last_error and hook.requests == []
