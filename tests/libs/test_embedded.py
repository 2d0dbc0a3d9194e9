"""Embedded infrastructure: the system-PostgreSQL fallback and the NATS server process."""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncpg
import nats
import pytest

from libs.embedded import EmbeddedNats, SystemPostgres, ensure_database, free_port


@pytest.mark.skipif(shutil.which("pg_ctl") is None and not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")),
                    reason="no system PostgreSQL installed on this machine")
async def test_system_postgres_fallback_starts_keeps_data_and_stops(server_dir: Path) -> None:
    data = server_dir / "system-pg"
    server = SystemPostgres(data)
    dsn = await ensure_database(server.start(), "reviewguard")
    try:
        conn = await asyncpg.connect(dsn)
        await conn.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
        await conn.close()
    finally:
        server.stop()
    # Started again on the same folder, the data is still there.
    dsn = await ensure_database(server.start(), "reviewguard")
    try:
        conn = await asyncpg.connect(dsn)
        assert await conn.fetchval("SELECT n FROM kept") == 42
        await conn.close()
    finally:
        server.stop()


async def test_embedded_nats_has_jetstream_and_keeps_streams_across_restarts(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path / "nats", port=free_port())
    server.start()
    try:
        nc = await nats.connect(server.url)
        await nc.jetstream().add_stream(name="KEEP", subjects=["keep.>"])
        await nc.jetstream().publish("keep.one", b"1")
        await nc.close()
    finally:
        server.stop()
    server.start()
    try:
        nc = await nats.connect(server.url)
        assert (await nc.jetstream().stream_info("KEEP")).state.messages == 1
        await nc.close()
    finally:
        server.stop()
