"""SQL of tenant alert policies."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

import asyncpg



async def get_policy(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> tuple[dict, int] | None:
    row = await conn.fetchrow("SELECT policy, version FROM policies WHERE tenant_id = $1", tenant_id)
    return (json.loads(row["policy"]), row["version"]) if row else None


async def put_policy(conn: asyncpg.Connection, tenant_id: uuid.UUID, policy: dict) -> int:
    return await conn.fetchval(
        """INSERT INTO policies (tenant_id, policy) VALUES ($1, $2::jsonb)
           ON CONFLICT (tenant_id) DO UPDATE SET policy = EXCLUDED.policy, version = policies.version + 1,
               updated_at = now()
           RETURNING version""",
        tenant_id,
        json.dumps(policy),
    )


async def get_policies(conn: asyncpg.Connection, tenant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict]:
    """The stored policies of several tenants in one query (tenants without one are absent)."""
    rows = await conn.fetch("SELECT tenant_id, policy FROM policies WHERE tenant_id = ANY($1::uuid[])", list(tenant_ids))
    return {r["tenant_id"]: json.loads(r["policy"]) for r in rows}
