"""`make deploy-check`: renders every overlay and validates every object it holds.

Built-in kinds are checked against the Kubernetes OpenAPI schemas that the pinned
`kubernetes-validate` package ships (strict: unknown fields are errors, as `kubectl apply`'s
server-side strict field validation makes them). Custom resources (CloudNativePG, KEDA, Prometheus
Operator) are checked against the CRD schemas kept in deploy/schemas/, made strict the same way.
A kind with no schema at all is an error, never a silent pass.

Then the monitoring is checked against the code: every ServiceMonitor finds a Service port to
scrape, and every `reviewguard_*` metric that an alerting rule or the Grafana dashboard reads
(deploy/grafana/*.json, and the dashboard ConfigMaps an overlay ships to Grafana's sidecar) is one
the services export (a name defined under libs/ or services/).

    python deploy/check.py [OVERLAY_DIR ...]     (default: every deploy/k8s/overlays/*)
"""

from __future__ import annotations

import json
import re
import sys
from functools import lru_cache
from pathlib import Path

import jsonschema
import kubernetes_validate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from render import RenderError, render  # noqa: E402

ROOT = Path(__file__).resolve().parent
SCHEMAS = ROOT / "schemas"
OVERLAYS = ROOT / "k8s" / "overlays"
DASHBOARDS = ROOT / "grafana"
CODE = (ROOT.parent / "libs", ROOT.parent / "services")
_METRIC = re.compile(r"\b(reviewguard_[a-z0-9_]+)")
_HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count", "_created")
# The oldest Kubernetes minor the overlays are written for (native gRPC probes are GA since 1.27).
KUBERNETES_VERSION = "1.33"


def _strict(node):
    """Unknown fields are refused where a CRD schema lists its fields and does not keep the rest."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if (
            node.get("type") == "object"
            and "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@lru_cache(maxsize=None)
def crd_validator(api_version: str, kind: str):
    group, _, version = api_version.rpartition("/")
    path = SCHEMAS / f"{group}_{kind.lower()}_{version}.json"
    if not path.is_file():
        return None
    schema = _strict(json.loads(path.read_text(encoding="utf-8")))
    # metadata is typed `object` only in CRD schemas; the API server checks it as ObjectMeta.
    schema.setdefault("properties", {})["metadata"] = {"type": "object"}
    return jsonschema.Draft7Validator(schema)


def validate_object(obj: dict) -> list[str]:
    """The problems of one object, each as 'Kind/name: where: what'."""
    name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    validator = crd_validator(obj.get("apiVersion", ""), obj.get("kind", ""))
    if validator is not None:
        return [
            f"{name}: {'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
        ]
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{name}: no schema for {obj.get('apiVersion')} {obj.get('kind')} (add its CRD schema to deploy/schemas/)"]
    except kubernetes_validate.ValidationError as e:
        return [f"{name}: {'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"]
    return []


def validate_objects(objects: list[dict]) -> list[str]:
    return [problem for obj in objects for problem in validate_object(obj)]


@lru_cache(maxsize=None)
def exported_metrics() -> frozenset[str]:
    """Every metric name the code defines: a `"reviewguard_..."` string in libs/ or services/."""
    names = set()
    for folder in CODE:
        for path in folder.rglob("*.py"):
            names.update(re.findall(r"[\"'](reviewguard_[a-z0-9_]+)[\"']", path.read_text(encoding="utf-8")))
    return frozenset(names)


def _unknown_metrics(expr: str) -> list[str]:
    known = exported_metrics()
    unknown = []
    for name in _METRIC.findall(expr):
        base = next((name[: -len(s)] for s in _HISTOGRAM_SUFFIXES if name.endswith(s) and name[: -len(s)] in known), name)
        if base not in known:
            unknown.append(name)
    return unknown


def check_monitoring(objects: list[dict]) -> list[str]:
    """ServiceMonitors that scrape nothing, rules that read a metric no service exports."""
    problems = []
    services = [o for o in objects if o.get("kind") == "Service"]
    for monitor in (o for o in objects if o.get("kind") == "ServiceMonitor"):
        name = f"ServiceMonitor/{monitor['metadata']['name']}"
        wanted = monitor["spec"]["selector"].get("matchLabels", {})
        matched = [s for s in services if wanted.items() <= s["metadata"].get("labels", {}).items()]
        if not matched:
            problems.append(f"{name}: no Service has the labels {wanted}")
        for endpoint in monitor["spec"].get("endpoints", []):
            if matched and not any(endpoint.get("port") in {p.get("name") for p in s["spec"]["ports"]} for s in matched):
                problems.append(f"{name}: no port named {endpoint.get('port')!r} on {[s['metadata']['name'] for s in matched]}")
    for rule_set in (o for o in objects if o.get("kind") == "PrometheusRule"):
        for group in rule_set["spec"]["groups"]:
            for rule in group["rules"]:
                for metric in _unknown_metrics(str(rule.get("expr", ""))):
                    problems.append(f"PrometheusRule/{rule_set['metadata']['name']}: {rule.get('alert') or rule.get('record')}: "
                                    f"no service exports {metric}")
    return problems


def dashboard_problems(name: str, text: str) -> list[str]:
    """One dashboard's problems: it parses, every panel has a query, every query reads exported metrics."""
    try:
        dashboard = json.loads(text)
    except ValueError as error:
        return [f"{name}: not JSON: {error}"]
    problems = []
    panels = [p for p in dashboard.get("panels", []) if p.get("type") != "row"]
    if not panels:
        problems.append(f"{name}: no panels")
    ids = [p.get("id") for p in dashboard.get("panels", [])]
    if len(ids) != len(set(ids)):
        problems.append(f"{name}: panel ids repeat")
    for panel in panels:
        targets = panel.get("targets") or []
        if not targets or not all(t.get("expr") for t in targets):
            problems.append(f"{name}: panel {panel.get('title')!r} has no query")
        for target in targets:
            for metric in _unknown_metrics(target.get("expr", "")):
                problems.append(f"{name}: panel {panel.get('title')!r}: no service exports {metric}")
    return problems


