"""An ops team's Alertmanager config pasted into ReviewGuard and read back (issue 17), through the
real gateway app, the alerting gRPC servicer and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import httpx
import pytest
import yaml

from libs import db
from libs.crypto import SecretBox
from libs.grpc_client import open_channel
from libs.grpc_server import GrpcServer
from libs.settings import Settings
from reviewguard.alerting.v1 import alerting_pb2_grpc
from services.alerting import app as alerting_app
from services.alerting.grpc_api import AlertingServicer
from services.alerting.routing import RoutingRules, match_routes
from services.alerting.service import AlertingService
from services.gateway.app import create_app
from services.gateway.dependencies import Backends, get_tenant

TEAM_CONFIG = """
# the team's alertmanager.yml, as it runs today
global:
  resolve_timeout: 5m
route:
  receiver: ops-mail
  group_by: [rule, scope]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 3h
  routes:
  - matchers: ['{severity="critical", marketplace=~"DE|AT|CH"}']
    receiver: dach-pager
    active_time_intervals: [office-hours]
    continue: true
  - match_re: {rule: "crisis|competitor_attack"}
    receiver: brand-team
inhibit_rules:
- source_matchers: [severity="critical"]
  target_matchers: [severity="warning"]
  equal: [scope]
time_intervals:
- name: office-hours
  time_intervals:
  - weekdays: ['monday:friday']
    times: [{start_time: '08:00', end_time: '24:00'}]
    location: Europe/Berlin
receivers:
- name: ops-mail
- name: dach-pager
- name: brand-team
"""


@pytest.fixture
async def api(database_url: str):
    await db.migrate(database_url, schema=alerting_app.SCHEMA, directory=alerting_app.MIGRATIONS)
    pool = await db.create_pool(database_url, schema=alerting_app.SCHEMA)
    tenant = uuid.uuid4()
    service = AlertingService(pool=pool, clock=lambda: datetime(2026, 12, 1, 10, tzinfo=timezone.utc), box=SecretBox([SecretBox.new_key()]))
    for name in ("ops-mail", "dach-pager", "brand-team"):
        config = {"kind": "webhook", "url": f"https://hooks.example.com/{name}", "secret": "s3cret-signing-key-0001"}
        await service.put_receiver(str(tenant), name, json.dumps(config), "")
    server = GrpcServer(bind="127.0.0.1:0", service_names=["reviewguard.alerting.v1.AlertingService"])
    alerting_pb2_grpc.add_AlertingServiceServicer_to_server(AlertingServicer(service), server.server)
    await server.start()
    channel = open_channel(f"127.0.0.1:{server.port}")
    app = create_app(Settings())
    app.state.backends = Backends(ingest=None, nlp=None, resolution=None, alerting=alerting_pb2_grpc.AlertingServiceStub(channel), channels={})
    app.dependency_overrides[get_tenant] = lambda: tenant
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            yield client
    finally:
        await channel.close()
        await server.stop(0)
        await pool.close()


def put_yaml(api: httpx.AsyncClient, text: str, content_type: str = "application/yaml"):
    return api.put("/v1/alert-policies/routing", params={"format": "alertmanager"}, content=text.encode(),
                   headers={"Content-Type": content_type})


async def test_a_pasted_alertmanager_config_routes_alerts_and_reads_back_the_same(api: httpx.AsyncClient) -> None:
    tuned = await api.put("/v1/alert-policies", json={"baseline": {"red_daily_drop": 0.7}})
    assert tuned.status_code == 200

    imported = await put_yaml(api, TEAM_CONFIG)
    assert imported.status_code == 200, imported.text
    policy = imported.json()["policy"]
    assert policy["baseline"]["red_daily_drop"] == 0.7, "importing routing keeps the rest of the policy"
    rules = RoutingRules.model_validate(policy["routing"])
    german_crisis = {"severity": "critical", "marketplace": "DE", "rule": "crisis", "scope": "product:B0KETTLE77"}
    assert [d.receiver for d in match_routes(rules.route, german_crisis)] == ["dach-pager", "brand-team"]
    assert [d.receiver for d in match_routes(rules.route, {**german_crisis, "marketplace": "FR"})] == ["brand-team"]
    assert [d.receiver for d in match_routes(rules.route, {"severity": "warning", "rule": "negative_review"})] == ["ops-mail"]

    exported = await api.get("/v1/alert-policies/routing", params={"format": "alertmanager"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/yaml")
    assert exported.headers["etag"] == f'"{imported.json()["version"]}"'
    config = yaml.safe_load(exported.text)
    assert config["route"]["repeat_interval"] == "3h" and config["route"]["routes"][0]["active_time_intervals"] == ["office-hours"]
    assert {r["name"] for r in config["receivers"]} == {"ops-mail", "dach-pager", "brand-team"}
    assert len(config["inhibit_rules"]) == 3, "the team's rule and the SPEC's two built-ins"
    assert config["time_intervals"][0]["time_intervals"][0]["location"] == "Europe/Berlin"

    again = await put_yaml(api, exported.text)
    assert again.status_code == 200
    assert (await api.get("/v1/alert-policies/routing", params={"format": "alertmanager"})).text == exported.text

    as_json = await put_yaml(api, json.dumps(config), "application/json")
    assert as_json.status_code == 200, "JSON is accepted as well as YAML"


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("route:\n  receiver: pager-that-does-not-exist\n", "routing.route.receiver", "not configured"),
        ("route: {receiver: ops-mail, routes: [{matchers: ['severity!=normal,rule=\"crisis'], receiver: ops-mail}]}\n",
         "routes", "quote"),
        ("route: {receiver: ops-mail, routes: [{matchers: ['scope=~\"(a+\"'], receiver: ops-mail}]}\n", "routes", "regex"),
        ("route:\n  receiver: ops-mail\n  group_wait: [\n", "config", "line"),
        ("a: &x [1, 2]\nb: [*x, *x]\nroute: {receiver: ops-mail}\n", "config", "aliases"),
        ("- just\n- a list\n", "config", "route"),
        ("route: {receiver: ops-mail}\nsilences: []\n", "config", "unsupported"),
    ],
    ids=["missing-receiver", "unterminated-quote", "bad-regex", "broken-yaml", "yaml-aliases", "not-a-mapping", "unknown-key"],
)
async def test_a_config_that_cannot_be_right_is_a_422_naming_the_place_and_changes_nothing(
    api: httpx.AsyncClient, text: str, field: str, words: str
) -> None:
    before = await api.get("/v1/alert-policies/routing")
    refused = await put_yaml(api, text)
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert any(field in e["field"] for e in errors) and any(words in e["message"] for e in errors), errors
    after = await api.get("/v1/alert-policies/routing")
    assert after.text == before.text and after.headers["etag"] == before.headers["etag"]


async def test_only_alertmanager_config_as_text_is_taken(api: httpx.AsyncClient) -> None:
    wrong_format = await api.get("/v1/alert-policies/routing", params={"format": "prometheus"})
    assert wrong_format.status_code == 422 and wrong_format.json()["errors"][0]["field"] == "format"
    form = await put_yaml(api, "route=ops", "application/x-www-form-urlencoded")
    assert form.status_code == 422 and form.json()["errors"][0]["field"] == "content-type"
