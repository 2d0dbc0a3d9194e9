"""What an operator would notice in the rendered overlays: probes, resources, non-root pods,
network isolation, secrets kept out of ConfigMaps, a NATS cluster with routes, and a validator that
refuses broken manifests."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))

from check import check_dashboards, check_monitoring, check_shipped_dashboards, exported_metrics, validate_objects  # noqa: E402
from render import RenderError, render  # noqa: E402

OVERLAYS = sorted(p for p in (ROOT / "deploy" / "k8s" / "overlays").iterdir() if p.is_dir())
BACKENDS = ("ingest", "nlp", "alerting", "resolution")
PORTS = {"ingest": 50051, "nlp": 50052, "alerting": 50053, "resolution": 50054, "gateway": 8080}


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    return {overlay.name: render(overlay) for overlay in OVERLAYS}


@pytest.fixture(scope="module")
def production(rendered) -> list[dict]:
    return rendered["production"]


def of_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_both_overlays_exist_and_validate(rendered):
    assert {"production", "staging"} <= set(rendered)
    for name, objects in rendered.items():
        assert validate_objects(objects) == [], name


def test_make_deploy_check_passes():
    result = subprocess.run([sys.executable, str(ROOT / "deploy" / "check.py")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok  ") == len(OVERLAYS) + 1  # and the Grafana dashboards


@pytest.mark.parametrize("overlay", [p.name for p in OVERLAYS])
def test_every_deployment_has_probes_resources_and_runs_non_root(rendered, overlay):
    deployments = of_kind(rendered[overlay], "Deployment")
    assert set(PORTS) <= set(deployments)
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"]:
            where = f"{overlay} {name}/{container['name']}"
            assert "readinessProbe" in container and "livenessProbe" in container, where
            assert container["resources"]["requests"].keys() >= {"cpu", "memory"}, where
            assert "memory" in container["resources"]["limits"], where
            non_root = container.get("securityContext", {}).get("runAsNonRoot", pod.get("securityContext", {}).get("runAsNonRoot"))
            assert non_root is True, where
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, where
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, where


def test_production_probes_ask_grpc_health_over_mtls_and_the_gateways_real_health_route(production):
    health_routes = re.findall(r'@router\.get\("([^"]+)"', (ROOT / "services/gateway/routes/health.py").read_text())
    deployments = of_kind(production, "Deployment")
    for name in BACKENDS:
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            # NOTE: with mutual TLS the kubelet's native gRPC probe has no client certificate.
            assert container[probe].get("exec") == {"command": ["python", "-m", "libs.healthcheck", name]}, (name, probe)
            assert "grpc" not in container[probe], (name, probe)
    for name in ("gateway", *BACKENDS):
        spec = deployments[name]["spec"]["template"]["spec"]
        env = {e["name"]: e.get("value") for e in spec["containers"][0]["env"]}
        assert env["REVIEWGUARD_GRPC_TLS_CA_FILE"].startswith("/etc/reviewguard/grpc-tls/"), name
        assert {"name": "grpc-tls", "mountPath": "/etc/reviewguard/grpc-tls", "readOnly": True} in spec["containers"][0]["volumeMounts"]
        assert any(v.get("secret", {}).get("secretName") == "reviewguard-grpc-tls" for v in spec["volumes"]), name
    gateway = deployments["gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert gateway["readinessProbe"]["httpGet"]["path"] in health_routes
    # /readyz fails when the database or a backend does: it must not be what restarts gateways;
    # /livez checks only that the process answers.
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/livez"


def test_production_has_cpu_limits_and_requests_within_limits(production):
    def cpu(v: str) -> float:
        return float(v[:-1]) / 1000 if v.endswith("m") else float(v)

    def mem(v: str) -> float:
        units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
        return float(v[:-2]) * units[v[-2:]]

    for name, d in of_kind(production, "Deployment").items():
        res = d["spec"]["template"]["spec"]["containers"][0]["resources"]
        assert cpu(res["requests"]["cpu"]) <= cpu(res["limits"]["cpu"]), name
        assert mem(res["requests"]["memory"]) <= mem(res["limits"]["memory"]), name


def test_every_overlay_sizes_memory_from_the_measured_peak_rss(rendered):
    """Requests at least 1.5x and limits at least 3x each service's peak RSS in the capacity bench,
    so a re-run that finds a service grew fails here until the manifests follow."""
    measured = json.loads((ROOT / "bench" / "results" / "capacity.json").read_text())["burst"]["per_process"]
    units = {"Mi": 2**20, "Gi": 2**30}
    for overlay, objects in rendered.items():
        for name in PORTS:
            resources = of_kind(objects, "Deployment")[name]["spec"]["template"]["spec"]["containers"][0]["resources"]
            request, limit = (float(v[:-2]) * units[v[-2:]] / 2**20 for v in (resources["requests"]["memory"], resources["limits"]["memory"]))
            peak = measured[name]["peak_rss_mib"]
            assert request >= 1.5 * peak and limit >= 3 * peak, (overlay, name, request, limit, peak)
            assert "cpu" in resources["limits"], (overlay, name)


def _selects(policy: dict, labels: dict) -> bool:
    selector = policy["spec"]["podSelector"]
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def test_network_policies_default_deny_and_cover_every_backend(production):
    policies = list(of_kind(production, "NetworkPolicy").values())
    deny = [p for p in policies if p["spec"]["podSelector"] == {}
            and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} and not p["spec"]["ingress"] and not p["spec"]["egress"]]
    assert deny, "no default-deny policy"
    for name in (*BACKENDS, "gateway"):
        labels = of_kind(production, "Deployment")[name]["spec"]["template"]["metadata"]["labels"]
        own = [p for p in policies if p["spec"]["podSelector"] != {} and _selects(p, labels)]
        assert own, f"{name} has no NetworkPolicy of its own"
        ingress = [rule for p in own for rule in p["spec"].get("ingress", [])]
        if name == "gateway":
            # The only pod reachable from outside: a rule with no `from` admits every source.
            assert any("from" not in rule for rule in ingress)
        else:
            for rule in ingress:
                assert "from" in rule, f"{name} is open to every source"
            grpc_sources = [r["from"] for r in ingress if {"protocol": "TCP", "port": PORTS[name]} in r["ports"]]
            assert grpc_sources == [[{"podSelector": {"matchLabels": {"app": "reviewguard", "component": "gateway"}}}]], name
    open_to_all = [p["metadata"]["name"] for p in policies for r in p["spec"].get("ingress", []) if "from" not in r]
    assert open_to_all == ["gateway"]


def test_internet_egress_only_for_services_that_call_out(production):
    callers = set()
    for policy in of_kind(production, "NetworkPolicy").values():
        for rule in policy["spec"].get("egress", []):
            if any(peer.get("ipBlock", {}).get("cidr") == "0.0.0.0/0" for peer in rule.get("to", [])):
                callers.add(policy["metadata"]["name"])
                if policy["metadata"]["name"] in (*BACKENDS, "gateway"):
                    assert rule["ports"] == [{"protocol": "TCP", "port": 443}]
    assert callers & {*BACKENDS, "gateway"} == {"alerting", "ingest", "nlp"}


def test_services_dial_the_rw_pooler_and_take_credentials_from_secrets(production):
    poolers = of_kind(production, "Pooler")
    assert poolers["reviewguard-pg-pooler-rw"]["spec"]["type"] == "rw"
    assert any(p["spec"]["type"] == "ro" for p in poolers.values())
    for name, d in of_kind(production, "Deployment").items():
        if name not in PORTS:
            continue
        env = {e["name"]: e for e in d["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert "@reviewguard-pg-pooler-rw:5432/" in env["DATABASE_URL"]["value"], name
        assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "reviewguard-pg-app", name


SECRET_WORDS = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEY|DATABASE_URL|PRIVATE)", re.I)
SECRET_VALUES = re.compile(r"(://[^/\s:@]+:[^@\s$]+@|-----BEGIN|AKIA[0-9A-Z]{16})")


@pytest.mark.parametrize("overlay", [p.name for p in OVERLAYS])
def test_no_secret_values_in_configmaps_or_plain_env(rendered, overlay):
    objects = rendered[overlay]
    assert not of_kind(objects, "Secret"), "Secrets are made by the operator, never committed"
    for name, cm in of_kind(objects, "ConfigMap").items():
        for key, value in cm.get("data", {}).items():
            assert not SECRET_WORDS.search(key), f"{name}.{key}"
            assert not SECRET_VALUES.search(value), f"{name}.{key}"
    for obj in objects:
        spec = obj.get("spec", {}).get("template", {}).get("spec", {})
        for container in spec.get("containers", []):
            for env in container.get("env", []):
                if "value" in env:
                    assert not SECRET_VALUES.search(env["value"]), f"{obj['metadata']['name']}: {env['name']}"
                    if SECRET_WORDS.search(env["name"]) and env["name"] != "DATABASE_URL":
                        pytest.fail(f"{obj['metadata']['name']}: {env['name']} has a literal value")


def test_nats_is_a_three_node_jetstream_cluster_with_routes(production):
    nats = of_kind(production, "StatefulSet")["nats"]
    assert nats["spec"]["replicas"] == 3
    headless = of_kind(production, "Service")[nats["spec"]["serviceName"]]
    assert headless["spec"]["clusterIP"] == "None"
    conf = of_kind(production, "ConfigMap")["nats-config"]["data"]["nats.conf"]
    routes = re.findall(r"nats://(nats-\d)\.([\w-]+):6222", conf)
    assert routes == [(f"nats-{i}", headless["metadata"]["name"]) for i in range(3)]
    assert '"store_dir": "/data"' in conf
    template = nats["spec"]["volumeClaimTemplates"][0]
    mounts = {m["name"]: m["mountPath"] for m in nats["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
    assert mounts[template["metadata"]["name"]] == "/data"


def test_postgres_cluster_has_three_instances_and_scheduled_backups(production):
    cluster = of_kind(production, "Cluster")["reviewguard-pg"]
    assert cluster["spec"]["instances"] == 3
    store = cluster["spec"]["backup"]["barmanObjectStore"]
    assert store["s3Credentials"]["secretAccessKey"]["name"] == "reviewguard-pg-backup"
    backups = of_kind(production, "ScheduledBackup")
    assert [b["spec"]["cluster"]["name"] for b in backups.values()] == ["reviewguard-pg"]


def test_consumers_scale_on_their_jetstream_lag(production):
    scaled = of_kind(production, "ScaledObject")
    assert set(scaled) == {"nlp", "alerting", "resolution"}
    for name, obj in scaled.items():
        assert obj["spec"]["scaleTargetRef"]["name"] == name
        triggers = obj["spec"]["triggers"]
        assert triggers and all(t["type"] == "nats-jetstream" for t in triggers)
        assert any(t["metadata"]["consumer"] == name for t in triggers)
    hpa = of_kind(production, "HorizontalPodAutoscaler")["gateway"]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    # Every service has a disruption budget.
    budgets = {b["spec"]["selector"]["matchLabels"].get("component") for b in of_kind(production, "PodDisruptionBudget").values()}
    assert set(PORTS) <= budgets


def test_migration_job_runs_every_services_migrations(production):
    jobs = of_kind(production, "Job")
    assert len(jobs) == 1
    script = next(iter(jobs.values()))["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    for service in (*BACKENDS, "gateway"):
        assert f'"{service}"' in script
        assert (ROOT / "services" / service / "migrations").is_dir()


METRICS_PORTS = {"ingest": 9101, "nlp": 9102, "alerting": 9103, "resolution": 9104}


def test_every_service_is_scraped_on_its_metrics_port(production):
    monitors = of_kind(production, "ServiceMonitor")
    services = of_kind(production, "Service")
    config = of_kind(production, "ConfigMap")["reviewguard-peers"]["data"]
    for name, port in METRICS_PORTS.items():
        assert monitors[name]["spec"]["endpoints"][0]["port"] == "metrics"
        assert {"name": "metrics", "port": port, "targetPort": port} in services[name]["spec"]["ports"]
        container = of_kind(production, "Deployment")[name]["spec"]["template"]["spec"]["containers"][0]
        assert {"name": "metrics", "containerPort": port} in container["ports"]
        assert config[f"REVIEWGUARD_{name.upper()}_METRICS_PORT"] == str(port)
        # Prometheus (namespace monitoring) may reach the port through the default deny.
        policy = of_kind(production, "NetworkPolicy")[name]["spec"]["ingress"]
        assert any({"protocol": "TCP", "port": port} in rule["ports"] for rule in policy if "monitoring" in str(rule.get("from")))
    gateway = monitors["gateway"]["spec"]["endpoints"][0]
    assert gateway["port"] == "http" and gateway["path"] == "/metrics"
    assert check_monitoring(production) == []


def test_alerting_rules_page_on_dlq_growth_consumer_lag_and_delivery_failures(production):
    rules = {r["alert"]: r for g in of_kind(production, "PrometheusRule")["reviewguard"]["spec"]["groups"] for r in g["rules"]}
    assert "reviewguard_dlq_messages" in rules["ReviewGuardDeadLettersGrowing"]["expr"]
    assert "max by (durable) (reviewguard_consumer_pending_messages" in rules["ReviewGuardConsumerLag"]["expr"]
    assert 'outcome="failed"' in rules["ReviewGuardDeliveryFailures"]["expr"]
    assert "reviewguard_outbox_backlog" in rules["ReviewGuardOutboxBacklog"]["expr"]
    assert all(r["labels"]["severity"] in {"warning", "critical"} for r in rules.values())


def test_traces_go_to_the_collector_over_otlp(production):
    config = of_kind(production, "ConfigMap")["reviewguard-config"]["data"]
    assert config["REVIEWGUARD_TRACE_EXPORTER"] == "otlp"
    assert config["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4317"
    assert {"name": "otlp-grpc", "port": 4317, "targetPort": 4317} in of_kind(production, "Service")["otel-collector"]["spec"]["ports"]


def test_the_dashboard_draws_exported_metrics_and_the_check_catches_one_that_is_not(tmp_path, production):
    assert check_dashboards() == []
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "reviewguard.json").read_text())
    drawn = " ".join(t["expr"] for p in dashboard["panels"] for t in p.get("targets", []))
    for metric in ("reviewguard_consumer_pending_messages", "reviewguard_dlq_messages", "reviewguard_outbox_backlog",
                   "reviewguard_nlp_reviews_analyzed_total", "reviewguard_alert_deliveries_total", "reviewguard_http_requests_total",
                   "reviewguard_grpc_server_requests_total"):
        assert metric in drawn, metric
    dashboard["panels"][1]["targets"][0]["expr"] = "rate(reviewguard_reviews_teleported_total[5m])"
    (tmp_path / "broken.json").write_text(json.dumps(dashboard))
    assert any("reviewguard_reviews_teleported_total" in p for p in check_dashboards(tmp_path))
    broken = copy.deepcopy(production)
    rule_set = next(o for o in broken if o["kind"] == "PrometheusRule")
    rule_set["spec"]["groups"][0]["rules"][0]["expr"] = "reviewguard_nothing_here > 0"
    next(o for o in broken if o["kind"] == "ServiceMonitor" and o["metadata"]["name"] == "nlp")["spec"]["endpoints"][0]["port"] = "metricz"
    problems = check_monitoring(broken)
    assert any("reviewguard_nothing_here" in p for p in problems) and any("metricz" in p for p in problems), problems


def test_staging_keeps_embedded_infra(rendered):
    staging = rendered["staging"]
    assert {"postgres", "nats"} <= set(of_kind(staging, "StatefulSet"))
    assert not of_kind(staging, "Cluster")
    assert {o["metadata"].get("namespace") for o in staging if o["kind"] != "Namespace"} == {"reviewguard-staging"}


def test_images_are_pinned_per_overlay(rendered):
    for overlay, objects in rendered.items():
        for d in of_kind(objects, "Deployment").values():
            for c in d["spec"]["template"]["spec"]["containers"]:
                assert not c["image"].endswith(":latest") and ":" in c["image"], (overlay, c["image"])


# The validator must refuse what the API server would.

def _broken(production, kind: str, mutate) -> list[str]:
    objects = copy.deepcopy(production)
    mutate(next(o for o in objects if o["kind"] == kind))
    return validate_objects(objects)


@pytest.mark.parametrize(
    ("kind", "mutate", "expected"),
    [
        ("Deployment", lambda o: o["spec"]["template"]["spec"]["containers"][0].update(readinessProb={}), "readinessProb"),
        ("Deployment", lambda o: o["spec"].update(replicas="two"), "replicas"),
        ("NetworkPolicy", lambda o: o["spec"].update(podSelectr={}), "podSelectr"),
        ("StatefulSet", lambda o: o["spec"].pop("selector"), "selector"),
        ("Cluster", lambda o: o["spec"].update(instancez=3), "instancez"),
        ("Pooler", lambda o: o["spec"].update(type="primary"), "primary"),
        ("ScaledObject", lambda o: o["spec"].update(minReplicaCount="two"), "minReplicaCount"),
        ("ServiceMonitor", lambda o: o["spec"]["endpoints"][0].update(intervall="30s"), "intervall"),
        ("PrometheusRule", lambda o: o["spec"]["groups"][0].pop("name"), "name"),
        ("ScheduledBackup", lambda o: o["spec"].pop("schedule"), "schedule"),
    ],
)
def test_validator_refuses_a_broken_manifest(production, kind, mutate, expected):
    problems = _broken(production, kind, mutate)
    assert problems and any(expected in p for p in problems), problems


def test_unknown_kind_is_an_error_not_a_pass():
    problems = validate_objects([{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}])
    assert problems and "no schema" in problems[0]


def test_check_fails_on_a_broken_overlay_copy(tmp_path):
    overlay = tmp_path / "k8s" / "overlays" / "broken"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text(
        f"resources:\n  - {ROOT / 'deploy/k8s/base'}\npatches:\n  - path: bad.yaml\n", encoding="utf-8"
    )
    (overlay / "bad.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: nlp}\nspec:\n  template:\n    spec:\n"
        "      containers: [{name: nlp, imagePullPolicyy: Always}]\n",
        encoding="utf-8",
    )
    result = subprocess.run([sys.executable, str(ROOT / "deploy" / "check.py"), str(overlay)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "imagePullPolicyy" in result.stdout


def test_renderer_refuses_kustomize_features_it_does_not_implement(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: []\nsecretGenerator: [{name: x}]\n", encoding="utf-8")
    with pytest.raises(RenderError, match="secretGenerator"):
        render(tmp_path)


@pytest.mark.parametrize(
    ("generator", "expected"),
    [
        ("{name: x, files: [a.json]}", "disableNameSuffixHash"),  # kustomize would append its hash
        ("{name: x, literals: [a=b], options: {disableNameSuffixHash: true}}", "only name, files and options"),
        ("{name: x, files: [../outside.json], options: {disableNameSuffixHash: true}}", "not in or below"),
    ],
)
def test_renderer_generates_config_maps_only_as_kustomize_would_name_and_load_them(tmp_path, generator, expected):
    (tmp_path / "outside.json").write_text("{}", encoding="utf-8")
    (tmp_path / "k").mkdir()
    (tmp_path / "k" / "a.json").write_text("{}", encoding="utf-8")
    (tmp_path / "k" / "kustomization.yaml").write_text(f"configMapGenerator: [{generator}]\n", encoding="utf-8")
    with pytest.raises(RenderError, match=expected):
        render(tmp_path / "k")


def test_production_ships_the_dashboard_to_grafanas_sidecar_and_it_reads_only_exported_metrics(production):
    shipped = [o for o in production if o["kind"] == "ConfigMap" and o["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    assert [o["metadata"]["name"] for o in shipped] == ["reviewguard-dashboard"]
    config = shipped[0]
    assert config["metadata"]["namespace"] == "reviewguard"
    source = (ROOT / "deploy" / "grafana" / "reviewguard.json").read_text(encoding="utf-8")
    assert config["data"] == {"reviewguard.json": source}
    dashboard = json.loads(config["data"]["reviewguard.json"])
    queried = {m for p in dashboard["panels"] for t in p.get("targets", []) for m in re.findall(r"\b(reviewguard_[a-z0-9_]+)", t["expr"])}
    bases = {re.sub(r"_(bucket|sum|count)$", "", m) if m not in exported_metrics() else m for m in queried}
    assert len(bases) >= 10 and bases <= exported_metrics(), sorted(bases - exported_metrics())
    assert check_shipped_dashboards(production) == []
    # The check reads what the cluster gets, not only the file: a ConfigMap drawing a metric no
    # service exports, or labelled a dashboard with nothing in it, is reported.
    broken = copy.deepcopy(production)
    target = next(o for o in broken if o["metadata"]["name"] == "reviewguard-dashboard")
    target["data"]["reviewguard.json"] = source.replace("reviewguard_dlq_messages", "reviewguard_dlq_mesages")
    empty = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "blank", "labels": {"grafana_dashboard": "1"}}, "data": {}}
    problems = check_shipped_dashboards([*broken, empty])
    assert any("reviewguard_dlq_mesages" in p and "ConfigMap/reviewguard-dashboard" in p for p in problems), problems
    assert any("ConfigMap/blank" in p for p in problems), problems


def test_production_keeps_every_stream_on_all_three_nats_nodes(rendered, monkeypatch):
    from libs.settings import Settings

    production = of_kind(rendered["production"], "ConfigMap")["reviewguard-config"]["data"]
    assert production["REVIEWGUARD_BUS_STREAM_REPLICAS"] == str(of_kind(rendered["production"], "StatefulSet")["nats"]["spec"]["replicas"])
    monkeypatch.setenv("REVIEWGUARD_BUS_STREAM_REPLICAS", production["REVIEWGUARD_BUS_STREAM_REPLICAS"])
    assert Settings().bus_stream_replicas == 3
    # Staging's single nats-server cannot hold three copies: it keeps the default of one.
    assert "REVIEWGUARD_BUS_STREAM_REPLICAS" not in of_kind(rendered["staging"], "ConfigMap")["reviewguard-config"]["data"]


def test_strategic_merge_merges_containers_and_env_by_name(production):
    ingest = of_kind(production, "Deployment")["ingest"]["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in ingest] == ["ingest"]
    container = ingest[0]
    # From the base: command, envFrom, securityContext; from the patch: env, resources.
    assert container["command"] == ["python", "-m", "services.ingest"]
    assert {"configMapRef": {"name": "reviewguard-peers"}} in container["envFrom"]
    assert [p["containerPort"] for p in container["ports"]] == [50051, 9101]
    assert all(o.get("metadata", {}).get("namespace") == "reviewguard" for o in production if o["kind"] != "Namespace")


def test_rendered_yaml_round_trips(production):
    assert yaml.safe_load_all(yaml.safe_dump_all(production))


def test_production_pods_meet_the_restricted_pod_security_level(production):
    """The namespace enforces `restricted`: a pod that breaks it would be refused at admission."""
    namespace = of_kind(production, "Namespace")["reviewguard"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    templates = [(o["metadata"]["name"], o["spec"]["template"]["spec"]) for o in production
                 if o["kind"] in ("Deployment", "StatefulSet", "Job")]
    assert len(templates) >= 8
    for name, pod in templates:
        pod_sc = pod.get("securityContext", {})
        for c in pod["containers"]:
            sc = c.get("securityContext", {})
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, name
            assert sc.get("seccompProfile", pod_sc.get("seccompProfile")) == {"type": "RuntimeDefault"}, name
            assert sc.get("allowPrivilegeEscalation") is False, name
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], name
