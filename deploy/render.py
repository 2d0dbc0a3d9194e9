"""Renders a kustomization with the subset of kustomize this repository uses, in plain Python.

    python deploy/render.py deploy/k8s/overlays/production > production.yaml

Supported: `resources` (files and directories), `components`, `patches` (strategic-merge files,
matched to their object by apiVersion, kind, name), `images`, `namespace`, `labels` (without
selectors), `configMapGenerator` from `files` with `options.disableNameSuffixHash: true` (and
`options.labels` / `options.annotations`). Any other key is refused, so a kustomization that needs more fails loudly here instead
of rendering something kustomize would render differently. Why not kustomize itself: see
deploy/README.md ("Rendering").
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "components", "patches", "images", "namespace", "labels", "configMapGenerator"}

# Lists strategic merge patches merge item by item, by this key (as the Kubernetes API declares
# them); every other list is replaced whole, as kustomize does for lists without a merge key.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "volumeClaimTemplates": None,  # replaced whole
}

CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass",
    "StorageClass", "ClusterTriggerAuthentication", "PersistentVolume",
}

POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


class RenderError(Exception):
    pass


def _load_docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _kustomization(directory: Path) -> dict:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        if (directory / name).is_file():
            data = yaml.safe_load((directory / name).read_text(encoding="utf-8")) or {}
            unknown = set(data) - SUPPORTED
            if unknown:
                raise RenderError(f"{directory / name}: unsupported kustomize fields {sorted(unknown)}")
            return data
    raise RenderError(f"{directory}: no kustomization.yaml")


def _key(obj: dict) -> tuple:
    group = obj.get("apiVersion", "").rpartition("/")[0]
    return (group, obj.get("kind"), obj.get("metadata", {}).get("name"))


def _without_nulls(value):
    """A patch value for a key the base lacks: its `key: null` deletions have nothing to delete."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return copy.deepcopy(value)


def _merge(base, patch, field: str = ""):
    """A strategic merge of `patch` into `base` (new objects; neither input is changed)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        if patch.get("$patch") == "replace":
            return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
        out = copy.deepcopy(base)
        for k, v in patch.items():
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = _merge(out[k], v, k)
            else:
                out[k] = _without_nulls(v)
        return out
    if isinstance(base, list) and isinstance(patch, list):
        key = MERGE_KEYS.get(field)
        if field == "ports":
            key = "containerPort" if all("containerPort" in p for p in base + patch) else "port"
        if key is None or not all(isinstance(i, dict) and key in i for i in base + patch):
            return copy.deepcopy(patch)
        out = copy.deepcopy(base)
        for item in patch:
            match = next((i for i, existing in enumerate(out) if existing[key] == item[key]), None)
            if item.get("$patch") == "delete":
                if match is not None:
                    out.pop(match)
            elif match is None:
                out.append(copy.deepcopy(item))
            else:
                out[match] = _merge(out[match], item, field)
        return out
    return copy.deepcopy(patch)


def _apply_patches(objects: list[dict], directory: Path, patches: list) -> list[dict]:
    for entry in patches:
        if not isinstance(entry, dict) or set(entry) != {"path"}:
            raise RenderError(f"{directory}: only `patches: [{{path: file}}]` strategic-merge patches are supported, got {entry!r}")
        for patch in _load_docs(directory / entry["path"]):
            index = next((i for i, o in enumerate(objects) if _key(o) == _key(patch)), None)
            if index is None:
                raise RenderError(f"{directory / entry['path']}: patch target {_key(patch)} not found")
            objects[index] = _merge(objects[index], patch)
    return objects


def _pod_specs(obj: dict):
    if obj.get("kind") in POD_TEMPLATE_KINDS:
        yield obj["spec"]["template"]["spec"]
    elif obj.get("kind") == "CronJob":
        yield obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def _apply_images(objects: list[dict], images: list[dict]) -> None:
    for obj in objects:
        for spec in _pod_specs(obj):
            for container in spec.get("containers", []) + spec.get("initContainers", []):
                name = container["image"].split("@")[0]
                name = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
                for image in images:
                    if image["name"] == name:
                        container["image"] = f"{image.get('newName', name)}:{image.get('newTag', 'latest')}"
                        if "digest" in image:
                            container["image"] = f"{image.get('newName', name)}@{image['digest']}"


def _generate_config_maps(directory: Path, generators: list) -> list[dict]:
    """ConfigMaps from files, as kustomize's configMapGenerator makes them.

    Only with `disableNameSuffixHash: true`: kustomize's name hash is not reimplemented here, and a
    generator without it would be named differently by kustomize than by this renderer. Files are
    read from the kustomization's own directory or below it, kustomize's load restriction.
    """
    objects = []
    for entry in generators:
        unknown = set(entry) - {"name", "files", "options"}
        options = entry.get("options", {})
        if unknown or set(options) - {"disableNameSuffixHash", "labels", "annotations"}:
            raise RenderError(f"{directory}: configMapGenerator {entry.get('name')!r}: only name, files and options "
                              "(disableNameSuffixHash, labels, annotations) are supported")
        if options.get("disableNameSuffixHash") is not True:
            raise RenderError(f"{directory}: configMapGenerator {entry.get('name')!r}: set options.disableNameSuffixHash: true "
                              "(the renderer does not compute kustomize's name hash)")
        data = {}
        for item in entry.get("files", []):
            key, _, ref = item.rpartition("=") if "=" in item else ("", "", item)
            path = (directory / ref).resolve()
            if not path.is_relative_to(directory.resolve()):
                raise RenderError(f"{directory}: configMapGenerator file {ref} is not in or below the kustomization")
            data[key or path.name] = path.read_text(encoding="utf-8")
        metadata = {"name": entry["name"]}
        if options.get("labels"):
            metadata["labels"] = dict(options["labels"])
        if options.get("annotations"):
            metadata["annotations"] = dict(options["annotations"])
        objects.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data})
    return objects


def _build(directory: Path, objects: list[dict] | None = None, *, component: bool = False) -> list[dict]:
    data = _kustomization(directory)
    expected = "Component" if component else "Kustomization"
    if data.get("kind", "Kustomization") != expected:
        raise RenderError(f"{directory}: expected kind {expected}, got {data.get('kind')}")
    objects = list(objects or [])
    for ref in data.get("resources", []):
        path = (directory / ref).resolve()
        objects.extend(_build(path) if path.is_dir() else _load_docs(path))
    objects.extend(_generate_config_maps(directory, data.get("configMapGenerator", [])))
    for ref in data.get("components", []):
        objects = _build((directory / ref).resolve(), objects, component=True)
    seen = set()
    for obj in objects:
        if _key(obj) in seen:
            raise RenderError(f"{directory}: {_key(obj)} is defined twice")
        seen.add(_key(obj))
    objects = _apply_patches(objects, directory, data.get("patches", []))
    _apply_images(objects, data.get("images", []))
    for label in data.get("labels", []):
        if label.get("includeSelectors"):
            raise RenderError(f"{directory}: labels with includeSelectors are not supported")
        for obj in objects:
            obj.setdefault("metadata", {}).setdefault("labels", {}).update(label["pairs"])
    if "namespace" in data:
        for obj in objects:
            if obj.get("kind") not in CLUSTER_SCOPED:
                obj.setdefault("metadata", {})["namespace"] = data["namespace"]
    return objects


def render(directory: str | Path) -> list[dict]:
    """Every object of the kustomization in `directory`, in kustomize's resource order."""
    return _build(Path(directory).resolve())


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        objects = render(argv[0])
    except RenderError as error:
        print(f"render: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(yaml.safe_dump_all(objects, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
