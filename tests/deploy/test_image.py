"""The image's rules (issue 19, "Must hold"), read from deploy/Dockerfile and .dockerignore, since
CI has no Docker daemon to build it: one Dockerfile, a non-root user, no build tools in the final
image, the files the services read at run time inside it, no HEALTHCHECK, and every installed
version taken from requirements.lock."""

from __future__ import annotations

import importlib
import re
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
# What the test and build tooling pins in the lock; none of it may reach the image.
DEV_ONLY = ("pytest", "playwright", "schemathesis", "torch", "transformers", "grpcio-tools", "kubernetes-validate", "aiosmtpd")


@dataclass
class Instruction:
    keyword: str
    args: str
    stage: int


def parse(text: str) -> tuple[dict[str, str], list[Instruction]]:
    """The Dockerfile's global ARG defaults and its instructions (continuations joined, comments
    dropped), each with the index of its stage (-1 before the first FROM)."""
    logical, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    args, out, stage = {}, [], -1
    for line in logical:
        keyword, _, rest = line.strip().partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        if keyword == "ARG" and stage == -1:
            name, _, default = rest.strip().partition("=")
            args[name] = default
        out.append(Instruction(keyword, rest.strip(), stage))
    return args, out


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    count = max(i.stage for i in instructions) + 1
    return [[i for i in instructions if i.stage == n] for n in range(count)]


def dockerignore_excludes(path: str, rules: list[str]) -> bool:
    """Whether Docker leaves `path` (relative to the context) out: the last rule matching the path
    or a folder above it decides; `*` and `?` stay within a path segment, `**` spans segments."""

    def regex(pattern: str) -> re.Pattern:
        out, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**", i):
                out, i = out + ".*", i + 2
                if pattern.startswith("/", i):
                    out, i = out[:-2] + "(?:.*/)?", i + 1
            elif pattern[i] == "*":
                out, i = out + "[^/]*", i + 1
            elif pattern[i] == "?":
                out, i = out + "[^/]", i + 1
            else:
                out, i = out + re.escape(pattern[i]), i + 1
        return re.compile(out + r"\Z")

    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for rule in rules:
        negate = rule.startswith("!")
        pattern = str(PurePosixPath(rule.lstrip("!").strip("/")))
        if any(regex(pattern).match(p) for p in prefixes):
            excluded = not negate
    return excluded


@pytest.fixture(scope="module")
def dockerfile() -> tuple[dict[str, str], list[list[Instruction]]]:
    args, instructions = parse(DOCKERFILE.read_text(encoding="utf-8"))
    return args, stages(instructions)


@pytest.fixture(scope="module")
def ignore_rules() -> list[str]:
    path = ROOT / ".dockerignore"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def image_paths(build: list[Instruction], final: list[Instruction]) -> dict[str, str]:
    """Context path -> where it ends up in the final image, for what the build stage copies from
    the context (relative to its WORKDIR) and the final stage takes over with COPY --from."""
    workdir, copied = "/", {}
    for i in build:
        if i.keyword == "WORKDIR":
            workdir = i.args
        elif i.keyword == "COPY" and not i.args.startswith("--from"):
            *sources, dest = i.args.split()
            target = dest if dest.startswith("/") else str(PurePosixPath(workdir) / dest)
            for source in sources:
                copied[source.rstrip("/")] = target.rstrip("/") if len(sources) == 1 and not dest.endswith("/") else str(PurePosixPath(target) / Path(source).name)
    taken = [i.args.split()[1:] for i in final if i.keyword == "COPY" and i.args.startswith("--from=build")]
    out = {}
    for source, target in copied.items():
        for src, dest in taken:
            if target == src or target.startswith(src.rstrip("/") + "/"):
                out[source] = dest.rstrip("/") + target[len(src.rstrip("/")):]
    return out


def in_image(path: str, mapping: dict[str, str]) -> str | None:
    for source, target in mapping.items():
        if path == source or path.startswith(source + "/"):
            return target + path[len(source):]
    return None


def runtime_closure(name: str = "reviewguard") -> dict[str, str]:
    """The installed project's runtime dependencies, transitively (no extras): name -> version."""
    seen: dict[str, str] = {}
    todo = [name]
    while todo:
        current = canonicalize_name(todo.pop())
        if current in seen:
            continue
        dist = metadata.distribution(current)
        seen[current] = dist.version
        for spec in dist.requires or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def test_there_is_one_dockerfile():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    images = [p for p in tracked if re.search(r"(^|/)(Dockerfile|Containerfile)[^/]*$|\.dockerfile$", p, re.I)]
    assert images == ["deploy/Dockerfile"]


def test_both_stages_start_from_one_base_pinned_to_a_python_patch_release(dockerfile):
    args, (build, final) = dockerfile
    bases = [i.args.split()[0] for i in (build[0], final[0])]
    assert bases == ["${BASE}", "${BASE}"], "the venv is built against the interpreter it runs on"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", args["BASE"]), args["BASE"]


def test_the_final_stage_runs_as_a_named_non_root_uid(dockerfile):
    _, (_, final) = dockerfile
    users = [i.args for i in final if i.keyword == "USER"]
    assert users and users[-1] not in ("0", "root")
    assert users[-1].isdigit(), "runAsNonRoot can only verify a numeric uid"
    assert any(i.keyword == "RUN" and f"--uid {users[-1]}" in i.args for i in final)
    assert [i.keyword for i in final].index("USER") > max(n for n, i in enumerate(final) if i.keyword in ("RUN", "COPY"))


