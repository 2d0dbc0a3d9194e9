"""Alertmanager's routing semantics end to end: real PostgreSQL, the real dispatcher, a local
signed-webhook receiver and a clock the tests move.

Covers the issue's items a user hits: no self-inhibition, follow-ups carrying the whole group,
inhibition surviving an acknowledgement, resolved notifications, route time intervals, receivers
that must exist, undeliverable alerts shown, and routing a batch in a constant number of round trips.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
from prometheus_client import REGISTRY

from libs.errors import Conflict, InvalidArgument
from reviewguard.alerting.v1 import alert_pb2
from services.alerting import repository
from services.alerting.delivery import route_alerts
from services.alerting.service import AlertingService
from tests.services.alerting.receivers.fakes import FakeServer
from tests.services.alerting.test_delivery import (  # noqa: F401 - fixtures
    SECRET,
    TENANT,
    Clock,
    bodies,
    fire,
    harness,
    hook,
    set_routing,
    webhook_server,
)


async def add_hook(service: AlertingService, hook: FakeServer, name: str = "ops", *, send_resolved: bool = False) -> None:
    config = {"kind": "webhook", "url": f"{hook.url}/{name}", "secret": SECRET, "send_resolved": send_resolved,
              "retry": {"max_attempts": 1, "initial_delay_s": 0, "max_delay_s": 0, "jitter_s": 0}}
    await service.put_receiver(TENANT, name, json.dumps(config), "")


async def test_an_alert_matching_both_sides_of_an_inhibit_rule_is_still_sent(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_hook(service, hook)
    await set_routing(service, {"receiver": "ops", "group_wait_seconds": 0, "group_by": ["rule", "scope", "severity"]},
                      inhibit_rules=[{"source_matchers": ["severity=critical"], "target_matchers": ["rule=crisis"],
                                      "equal": ["scope"]}])
    await fire(service, clock, rule="crisis", severity=alert_pb2.SEVERITY_CRITICAL, scope="marketplace:DE")
    await fire(service, clock, rule="crisis", severity=alert_pb2.SEVERITY_HIGH, scope="marketplace:DE")
    await dispatcher.run_once()
    sent = [(b["alert"]["rule"], b["alert"]["severity"]) for b in bodies(hook)]
    assert sent == [("crisis", "critical")], "the critical crisis is sent; only the lesser one it inhibits is muted"


async def test_a_follow_up_carries_every_alert_still_firing_in_the_group(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_hook(service, hook)
    await set_routing(service, {"receiver": "ops", "group_by": ["rule"], "group_wait": "30s", "group_interval": "5m",
                                "repeat_interval": "4h"})
    first = await fire(service, clock, product="B0KETTLE01")
    await fire(service, clock, product="B0KETTLE02")
    clock.advance(seconds=31)
    await dispatcher.run_once()
    assert [len(b["alert"]["reasons"]) for b in bodies(hook)] == [2]
    await service.resolve(TENANT, first.id, "mei")
    clock.advance(minutes=1)
    await fire(service, clock, product="B0KETTLE03")
    await dispatcher.run_once()
    assert len(bodies(hook)) == 1, "a new alert waits for the group interval"
    clock.advance(minutes=5)
    await dispatcher.run_once()
    follow_up = bodies(hook)[-1]
    assert len(bodies(hook)) == 2
    assert sorted(follow_up["alert"]["reasons"]) == ["negative_review on B0KETTLE02", "negative_review on B0KETTLE03"]
    clock.advance(minutes=5)
    await dispatcher.run_once()
    assert len(bodies(hook)) == 2, "nothing new: no message until the repeat interval"


async def test_acknowledging_the_source_keeps_inhibiting(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_hook(service, hook)
    await set_routing(service, {"receiver": "ops", "group_by": ["rule", "scope", "level"], "group_wait_seconds": 0,
                                "group_interval_seconds": 60})
    red = await fire(service, clock, rule="rating_baseline", severity=alert_pb2.SEVERITY_CRITICAL, labels={"level": "red"}, day=clock().date())
    await dispatcher.run_once()
    await service.acknowledge(TENANT, red.id, "oncall")
    await fire(service, clock, rule="rating_baseline", labels={"level": "orange"}, day=clock().date())
    clock.advance(seconds=61)
    await dispatcher.run_once()
    assert [b["alert"]["labels"]["level"] for b in bodies(hook)] == ["red"], "the acknowledged red alert still fires"
    await service.resolve(TENANT, red.id, "oncall")
    clock.advance(seconds=61)
    await dispatcher.run_once()
    assert [b["alert"]["labels"]["level"] for b in bodies(hook)] == ["red", "orange"], "resolving it lifts the inhibition"


async def test_resolved_alerts_are_announced_to_receivers_that_ask(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_hook(service, hook, "ops", send_resolved=True)
    await add_hook(service, hook, "audit", send_resolved=False)
    await set_routing(service, {"receiver": "ops", "group_wait_seconds": 0, "group_interval": "1m", "routes": [
        {"receiver": "audit", "continue": True}, {"receiver": "ops"}]})
    alert = await fire(service, clock)
    await dispatcher.run_once()
    assert len(bodies(hook, "/ops")) == 1 and len(bodies(hook, "/audit")) == 1
    await service.resolve(TENANT, alert.id, "mei")
    clock.advance(seconds=61)
    await dispatcher.run_once()
    (told,) = bodies(hook, "/ops")[1:]
    assert told["alert"]["id"] == alert.id and told["message"]["title"].startswith("resolved")
    assert len(bodies(hook, "/audit")) == 1, "send_resolved is off for audit"
    clock.advance(hours=5)
    await dispatcher.run_once()
    assert len(hook.requests) == 3, "resolved is said once, and a resolved alert never repeats"
    deliveries = await service.list_deliveries(TENANT, alert.id, 10)
    assert sorted(d.kind for d in deliveries) == ["notify", "notify", "resolved"]


async def test_routes_only_page_inside_their_active_time_interval(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_hook(service, hook, "office")
    await add_hook(service, hook, "pager")
    office_hours = {"name": "office-hours", "time_intervals": [
        {"weekdays": ["monday:friday"], "times": [{"start_time": "09:00", "end_time": "17:00"}], "location": "Europe/Berlin"}]}
    weekend = {"name": "weekend", "time_intervals": [
        {"weekdays": ["saturday", "sunday"], "times": [{"start_time": "00:00", "end_time": "24:00"}]}]}
    await set_routing(service, {"receiver": "pager", "group_wait_seconds": 0, "group_interval": "5m", "routes": [
        {"matchers": ['severity!="critical"'], "receiver": "office", "active_time_intervals": ["office-hours"]},
        {"matchers": ['severity="critical"'], "receiver": "pager", "mute_time_intervals": ["weekend"]}]},
        time_intervals=[office_hours, weekend])
    clock.now = datetime(2026, 11, 17, 20, 0, tzinfo=timezone.utc)  # Tuesday 21:00 in Berlin
    await fire(service, clock, product="B0NIGHT")
    await fire(service, clock, product="B0FIRE", severity=alert_pb2.SEVERITY_CRITICAL)
    await dispatcher.run_once()
    assert [(r.path, r.json()["alert"]["product_id"]) for r in hook.requests] == [("/pager", "B0FIRE")]
    clock.now = datetime(2026, 11, 18, 8, 1, tzinfo=timezone.utc)  # Wednesday 09:01
    await dispatcher.run_once()
    assert [r.json()["alert"]["product_id"] for r in hook.requests if r.path == "/office"] == ["B0NIGHT"]
    clock.now = datetime(2026, 11, 21, 23, 59, tzinfo=timezone.utc)  # Saturday 23:59 UTC: weekend, no gap
    await fire(service, clock, product="B0SATURDAY", severity=alert_pb2.SEVERITY_CRITICAL)
    await dispatcher.run_once()
    assert "B0SATURDAY" not in [r.json()["alert"]["product_id"] for r in hook.requests]
    clock.now = datetime(2026, 11, 23, 0, 1, tzinfo=timezone.utc)  # Monday
    await dispatcher.run_once()
    assert [r.json()["alert"]["product_id"] for r in hook.requests][-1] == "B0SATURDAY"


async def test_policies_name_only_existing_receivers_and_receivers_in_use_stay(harness, hook) -> None:
    service, _, _ = harness
    await add_hook(service, hook, "ops")
    with pytest.raises(InvalidArgument) as refused:
        await set_routing(service, {"receiver": "ops", "routes": [{"matchers": ["severity=critical"], "receiver": "pagr"},
                                                                  {"escalate_to": ["manager"]}]})
    assert {v.field for v in refused.value.violations} == {"routing.route.routes.0.receiver", "routing.route.routes.1.escalate_to.0"}
    assert (await service.get_policy(TENANT))[1] == 0, "nothing was stored"
    with pytest.raises(InvalidArgument) as root_matchers:
        await set_routing(service, {"receiver": "ops", "matchers": ["severity=critical"]})
    assert "root route must not have any matchers" in str(root_matchers.value.violations)
    await set_routing(service, {"receiver": "ops"})
    with pytest.raises(Conflict) as in_use:
        await service.delete_receiver(TENANT, "ops")
    assert [v.field for v in in_use.value.violations] == ["routing.route.receiver"]
    await set_routing(service, {"routes": [{"matchers": ["severity=critical"], "receiver": "ops"}]})
    with pytest.raises(Conflict):
        await service.delete_receiver(TENANT, "ops")
    await set_routing(service, {})
    await service.delete_receiver(TENANT, "ops")
    assert await service.list_receivers(TENANT) == []


async def test_an_alert_no_receiver_will_hear_of_is_marked_and_counted(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_hook(service, hook, "risk")
    await set_routing(service, {"routes": [{"matchers": ["severity=critical"], "receiver": "risk"}]})
    counted = service.metrics.registry
    before = counted.get_sample_value("reviewguard_alerts_undeliverable_total", {"reason": "no_receiver"}) or 0
    routed = await fire(service, clock, severity=alert_pb2.SEVERITY_CRITICAL, product="B0FIRE")
    lost = await fire(service, clock, severity=alert_pb2.SEVERITY_HIGH, product="B0QUIET")
    listed = {a.product_id: a for a in (await service.list(TENANT, review_id="", page_size=10, page_token=""))[0]}
    assert "undeliverable" not in listed["B0FIRE"].labels
    assert listed["B0QUIET"].labels["undeliverable"] == "no receiver configured for its route"
    assert counted.get_sample_value("reviewguard_alerts_undeliverable_total", {"reason": "no_receiver"}) == before + 1
    assert REGISTRY.get_sample_value("reviewguard_alerts_undeliverable_total", {"reason": "no_receiver"}) is None
    found, _ = await service.list(TENANT, review_id="", page_size=10, page_token="", labels=["undeliverable=no receiver configured for its route"])
    assert [a.id for a in found] == [lost.id]
    await dispatcher.run_once()
    clock.advance(seconds=31)
    await dispatcher.run_once()
    assert [b["alert"]["id"] for b in bodies(hook, "/risk")] == [routed.id]


async def test_routing_a_batch_costs_the_same_round_trips_as_one_alert(harness, hook) -> None:
    service, dispatcher, clock = harness
    await add_hook(service, hook, "ops")
    await add_hook(service, hook, "risk")
    await set_routing(service, {"receiver": "ops", "group_by": ["rule", "product_id"], "group_wait_seconds": 0, "routes": [
        {"matchers": ["severity=critical"], "receiver": "risk", "continue": True}, {"receiver": "ops"}]})
    tenant = uuid.UUID(TENANT)
    policy = await service.policy(tenant)

    async def route(count: int) -> int:
        async with service._pool.acquire() as conn, conn.transaction():  # noqa: SLF001
            alerts = []
            for i in range(count):
                row, _ = await repository.insert_or_get(
                    conn, tenant_id=tenant, dedup_key=str(uuid.uuid4()), rule="negative_review",
                    severity=alert_pb2.SEVERITY_CRITICAL if i % 2 else alert_pb2.SEVERITY_HIGH, marketplace="JP",
                    product_id=f"B0{i % 7:08d}", reasons=[f"星1つ：製品{i}が壊れていた"], labels={}, scope=f"review:{i}",
                    summary=f"星1つ：製品{i}が壊れていた", fired_at=clock(),
                )
                alerts.append(repository.to_proto(row))
            queries: list[str] = []

            def log(record) -> None:
                queries.append(record.query)

            conn.add_query_logger(log)
            filed = await route_alerts(conn, alerts, policy, clock(), metrics=service.metrics)
            conn.remove_query_logger(log)
        return len(queries), filed

    await route(1)  # NOTE: the first use of a statement also asks PostgreSQL about its types
    one = await route(1)
    many = await route(60)
    assert many[1] == 60 + 30, "every alert filed in ops or risk, critical ones in both"
    assert many[0] == one[0], "a batch of 60 costs the round trips of one"
    await dispatcher.run_once()
    deliveries = await service.list_deliveries(TENANT, "", 100)
    assert sum(len(d.alert_ids) for d in deliveries if d.receiver == "risk") == 30
    assert sum(len(d.alert_ids) for d in deliveries if d.receiver == "ops") == 62
