"""Tenant provisioning, used by the CLI and by `reviewguard run` for the demo tenant."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg

from libs import db
from services.gateway import repository

SCHEMA = "gateway"
MIGRATIONS = Path(__file__).parent / "migrations"


async def provision_tenant(dsn: str, name: str, api_key: str | None = None) -> tuple[uuid.UUID, str]:
    """Creates the tenant if needed and registers `api_key` (or a new one); returns (id, key)."""
    await db.migrate(dsn, schema=SCHEMA, directory=MIGRATIONS)
    key = api_key or repository.new_api_key()
    conn = await asyncpg.connect(dsn, server_settings={"search_path": SCHEMA})
    try:
        async with conn.transaction():
            tenant_id = await repository.ensure_tenant(conn, name)
            await repository.add_api_key(conn, tenant_id, key)
    finally:
        await conn.close()
    return tenant_id, key
