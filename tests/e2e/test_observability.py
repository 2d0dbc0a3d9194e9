"""What an operator reads from a running system: each service's /metrics after reviews went through
it (RPCs, routes, consumer lag, outbox backlog, deliveries, NLP throughput), one trace from the
gateway through ingest's database and outbox to the nlp consumer, and every log line as JSON."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.responses import JSONResponse

from services.launcher import LocalSystem
from tests.e2e.conftest import running_system
from tests.e2e.workload import counts
from tests.helpers import eventually, local_server

REVIEWS = 12


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, server_dir: Path) -> Iterator[LocalSystem]:
    # NOTE: lag, DLQ depth and backlog are sampled every second here (10 s by default).
    with running_system(tmp_path_factory.mktemp("observed"), server_dir, metrics_sample_seconds=1.0) as local:
        yield local


def scrape(url: str) -> dict[str, list[tuple[dict, float]]]:
    """Samples by name from a Prometheus endpoint: name -> [(labels, value)]."""
    response = httpx.get(url, timeout=5)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    found: dict[str, list[tuple[dict, float]]] = defaultdict(list)
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[sample.name].append((sample.labels, sample.value))
    return found


def value(samples: dict, name: str, **labels) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 when none)."""
    return sum(v for have, v in samples.get(name, []) if all(have.get(k) == w for k, w in labels.items()))


def endpoints(system: LocalSystem) -> dict[str, str]:
    s = system.settings
    urls = {name: f"http://{s.host}:{system.metrics_port(name)}/metrics" for name in ("ingest", "nlp", "alerting", "resolution")}
    urls["gateway"] = f"http://{s.host}:{s.gateway_port}/metrics"
    return urls


def reviews(n: int) -> list[dict]:
    now = datetime.now(timezone.utc).isoformat()
    return [
        {
            "platform": "amazon", "marketplace": "US", "external_id": f"observed-{i}", "product_id": f"B0OBS{i % 3}",
            "rating": 1 if i % 3 == 0 else 5, "title": "Stopped working" if i % 3 == 0 else "Great kettle",
            "body": ("The kettle leaked from the base after a week and caught fire." if i % 3 == 0
                     else f"Boils fast and quietly, the lid closes well, number {i}."),
            "posted_at": now,
        }
        for i in range(n)
    ]


