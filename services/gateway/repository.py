"""All SQL of the gateway: tenants and API keys."""

from __future__ import annotations

import hashlib
import secrets
import uuid

import asyncpg

KEY_PREFIX = "rg_"


def hash_key(api_key: str) -> bytes:
    # NOTE: keys are 256-bit random tokens, so a plain SHA-256 is enough (no password stretching).
    return hashlib.sha256(api_key.encode()).digest()


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


async def ensure_tenant(conn: asyncpg.Connection, name: str) -> uuid.UUID:
    """The id of the tenant called `name`, created if missing."""
    return await conn.fetchval(
        """INSERT INTO tenants (name) VALUES ($1)
           ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
           RETURNING id""",
        name,
    )


async def add_api_key(conn: asyncpg.Connection, tenant_id: uuid.UUID, api_key: str) -> None:
    """Registers a key for the tenant; registering the same key again is a no-op."""
    owner = await conn.fetchval("SELECT tenant_id FROM api_keys WHERE key_hash = $1", hash_key(api_key))
    if owner is not None and owner != tenant_id:
        raise ValueError("that API key already belongs to another tenant")
    await conn.execute(
        """INSERT INTO api_keys (tenant_id, key_hash, key_prefix) VALUES ($1, $2, $3)
           ON CONFLICT (key_hash) DO NOTHING""",
        tenant_id,
        hash_key(api_key),
        api_key[:8],
    )


async def tenant_for_key(conn: asyncpg.Connection, api_key: str, *, timeout: float | None = None) -> uuid.UUID | None:
    return await conn.fetchval(
        "SELECT tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL", hash_key(api_key), timeout=timeout
    )
