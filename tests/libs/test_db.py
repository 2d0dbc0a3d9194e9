"""Migrations: applied once, in order, refused when an applied file changes; the tenant-scoped
get-or-404, from a pool and from a connection inside a transaction."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest

from libs.db import MigrationError, create_pool, get_for_tenant, migrate
from libs.errors import InvalidArgument, NotFound


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


TENANT, OTHER = uuid.uuid4(), uuid.uuid4()


async def _get_item(conn, tenant: uuid.UUID, item: uuid.UUID):
    return await conn.fetchrow("SELECT id, name FROM items WHERE tenant_id = $1 AND id = $2", tenant, item)


async def _lock_item(conn, tenant: uuid.UUID, item: uuid.UUID):
    return await conn.fetchrow("SELECT id, name FROM items WHERE tenant_id = $1 AND id = $2 FOR UPDATE", tenant, item)


@pytest.fixture
async def items_pool(database_url: str, tmp_path: Path):
    write(tmp_path / "migrations", "0001_items.sql", "CREATE TABLE items (tenant_id uuid NOT NULL, id uuid PRIMARY KEY, name text);")
    await migrate(database_url, schema="demo", directory=tmp_path / "migrations")
    pool = await create_pool(database_url, schema="demo")
    yield pool
    await pool.close()


async def test_get_for_tenant_from_a_pool_finds_the_tenants_row_only(items_pool) -> None:
    item = uuid.uuid4()
    await items_pool.execute("INSERT INTO items VALUES ($1, $2, 'kettle')", TENANT, item)
    row = await get_for_tenant(items_pool, _get_item, tenant_id=str(TENANT), item_id=str(item), field="item_id", missing="item not found")
    assert row["name"] == "kettle"
    # NOTE: another tenant's row is as unknown as a made-up id.
    for tenant, wanted in ((OTHER, item), (TENANT, uuid.uuid4())):
        with pytest.raises(NotFound, match="item not found"):
            await get_for_tenant(items_pool, _get_item, tenant_id=str(tenant), item_id=str(wanted), field="item_id", missing="item not found")


async def test_get_for_tenant_names_the_field_of_a_malformed_id(items_pool) -> None:
    with pytest.raises(InvalidArgument) as caught:
        await get_for_tenant(items_pool, _get_item, tenant_id=str(TENANT), item_id="kettle", field="item_id", missing="item not found")
    assert [v.field for v in caught.value.violations] == ["item_id"]
    with pytest.raises(InvalidArgument) as caught:
        await get_for_tenant(items_pool, _get_item, tenant_id="", item_id=str(uuid.uuid4()), field="item_id", missing="item not found")
    assert [v.field for v in caught.value.violations] == ["tenant_id"]


async def test_get_for_tenant_on_a_transactions_connection_sees_its_writes_and_holds_its_lock(items_pool) -> None:
    item = uuid.uuid4()
    async with items_pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO items VALUES ($1, $2, 'kettle')", TENANT, item)
        # NOTE: ids a use case has parsed already are taken as they are.
        row = await get_for_tenant(conn, _get_item, tenant_id=TENANT, item_id=item, field="item_id", missing="item not found")
        assert row["name"] == "kettle", "the read runs in the transaction: it sees the row not yet committed"
        with pytest.raises(NotFound):
            await get_for_tenant(items_pool, _get_item, tenant_id=TENANT, item_id=item, field="item_id", missing="item not found")
    async with items_pool.acquire() as conn, conn.transaction():
        await get_for_tenant(conn, _lock_item, tenant_id=TENANT, item_id=item, field="item_id", missing="item not found")
        async with items_pool.acquire() as other:
            with pytest.raises(asyncpg.LockNotAvailableError):
                await other.execute("SELECT 1 FROM items WHERE id = $1 FOR UPDATE NOWAIT", item)
