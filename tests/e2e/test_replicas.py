"""Two replicas of each consumer service share their durables: a review is handled by one of them,
and killing replicas mid-burst (SIGKILL) loses and doubles nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.launcher import LocalSystem
from tests.e2e.conftest import running_system
from tests.e2e.workload import batch, counts, duplicates
from tests.helpers import eventually

BATCHES = 12
PER_BATCH = 50


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, server_dir: Path) -> Iterator[LocalSystem]:
    # NOTE: a short ack wait, so the messages a killed replica held come back to its twin quickly.
    with running_system(
        tmp_path_factory.mktemp("replicas"), server_dir, replicas="nlp=2,alerting=2,resolution=2", bus_ack_wait_seconds=10.0
    ) as local:
        yield local


def test_the_launcher_starts_every_replica(system: LocalSystem) -> None:
    assert system.instances("nlp") == ["nlp", "nlp-2"]
    assert system.instances("gateway") == ["gateway"]
    assert all(system.running(name) for name in ("nlp", "nlp-2", "alerting", "alerting-2", "resolution", "resolution-2"))


async def test_killing_replicas_mid_burst_loses_and_doubles_nothing(system: LocalSystem, api_keys, base_url) -> None:
    headers = {"Authorization": f"Bearer {api_keys['acme']}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as api:
        for n in range(BATCHES):
            response = await api.post("/v1/reviews", json={"reviews": batch(n, per_batch=PER_BATCH, prefix="replica")})
            assert response.status_code == 202
            if n == BATCHES // 4:
                system.kill_service("nlp-2")  # SIGKILL: the other nlp replica carries on alone
            if n == BATCHES // 2:
                system.kill_service("alerting")
            if n == 3 * BATCHES // 4:
                system.kill_service("resolution-2")
    total = BATCHES * PER_BATCH
    assert (await counts(system.dsn))["reviews"] == total

    seen: list[dict] = []

    async def settled():
        c = await counts(system.dsn)
        seen.append(c)
        return c if c["analyses"] == total and c["alerts"] >= c["low_rated"] and c["cases"] == c["alerts"] else None

    try:
        final = await eventually(settled, timeout=240, interval=1.0)
    except AssertionError:
        raise AssertionError(f"not settled: {seen[-1]}") from None
    assert final["reanalysed"] == 0, "a review was analysed twice"
    assert await duplicates(system.dsn) == {"alerts": 0, "cases": 0}
    # The killed replicas come back and join the same durables.
    for name in ("nlp-2", "alerting", "resolution-2"):
        system.start_service(name)
    await asyncio.sleep(1.0)
    assert all(system.running(name) for name in ("nlp-2", "alerting", "resolution-2"))
