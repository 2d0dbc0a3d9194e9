"""The bus on a real 3-node JetStream cluster: replicated streams, R1 streams scaled to R3 in place,
publishing through a stream leader's death."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from libs import topology
from libs.bus import Bus, unavailable_for_now, servers_of
from libs.embedded import EmbeddedNatsCluster
from libs.settings import Settings
from tests.helpers import eventually
from tests.libs.test_bus import ingested


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[EmbeddedNatsCluster]:
    nodes = EmbeddedNatsCluster(tmp_path / "cluster", size=3)
    nodes.start()
    yield nodes
    nodes.stop()


async def replicated(bus: Bus, stream: str, replicas: int = 3):
    """The stream's info once it has a leader and every follower is current."""

    async def check():
        info = await bus.jetstream.stream_info(stream)
        followers = (info.cluster.replicas or []) if info.cluster else []
        if info.cluster and info.cluster.leader and len(followers) == replicas - 1 and all(p.current for p in followers):
            return info
        return None

    return await eventually(check, timeout=30, interval=0.2)


def test_nats_url_takes_a_comma_separated_list_of_servers() -> None:
    assert servers_of("nats://a:4222, nats://b:4222,nats://c:4222") == ["nats://a:4222", "nats://b:4222", "nats://c:4222"]
    assert servers_of("nats://a:4222") == ["nats://a:4222"]
    with pytest.raises(ValueError):
        servers_of(" , ")
    assert Settings(bus_stream_replicas=3).bus_stream_replicas == 3
    with pytest.raises(ValueError):
        Settings(bus_stream_replicas=6)


def test_only_errors_of_a_cluster_between_leaders_are_retried() -> None:
    assert unavailable_for_now(nats.errors.TimeoutError())
    assert unavailable_for_now(nats.js.errors.NoStreamResponseError())
    assert unavailable_for_now(nats.js.errors.APIError(code=503, description="JetStream system temporarily unavailable"))
    assert unavailable_for_now(nats.js.errors.ServiceUnavailableError())  # a fetch's 503 status has no code
    assert not unavailable_for_now(nats.js.errors.BadRequestError(code=400, description="bad"))
    assert not unavailable_for_now(ValueError("bug"))


async def test_ensure_streams_makes_every_stream_r3_on_a_cluster(cluster: EmbeddedNatsCluster) -> None:
    bus = await Bus.connect(cluster.url, name="test", duplicate_window_seconds=60, stream_replicas=3)
    try:
        await bus.ensure_streams()
        await bus.ensure_streams()  # still idempotent
        for spec in topology.ALL_STREAMS:
            info = await replicated(bus, spec.name)
            assert info.config.num_replicas == 3
            assert {info.cluster.leader, *(p.name for p in info.cluster.replicas)} == {"n1", "n2", "n3"}
    finally:
        await bus.close()


async def test_an_r1_stream_is_scaled_to_r3_in_place_keeping_its_messages(cluster: EmbeddedNatsCluster) -> None:
    single = await Bus.connect(cluster.url, name="r1", duplicate_window_seconds=60, stream_replicas=1)
    triple = await Bus.connect(cluster.url, name="r3", duplicate_window_seconds=60, stream_replicas=3)
    try:
        await single.ensure_streams()
        assert (await single.jetstream.stream_info("REVIEWS")).config.num_replicas == 1
        for i in range(20):
            await single.publish(topology.REVIEW_INGESTED, ingested(f"r{i}"), msg_id=f"r{i}")

        await triple.ensure_streams()

        info = await replicated(triple, "REVIEWS")
        assert info.config.num_replicas == 3
        assert info.state.messages == 20
        # The duplicate window survived the move: a message published before is still a duplicate.
        assert await triple.publish(topology.REVIEW_INGESTED, ingested("r3"), msg_id="r3") is False
    finally:
        await single.close()
        await triple.close()


async def test_publishing_carries_on_when_the_stream_leader_dies(cluster: EmbeddedNatsCluster) -> None:
    bus = await Bus.connect(cluster.url, name="test", duplicate_window_seconds=60, stream_replicas=3)
    try:
        await bus.ensure_streams()
        leader = (await replicated(bus, "REVIEWS")).cluster.leader
        total = 300
        for i in range(total):
            if i == total // 3:
                cluster.kill_node(leader)
            await bus.publish(topology.REVIEW_INGESTED, ingested(f"p{i}"), msg_id=f"p{i}")

        async def moved():
            info = await bus.jetstream.stream_info("REVIEWS")
            return info if info.cluster.leader not in (None, leader) else None

        info = await eventually(moved, timeout=30, interval=0.2)
        assert info.state.messages == total
        cluster.start_node(leader)
        info = await replicated(bus, "REVIEWS")
        assert info.state.messages == total
    finally:
        await bus.close()
