"""The whole system as separate processes on embedded PostgreSQL and NATS, once per module."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import asyncio

import pytest

from libs.embedded import free_port
from libs.settings import Settings
from services.gateway.tenants import provision_tenant
from services.launcher import LocalSystem


@contextlib.contextmanager
def running_system(root: Path, server_dir: Path, **overrides) -> Iterator[LocalSystem]:
    """Every service as its own process on fresh embedded PostgreSQL and NATS; stopped on exit."""
    settings = Settings(
        data_dir=server_dir / f"system-{root.name}",
        embedded_nats_port=free_port(),
        ingest_port=free_port(),
        nlp_port=free_port(),
        alerting_port=free_port(),
        resolution_port=free_port(),
        gateway_port=free_port(), ingest_metrics_port=free_port(), nlp_metrics_port=free_port(),
        alerting_metrics_port=free_port(), resolution_metrics_port=free_port(),
        trace_exporter="jsonl",
        trace_dir=root / "traces",
        nlp_languages="en,de,fr,es,it,ja,zh",
        # NOTE: the tests' webhook and provider servers listen on loopback, which only the allow-list reaches.
        **({"outbound_allow_hosts": ["127.0.0.1"]} | overrides),
    )
    local = LocalSystem(settings=settings, log_dir=root / "logs", restart_crashed=False)
    local.start_infrastructure()
    try:
        local.start_services()
        local.wait_ready()
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, server_dir: Path) -> Iterator[LocalSystem]:
    with running_system(tmp_path_factory.mktemp("system"), server_dir) as local:
        yield local


@pytest.fixture(scope="module")
def api_keys(system: LocalSystem) -> dict[str, str]:
    """Two tenants' API keys."""
    keys = {}
    for name in ("acme", "globex"):
        _, keys[name] = asyncio.run(provision_tenant(system.dsn, name, pepper=system.api_key_pepper()))
    return keys


@pytest.fixture(scope="module")
def base_url(system: LocalSystem) -> str:
    return f"http://{system.settings.host}:{system.settings.gateway_port}"
