"""Real infrastructure for the tests: one embedded PostgreSQL per session, a fresh database and a
fresh JetStream-enabled NATS server per test, so tests never see each other's data."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from libs.bus import Bus
from libs.embedded import EmbeddedNats, EmbeddedPostgres, free_port, with_database
from libs.settings import Settings


@pytest.fixture(scope="session")
def server_dir() -> Iterator[Path]:
    """A folder for database servers' data, outside pytest's temporary root.

    NOTE: PostgreSQL runs as another system user when the tests run as root, and any pytest run
    resets its temporary root to mode 0700, which would cut a running server off its own files.
    """
    folder = Path(tempfile.mkdtemp(prefix="reviewguard-tests-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(server_dir: Path) -> Iterator[str]:
    """DSN of the session's PostgreSQL server (its `postgres` database)."""
    server = EmbeddedPostgres(server_dir / "session-pg", delete_on_stop=True)
    dsn = server.start()
    yield dsn
    server.stop()


@pytest.fixture
async def database_url(postgres: str) -> AsyncIterator[str]:
    """A new, empty database for one test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(postgres)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield with_database(postgres, name)
    conn = await asyncpg.connect(postgres)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    server = EmbeddedNats(tmp_path / "nats", port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def bus(nats_server: EmbeddedNats) -> AsyncIterator[Bus]:
    connected = await Bus.connect(nats_server.url, name="test", duplicate_window_seconds=60)
    await connected.ensure_streams()
    yield connected
    await connected.close()


@pytest.fixture
def settings(database_url: str, nats_server: EmbeddedNats, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        nats_url=nats_server.url,
        data_dir=tmp_path / "data",
        bus_max_deliver=3,
        bus_ack_wait_seconds=2,
    )

