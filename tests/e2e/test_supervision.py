"""Health and supervision: /livez and /readyz, NATS dying and coming back, `reviewguard run` stopping.

The first test runs the launcher in this process; the others start `reviewguard run` as a
subprocess of their own (own data folder, free ports) and stop it with SIGTERM or SIGKILL.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import pytest

from libs.embedded import free_port
from services.gateway.tenants import provision_tenant
from tests.e2e.conftest import running_system
from tests.e2e.workload import batch
from tests.helpers import eventually

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def supervised(tmp_path: Path, server_dir: Path):
    with running_system(tmp_path, server_dir) as system:
        system.restart_crashed = True
        yield system


async def test_readyz_names_nats_while_it_is_down_and_the_launcher_brings_it_back(supervised) -> None:
    system = supervised
    _, key = await provision_tenant(system.dsn, "acme", pepper=system.api_key_pepper())
    base = f"http://{system.settings.host}:{system.settings.gateway_port}"
    async with httpx.AsyncClient(base_url=base, timeout=10, headers={"Authorization": f"Bearer {key}"}) as api:
        ready = await api.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert set(ready.json()["checks"]) == {"ingest", "nlp", "alerting", "resolution", "database", "nats"}
        assert (await api.get("/livez")).status_code == 200

        system._nats.kill()

        async def nats_reported():
            response = await api.get("/readyz")
            return response if response.status_code == 503 else None

        down = await eventually(nats_reported, timeout=15, interval=0.2)
        assert down.json()["failed"] == ["nats"]
        assert down.headers["Retry-After"].isdigit()
        assert (await api.get("/healthz")).json()["checks"]["nats"] != "serving"
        assert (await api.get("/livez")).status_code == 200

        system.restart_dead()
        assert system._nats.alive()

        async def ready_again():
            return (await api.get("/readyz")).status_code == 200 or None

        await eventually(ready_again, timeout=20, interval=0.2)
        assert (await api.get("/livez")).status_code == 200

        # NOTE: the services reconnected by themselves: a review posted now is analysed.
        review = batch(7)[0]
        posted = await api.post("/v1/reviews", json={"reviews": [review]})
        assert posted.status_code == 202, posted.text
        review_id = posted.json()["ids"][0]

        async def analysed():
            return (await api.get(f"/v1/reviews/{review_id}")).json()["analysis"]

        await eventually(analysed, timeout=60, interval=0.5)


def _start_run(root: Path) -> tuple[subprocess.Popen, str, Path]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL")}
    ports = {
        name: free_port()
        for name in ("INGEST", "NLP", "ALERTING", "RESOLUTION", "GATEWAY", "INGEST_METRICS", "NLP_METRICS", "ALERTING_METRICS",
                     "RESOLUTION_METRICS", "EMBEDDED_NATS")
    }
    env.update({f"REVIEWGUARD_{name}_PORT": str(port) for name, port in ports.items()})
    env.update(
        {
            "REVIEWGUARD_DATA_DIR": str(root / "data"),
            "REVIEWGUARD_NLP_LANGUAGES": "en,de",
            "PYTHONPATH": f"{REPO / 'libs' / 'gen'}{os.pathsep}{REPO}",
        }
    )
    output = root / "run.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run"], cwd=root, env=env,
        stdout=output.open("wb"), stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{ports['GATEWAY']}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, output.read_text(errors="replace")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return process, base, output
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise AssertionError(f"reviewguard run not ready: {output.read_text(errors='replace')[-3000:]}")


def _children(process: subprocess.Popen, data: Path) -> list[psutil.Process]:
    """Every process `reviewguard run` started: services, NATS, the watcher, and the (detached) postmaster."""
    found = psutil.Process(process.pid).children(recursive=True)
    postmaster = int((data / "postgres" / "postmaster.pid").read_text().split()[0])
    found.append(psutil.Process(postmaster))
    names = " ".join(" ".join(p.cmdline()) for p in found)
    for expected in ("services.gateway", "services.nlp", "nats-server", "libs.reaper", "postgres"):
        assert expected in names
    return found


def _gone_within(processes: list[psutil.Process], seconds: float) -> list[str]:
    _, alive = psutil.wait_procs(processes, timeout=seconds)
    return [f"{p.pid} {' '.join(p.cmdline())}" for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def _own_folder(server_dir: Path) -> Path:
    """A folder the embedded PostgreSQL (another system user) can reach: not under pytest's
    temporary root, which any concurrent pytest run resets to mode 0700."""
    folder = Path(tempfile.mkdtemp(dir=server_dir))
    folder.chmod(0o755)
    return folder


def test_run_stops_everything_in_order_within_10_s_without_a_traceback(server_dir: Path) -> None:
    # NOTE: SIGINT (Ctrl-C) takes the same path; SIGTERM is what systemd, docker and kill send.
    sig = signal.SIGTERM
    tmp_path = _own_folder(server_dir)
    process, _, output = _start_run(tmp_path)
    children = _children(process, tmp_path / "data")
    started = time.monotonic()
    process.send_signal(sig)
    process.wait(timeout=15)
    took = time.monotonic() - started
    text = output.read_text(errors="replace")
    assert took < 10.0, text[-3000:]
    assert process.returncode == 0, text[-3000:]
    assert "Traceback" not in text
    # The launcher's lines are JSON like the services' (its banner is text on stdout).
    launcher = [json.loads(line) for line in text.splitlines() if '"service": "launcher"' in line]
    assert launcher and {e["logger"] for e in launcher} >= {"services.launcher"}, text[-3000:]
    assert not [line for line in text.splitlines() if "services.launcher" in line and not line.startswith("{")]
    assert _gone_within(children, 1.0) == []
    assert not (tmp_path / ".data").exists(), "something wrote under the working directory"
    print(f"reviewguard run stopped in {took:.2f} s after {sig.name}:", [l for l in text.splitlines() if "services.launcher" in l and "stopped" in l])


def test_children_do_not_outlive_a_killed_launcher(server_dir: Path) -> None:
    tmp_path = _own_folder(server_dir)
    process, _, _ = _start_run(tmp_path)
    children = _children(process, tmp_path / "data")
    process.kill()
    process.wait()
    assert _gone_within(children, 10.0) == []
