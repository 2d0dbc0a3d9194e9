"""Migrations: applied once, in order, refused when an applied file changes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from libs.db import MigrationError, create_pool, migrate


def write(folder: Path, name: str, sql: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(sql)


async def test_applies_pending_migrations_once_in_order(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    write(folder, "0001_things.sql", "CREATE TABLE things (id int PRIMARY KEY);")
    write(folder, "0002_more.sql", "ALTER TABLE things ADD COLUMN name text;")
    assert await migrate(database_url, schema="demo", directory=folder) == ["0001_things.sql", "0002_more.sql"]
    assert await migrate(database_url, schema="demo", directory=folder) == []
    write(folder, "0003_index.sql", "CREATE INDEX things_name ON things (name);")
    assert await migrate(database_url, schema="demo", directory=folder) == ["0003_index.sql"]

    pool = await create_pool(database_url, schema="demo")
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO things (id, name) VALUES (1, 'kettle')")
        assert await conn.fetchval("SELECT name FROM demo.things") == "kettle"
    await pool.close()


async def test_replicas_starting_together_apply_each_migration_once(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    write(folder, "0001_counter.sql", "CREATE TABLE counter (n int); INSERT INTO counter VALUES (1);")
    results = await asyncio.gather(*(migrate(database_url, schema="demo", directory=folder) for _ in range(4)))
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    conn = await asyncpg.connect(database_url)
    assert await conn.fetchval("SELECT count(*) FROM demo.counter") == 1
    await conn.close()


async def test_changed_applied_migration_is_refused(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    write(folder, "0001_things.sql", "CREATE TABLE things (id int);")
    await migrate(database_url, schema="demo", directory=folder)
    write(folder, "0001_things.sql", "CREATE TABLE things (id bigint);")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate(database_url, schema="demo", directory=folder)


async def test_failed_migration_leaves_nothing_half_applied(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    write(folder, "0001_broken.sql", "CREATE TABLE half (id int); SELECT no_such_function();")
    with pytest.raises(asyncpg.UndefinedFunctionError):
        await migrate(database_url, schema="demo", directory=folder)
    conn = await asyncpg.connect(database_url)
    assert await conn.fetchval("SELECT to_regclass('demo.half')") is None
    assert await conn.fetchval("SELECT count(*) FROM demo.schema_migrations") == 0
    await conn.close()


def test_badly_named_migration_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "add_things.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_lower_snake"):
        asyncio.run(migrate("postgresql://unused/x", schema="demo", directory=tmp_path))
