"""`make deploy-check`: renders every overlay and validates every object it holds.

Built-in kinds are checked against the Kubernetes OpenAPI schemas that the pinned
`kubernetes-validate` package ships (strict: unknown fields are errors, as `kubectl apply`'s
server-side strict field validation makes them). Custom resources (CloudNativePG, KEDA, Prometheus
Operator) are checked against the CRD schemas kept in deploy/schemas/, made strict the same way.
A kind with no schema at all is an error, never a silent pass.

    python deploy/check.py [OVERLAY_DIR ...]     (default: every deploy/k8s/overlays/*)
"""

from __future__ import annotations

import json
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
        problems = validate_objects(objects)
        print(f"{'FAIL' if problems else 'ok  '} {overlay}: {len(objects)} objects, {len(problems)} problems")
        for problem in problems:
            print(f"     {problem}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