def test_no_build_tools_in_the_final_image(dockerfile):
    _, (build, final) = dockerfile
    for i in final:
        if i.keyword == "RUN":
            assert not re.search(r"apt-get|apk |pip|gcc|make|build-essential|curl|wget", i.args), i.args
        if i.keyword == "COPY":
            assert i.args.startswith("--from=build"), f"the final stage copies only the build's results: {i.args}"
    installs = " ".join(i.args for i in build if i.keyword == "RUN")
    assert re.search(r"pip uninstall[^&]*\bsetuptools\b[^&]*\bpip\b", installs), "pip and setuptools leave the venv"
    assert ".[dev]" not in installs and "-r requirements.lock" not in installs, "the lock's test tools stay out"
    closure = runtime_closure()
    assert not [name for name in DEV_ONLY if canonicalize_name(name) in closure], "a dev tool became a runtime dependency"


def test_every_installed_version_comes_from_requirements_lock(dockerfile):
    _, (build, _) = dockerfile
    for i in build:
        if i.keyword == "RUN" and "pip install" in i.args:
            for command in re.findall(r"pip install[^&]*", i.args):
                assert "--constraint requirements.lock" in command, command
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, _, version = line.strip().partition("==")
            lock[canonicalize_name(name)] = version
    closure = runtime_closure()
    closure.pop("reviewguard")
    unpinned = {n: v for n, v in closure.items() if lock.get(n) != v}
    assert not unpinned, f"installed at run time but not pinned (at that version) in requirements.lock: {unpinned}"
    assert "setuptools" in lock  # the build backend, installed from the lock too


def test_no_healthcheck_kubernetes_probes_do_it(dockerfile):
    _, stages_ = dockerfile
    assert not [i for stage in stages_ for i in stage if i.keyword == "HEALTHCHECK"]


def test_every_file_a_service_reads_at_run_time_is_in_the_image(dockerfile, ignore_rules):
    _, (build, final) = dockerfile
    mapping = image_paths(build, final)
    workdir = [i.args for i in final if i.keyword == "WORKDIR"][-1]
    # NOTE: the paths the services open, as their modules define them (models, migrations,
    # templates, lexicons, data); the gateway serves no static files, its pages are rendered.
    constants = {
        "services.nlp.stars.model": ["DEFAULT_MODEL_PATH"],
        "services.nlp.lexicon": ["DEFAULT_LEXICON"],
        "services.nlp.aspects.taxonomy": ["DEFAULT_TAXONOMY"],
        "services.ingest.app": ["MIGRATIONS"],
        "services.nlp.app": ["MIGRATIONS"],
        "services.alerting.app": ["MIGRATIONS"],
        "services.resolution.app": ["MIGRATIONS"],
        "services.gateway.tenants": ["MIGRATIONS"],
        "libs.grpc_auth": ["MIGRATIONS"],
        "services.resolution.templates.service": ["TEXTS_DIR", "REMEDIES_PATH"],
        "services.resolution.compliance.service": ["LEXICON_PATH", "POLICIES_PATH"],
        "services.resolution.appeals.service": ["CLAUSES_PATH", "LETTERS_PATH"],
        "services.resolution.requests.service": ["INVITATIONS_PATH"],
    }
    read = [Path(getattr(importlib.import_module(module), name)) for module, names in constants.items() for name in names]
    files = [f for p in read for f in ([p] if p.is_file() else sorted(p.rglob("*")))]
    assert any(f.suffix == ".onnx" for f in files) and any(f.suffix == ".sql" for f in files)
    # ...and every other tracked data file beside the code, whichever module reads it.
    tracked = subprocess.run(["git", "ls-files", "libs", "services"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    files += [ROOT / t for t in tracked if not t.endswith(".py")]
    missing = []
    for path in {f.resolve() for f in files if f.is_file()}:
        relative = path.relative_to(ROOT).as_posix()
        target = in_image(relative, mapping)
        if dockerignore_excludes(relative, ignore_rules) or target is None:
            missing.append(relative)
        else:
            assert target == f"{workdir}/{relative}", "code and its files keep their layout under the WORKDIR"
    assert not missing, f"read at run time but not in the image: {sorted(missing)}"
    model = ROOT / "services" / "nlp" / "models" / "stars" / "model.onnx"
    assert model.stat().st_size > 1_000_000 and not model.read_bytes()[:40].startswith(b"version https://git-lfs"), "the model itself, not a pointer"


def test_the_dockerignore_check_reads_rules_as_docker_does():
    rules = ["**/__pycache__", ".venv", "services/nlp/models/*.onnx", "!services/nlp/models/keep.onnx", "tests"]
    assert dockerignore_excludes("services/nlp/__pycache__/x.pyc", rules)
    assert dockerignore_excludes(".venv/bin/python", rules)
    assert dockerignore_excludes("services/nlp/models/a.onnx", rules)
    assert not dockerignore_excludes("services/nlp/models/keep.onnx", rules)
    assert not dockerignore_excludes("services/nlp/models/stars/model.onnx", rules)  # * stays in one segment
    assert not dockerignore_excludes("services/tests_helpers.py", rules)