@pytest.fixture(scope="module")
async def traffic(system: LocalSystem, api_keys, base_url) -> dict:
    """Reviews posted through the gateway, alerts delivered to a webhook, cases read back; settled."""
    from tests.services.alerting.receivers.fakes import FakeServer

    hook = FakeServer()
    hook.expect(lambda r: None, default=JSONResponse({"ok": True}))
    async with local_server(hook) as url:
        async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {api_keys['acme']}"}, timeout=30) as api:
            config = {"config": {"kind": "webhook", "url": f"{url}/hook", "secret": "observability-secret-0001"}}
            assert (await api.put("/v1/alert-receivers/ops", json=config)).status_code == 200
            routing = {"routing": {"route": {"receiver": "ops", "group_wait_seconds": 0}}}
            assert (await api.put("/v1/alert-policies", json=routing)).status_code == 200
            posted = reviews(REVIEWS)
            ids = []
            for half in (posted[: REVIEWS // 2], posted[REVIEWS // 2 :]):
                response = await api.post("/v1/reviews", json={"reviews": half})
                assert response.status_code == 202, response.text
                ids += response.json()["ids"]
            assert (await api.get(f"/v1/reviews/{ids[0]}")).status_code == 200
            assert (await api.get("/v1/reviews/00000000-0000-0000-0000-000000000000")).status_code == 404

            async def settled():
                c = await counts(system.dsn)
                return c if c["analyses"] == REVIEWS and c["alerts"] >= c["low_rated"] > 0 and c["cases"] == c["alerts"] else None

            final = await eventually(settled, timeout=120, interval=0.5)
            await eventually(lambda: _delivered(hook), timeout=60, interval=0.5)
            assert (await api.get("/v1/cases")).status_code == 200
    return {"ids": ids, "counts": final}


async def _delivered(hook) -> bool:
    return bool(hook.requests)


async def test_each_service_exports_what_an_operator_reads(system: LocalSystem, traffic) -> None:
    urls = endpoints(system)
    low_rated = traffic["counts"]["low_rated"]

    async def sampled():
        got = {name: scrape(url) for name, url in urls.items()}
        nlp = got["nlp"]
        # NOTE: lag and backlog are gauges sampled each second: wait for a sample after the burst.
        ready = (
            value(nlp, "reviewguard_consumer_pending_messages", durable="nlp") == 0
            and value(nlp, "reviewguard_consumer_messages_total", durable="nlp", outcome="acked") >= REVIEWS
            and value(got["alerting"], "reviewguard_alert_deliveries_total", receiver="webhook", outcome="delivered") >= 1
            and ("reviewguard_outbox_backlog" in got["ingest"] and value(got["ingest"], "reviewguard_outbox_backlog") == 0)
        )
        return got if ready else None

    got = await eventually(sampled, timeout=60, interval=1.0)

    gateway = got["gateway"]
    assert value(gateway, "reviewguard_http_requests_total", route="/v1/reviews", method="POST", status="202") == 2
    assert value(gateway, "reviewguard_http_requests_total", route="/v1/reviews/{review_id}", method="GET", status="200") >= 1
    assert value(gateway, "reviewguard_http_requests_total", route="/v1/reviews/{review_id}", method="GET", status="404") == 1
    assert value(gateway, "reviewguard_http_request_duration_seconds_count", route="/v1/reviews", method="POST") == 2
    assert value(gateway, "process_resident_memory_bytes") > 0

    ingest = got["ingest"]
    submit = "/reviewguard.ingest.v1.IngestService/SubmitReviews"
    assert value(ingest, "reviewguard_grpc_server_requests_total", method=submit, code="OK") == 2
    assert value(ingest, "reviewguard_grpc_server_request_duration_seconds_count", method=submit) == 2
    assert value(ingest, "reviewguard_grpc_server_requests_total", code="NOT_FOUND") >= 1
    assert value(ingest, "reviewguard_outbox_published_total", channel="ingest_outbox") >= REVIEWS
    assert value(ingest, "reviewguard_outbox_backlog", channel="ingest_outbox") == 0
    assert value(ingest, "reviewguard_ingest_capture_lag_seconds_count", platform="amazon", channel="api") == REVIEWS

    nlp = got["nlp"]
    assert value(nlp, "reviewguard_nlp_reviews_analyzed_total") == REVIEWS
    assert value(nlp, "reviewguard_nlp_model_seconds_count") >= 1
    assert value(nlp, "reviewguard_nlp_model_seconds_sum") > 0
    assert value(nlp, "reviewguard_consumer_messages_total", durable="nlp", outcome="acked") == REVIEWS
    assert value(nlp, "reviewguard_consumer_messages_total", outcome="dead_lettered") == 0
    assert value(nlp, "reviewguard_dlq_messages", consumer="nlp") == 0
    assert value(nlp, "reviewguard_consumer_redelivered_messages", durable="nlp") == 0
    assert value(nlp, "reviewguard_bus_published_total", subject="reviews.analyzed", outcome="new") == REVIEWS

    alerting = got["alerting"]
    assert value(alerting, "reviewguard_consumer_messages_total", durable="alerting", outcome="acked") == REVIEWS
    assert value(alerting, "reviewguard_consumer_pending_messages", durable="alerting") == 0
    assert value(alerting, "reviewguard_outbox_published_total", channel="alerting_outbox") >= low_rated
    assert value(alerting, "reviewguard_alert_deliveries_total", receiver="webhook", outcome="delivered") >= 1
    assert value(alerting, "reviewguard_alert_deliveries_total", outcome="failed") == 0

    resolution = got["resolution"]
    assert value(resolution, "reviewguard_consumer_messages_total", durable="resolution", outcome="acked") >= low_rated
    assert value(resolution, "reviewguard_consumer_pending_messages", durable="resolution") == 0
    assert value(resolution, "reviewguard_grpc_server_requests_total", code="OK") >= 1  # GET /v1/cases
    for name, samples in got.items():
        assert "reviewguard_grpc_server_requests_total" in samples or name == "gateway", name


def _spans(system: LocalSystem) -> list[dict]:
    spans = []
    for path in sorted(system.settings.trace_dir.glob("*.jsonl")):
        spans += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return spans


async def test_one_trace_runs_from_the_gateway_through_ingests_database_and_outbox_to_the_nlp_consumer(
    system: LocalSystem, traffic
) -> None:
    async def linked():
        spans = _spans(system)
        by_id = {s["span_id"]: s for s in spans}
        consumes = [s for s in spans if s["name"] == "consume nlp" and s["service"] == "reviewguard-nlp"]
        for consume in consumes:
            publish = by_id.get(consume["parent_span_id"])
            if publish is None or publish["name"] != "publish reviews.ingested" or publish["service"] != "reviewguard-ingest":
                continue
            trace_spans = [s for s in spans if s["trace_id"] == consume["trace_id"]]
            return consume, publish, trace_spans
        return None

    consume, publish, trace_spans = await eventually(linked, timeout=30, interval=0.5)
    by_service = defaultdict(set)
    for span in trace_spans:
        by_service[span["service"]].add(span["name"])
    # The gateway's request, ingest's transaction, the publish from the outbox, nlp's consumer.
    assert any(name.startswith("POST /v1/reviews") for name in by_service["reviewguard-gateway"]), by_service
    assert "db INSERT" in by_service["reviewguard-ingest"] or "db COPY" in by_service["reviewguard-ingest"], by_service
    assert {"consume nlp", "nlp.models", "nlp.review_analyzed", "publish reviews.analyzed"} <= by_service["reviewguard-nlp"], by_service
    assert any(name.startswith("db ") for name in by_service["reviewguard-nlp"]), by_service
    assert publish["kind"] == "PRODUCER" and consume["kind"] == "CONSUMER"
    assert consume["attributes"]["messaging.consumer.group.name"] == "nlp"
    assert consume["attributes"]["messaging.nats.queued_seconds"] >= 0
    # The time between ingest and nlp is visible: the publish ends before the consume starts.
    assert publish["end"] <= consume["end"]
    # The relay's own batches are spans too (their publishes continue each row's trace).
    assert any(s["name"] == "outbox.relay" and s["service"] == "reviewguard-ingest" for s in _spans(system))
    request = next(s for s in trace_spans if s["service"] == "reviewguard-gateway" and s["name"].startswith("POST /v1/reviews")
                   and s["parent_span_id"] is None)
    models = next(s for s in trace_spans if s["name"] == "nlp.models")
    ms = lambda a, b: round((b - a) / 1e6, 1)  # noqa: E731 - nanoseconds to milliseconds
    print(f"\nwhere the time goes (ms from the gateway request's start): answered {ms(request['start'], request['end'])}, "
          f"published {ms(request['start'], publish['start'])}-{ms(request['start'], publish['end'])}, "
          f"nlp consumed {ms(request['start'], consume['start'])} (queued {consume['attributes']['messaging.nats.queued_seconds'] * 1000:.1f}), "
          f"models {ms(models['start'], models['end'])}, consumer done {ms(request['start'], consume['end'])}")

    # Alerting's consumer continues a trace from nlp's publish the same way.
    spans = _spans(system)
    by_id = {s["span_id"]: s for s in spans}
    assert any(
        by_id.get(s["parent_span_id"], {}).get("name") == "publish reviews.analyzed"
        for s in spans if s["name"] == "consume alerting" and s["service"] == "reviewguard-alerting"
    )


def test_every_log_line_of_every_service_is_json_with_trace_ids_where_a_span_ran(system: LocalSystem, traffic) -> None:
    lines = 0
    for path in sorted(system.log_dir.glob("*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)  # fails the test on any plain-text line
            assert {"ts", "level", "service", "logger", "msg"} <= set(entry), (path.name, line)
            if "trace_id" in entry:
                assert len(entry["trace_id"]) == 32 and len(entry["span_id"]) == 16
            lines += 1
    assert lines > 0


def test_metrics_ports_are_the_settings_and_replicas_step_up(system: LocalSystem) -> None:
    s = system.settings
    assert system.metrics_port("nlp") == s.nlp_metrics_port
    assert system.metrics_port("nlp-2") == s.nlp_metrics_port + 100
    assert system.metrics_port("gateway") == 0  # its metrics are GET /metrics on its HTTP port
    env = system.service_env()
    assert env["REVIEWGUARD_RESOLUTION_METRICS_PORT"] == str(s.resolution_metrics_port)


@pytest.fixture(scope="module")
async def undeliverable(system: LocalSystem, api_keys, base_url, traffic) -> tuple[float, dict]:
    """One 1-star review of globex, which configured no receiver: its default route names none, so
    its alert is undeliverable. The alerting endpoint's count before, and its samples once counted."""
    url = endpoints(system)["alerting"]
    before = value(scrape(url), "reviewguard_alerts_undeliverable_total", reason="no_receiver")
    one_star = {**reviews(1)[0], "external_id": "observed-globex-0"}
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {api_keys['globex']}"}, timeout=30) as api:
        response = await api.post("/v1/reviews", json={"reviews": [one_star]})
        assert response.status_code == 202, response.text

    async def counted():
        got = scrape(url)
        return got if value(got, "reviewguard_alerts_undeliverable_total", reason="no_receiver") > before else None

    return before, await eventually(counted, timeout=60, interval=0.5)


async def test_an_alert_no_receiver_hears_of_is_counted_on_the_alerting_endpoint(undeliverable) -> None:
    # NOTE: on alerting's /metrics, the service's own registry, not prometheus_client's default one.
    before, got = undeliverable
    assert value(got, "reviewguard_alerts_undeliverable_total", reason="no_receiver") == before + 1
    assert value(got, "reviewguard_alerts_undeliverable_total", reason="missing_receiver") == 0


def test_every_metric_the_dashboard_and_the_alerting_rules_read_is_served_by_a_service(system: LocalSystem, traffic, undeliverable) -> None:
    """Not only a name defined in the code (deploy/check.py's static check): a series some running
    service's /metrics serves, once reviews, alerts and an undeliverable alert went through."""
    import re

    import yaml

    deploy = Path(__file__).resolve().parents[2] / "deploy"
    dashboard = json.loads((deploy / "grafana" / "reviewguard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    rules = [d for d in yaml.safe_load_all((deploy / "k8s" / "overlays" / "production" / "monitoring.yaml").read_text()) if d and d["kind"] == "PrometheusRule"]
    exprs += [str(r["expr"]) for d in rules for g in d["spec"]["groups"] for r in g["rules"]]
    read = {m for e in exprs for m in re.findall(r"\b(reviewguard_[a-z0-9_]+)", e)}
    served: set[str] = set()
    for url in endpoints(system).values():
        served |= set(scrape(url))
    assert len(read) >= 15
    assert not sorted(read - served), f"read by the dashboard or a rule, served by no service: {sorted(read - served)}"
