"""Rebuilds deploy/schemas/*.json from the published CRD manifests of CloudNativePG, KEDA and the
Prometheus Operator: keeps each served version's openAPIV3Schema only, without `description`s.

    python deploy/schemas/extract.py CRD.yaml [CRD.yaml ...]

Writes <group>_<kind>_<version>.json beside this file (kind in lower case). See README.md here
for the upstream versions the committed files were taken from.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


def strip_descriptions(node):
    """Drops the prose of a schema node; a *property* called "description" (a dict) is kept."""
    if isinstance(node, dict):
        return {k: strip_descriptions(v) for k, v in node.items() if not (k == "description" and isinstance(v, str))}
    if isinstance(node, list):
        return [strip_descriptions(v) for v in node]
    return node


def extract(path: Path) -> list[Path]:
    written = []
    for crd in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd["spec"]
        for version in spec["versions"]:
            if not version.get("served", True):
                continue
            schema = strip_descriptions(version["schema"]["openAPIV3Schema"])
            out = HERE / f"{spec['group']}_{spec['names']['kind'].lower()}_{version['name']}.json"
            out.write_text(json.dumps(schema, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
            written.append(out)
    return written


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        for out in extract(Path(arg)):
            print(out.relative_to(HERE.parent.parent))
