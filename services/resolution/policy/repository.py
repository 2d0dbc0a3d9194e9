"""SQL of tenant policies."""

from __future__ import annotations

import json
import uuid

import asyncpg


async def get(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> tuple[int, dict] | None:
    row = await conn.fetchrow("SELECT version, policy FROM tenant_policies WHERE tenant_id = $1", tenant_id)
    return (row["version"], json.loads(row["policy"])) if row else None


async def put(conn: asyncpg.Connection, tenant_id: uuid.UUID, policy: dict) -> int:
    """Stores the tenant's policy; returns its new version."""
    return await conn.fetchval(
        """INSERT INTO tenant_policies (tenant_id, version, policy) VALUES ($1, 1, $2::jsonb)
           ON CONFLICT (tenant_id) DO UPDATE
             SET version = tenant_policies.version + 1, policy = EXCLUDED.policy, updated_at = now()
           RETURNING version""",
        tenant_id,
        json.dumps(policy),
    )


async def get_many(conn: asyncpg.Connection, tenant_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict]:
    """The stored policies of several tenants (those without one are absent)."""
    rows = await conn.fetch("SELECT tenant_id, policy FROM tenant_policies WHERE tenant_id = ANY($1::uuid[])", tenant_ids)
    return {r["tenant_id"]: json.loads(r["policy"]) for r in rows}
