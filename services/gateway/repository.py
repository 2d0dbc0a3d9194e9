"""All SQL of the gateway: tenants and API keys (hashing is api_keys.py's)."""

from __future__ import annotations

import uuid

import asyncpg


async def ensure_tenant(conn: asyncpg.Connection, name: str) -> uuid.UUID:
    """The id of the tenant called `name`, created if missing."""
    return await conn.fetchval(
        """INSERT INTO tenants (name) VALUES ($1)
           ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
           RETURNING id""",
        name,
    )


async def add_api_key(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, digest: bytes, legacy: bytes, prefix: str,
    scopes: tuple[str, ...] = ("read", "write", "admin"),
) -> None:
    """Registers a key (by its peppered digest) for the tenant; registering it again is a no-op."""
    owner = await conn.fetchval("SELECT tenant_id FROM api_keys WHERE key_hash = ANY($1::bytea[])", [digest, legacy])
    if owner is not None and owner != tenant_id:
        raise ValueError("that API key already belongs to another tenant")
    await conn.execute(
        """INSERT INTO api_keys (tenant_id, key_hash, key_prefix, hash_kind, scopes) VALUES ($1, $2, $3, 'hmac', $4)
           ON CONFLICT (key_hash) DO NOTHING""",
        tenant_id, digest, prefix, list(scopes),
    )  # fmt: skip
    # NOTE: a key registered before the pepper is upgraded now rather than on its first use.
    await conn.execute("UPDATE api_keys SET key_hash = $1, hash_kind = 'hmac' WHERE key_hash = $2", digest, legacy)


async def grant_for_key(conn: asyncpg.Connection, digest: bytes, legacy: bytes, *, timeout: float | None = None) -> asyncpg.Record | None:
    """The tenant, prefix and scopes of an unrevoked key; a row still stored as bare SHA-256 is
    re-hashed on the way."""
    row = await conn.fetchrow(
        """SELECT tenant_id, key_prefix, scopes, hash_kind FROM api_keys
           WHERE key_hash = ANY($1::bytea[]) AND revoked_at IS NULL""",
        [digest, legacy], timeout=timeout,
    )  # fmt: skip
    if row is not None and row["hash_kind"] != "hmac":
        await conn.execute("UPDATE api_keys SET key_hash = $1, hash_kind = 'hmac' WHERE key_hash = $2", digest, legacy)
    return row


async def revoke_key(conn: asyncpg.Connection, digest: bytes) -> bool:
    """Revokes a key; False when no such unrevoked key exists."""
    done = await conn.execute("UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1 AND revoked_at IS NULL", digest)
    return done.endswith(" 1")
