"""Tenant provisioning, used by the CLI and by `reviewguard run` for the demo tenant."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg

from libs import db
from services.gateway import repository
from services.gateway.api_keys import KeyHasher, new_api_key

SCHEMA = "gateway"
MIGRATIONS = Path(__file__).parent / "migrations"


async def provision_tenant(
    dsn: str, name: str, api_key: str | None = None, *, pepper: str, scopes: tuple[str, ...] = ("read", "write", "admin")
) -> tuple[uuid.UUID, str]:
    """Creates the tenant if needed and registers `api_key` (or a new one) with `scopes`, hashed
    under `pepper`, the gateway's; returns (id, key)."""
    await db.migrate(dsn, schema=SCHEMA, directory=MIGRATIONS)
    key = api_key or new_api_key()
    hasher = KeyHasher(pepper)
    conn = await asyncpg.connect(dsn, server_settings={"search_path": SCHEMA})
    try:
        async with conn.transaction():
            tenant_id = await repository.ensure_tenant(conn, name)
            await repository.add_api_key(conn, tenant_id, hasher.digest(key), hasher.legacy_digest(key), key[:8], scopes)
    finally:
        await conn.close()
    return tenant_id, key


async def revoke_api_key(dsn: str, api_key: str, *, pepper: str) -> bool:
    """Revokes a key; the gateway stops accepting it within `api_key_cache_seconds`."""
    conn = await asyncpg.connect(dsn, server_settings={"search_path": SCHEMA})
    try:
        return await repository.revoke_key(conn, KeyHasher(pepper).digest(api_key))
    finally:
        await conn.close()