def check_dashboards(folder: Path = DASHBOARDS) -> list[str]:
    """The dashboard files (deploy/grafana/*.json), each as `dashboard_problems` judges it."""
    return [problem for path in sorted(folder.glob("*.json")) for problem in dashboard_problems(path.name, path.read_text(encoding="utf-8"))]


def check_shipped_dashboards(objects: list[dict]) -> list[str]:
    """Dashboards an overlay ships to Grafana's sidecar (ConfigMaps labelled grafana_dashboard: "1"),
    judged as the files are: what Grafana loads in the cluster must read exported metrics too."""
    problems = []
    for config in (o for o in objects if o.get("kind") == "ConfigMap"):
        if config["metadata"].get("labels", {}).get("grafana_dashboard") != "1":
            continue
        if not config.get("data"):
            problems.append(f"ConfigMap/{config['metadata']['name']}: labelled a dashboard, holds none")
        for key, text in (config.get("data") or {}).items():
            problems += dashboard_problems(f"ConfigMap/{config['metadata']['name']}: {key}", text)
    return problems


def main(argv: list[str]) -> int:
    overlays = [Path(a) for a in argv] or sorted(p for p in OVERLAYS.iterdir() if p.is_dir())
    failed = False
    for overlay in overlays:
        try:
            objects = render(overlay)
        except (RenderError, OSError, ValueError) as error:
            print(f"FAIL {overlay}: cannot render: {error}")
            failed = True
            continue
        problems = validate_objects(objects) + check_monitoring(objects) + check_shipped_dashboards(objects)
        print(f"{'FAIL' if problems else 'ok  '} {overlay}: {len(objects)} objects, {len(problems)} problems")
        for problem in problems:
            print(f"     {problem}")
        failed = failed or bool(problems)
    if not argv:
        problems = check_dashboards()
        print(f"{'FAIL' if problems else 'ok  '} {DASHBOARDS}: {len(list(DASHBOARDS.glob('*.json')))} dashboards, {len(problems)} problems")
        for problem in problems:
            print(f"     {problem}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
