"""Use cases of a tenant's policy: read it (defaults where unset), replace it."""

from __future__ import annotations

import json
import uuid

from libs.errors import FieldViolation, InvalidArgument
from services.resolution.context import Context
from services.resolution.policy import repository as policy_repository
from services.resolution.policy.models import parse_policy


async def get_policy(ctx: Context, *, tenant: uuid.UUID) -> tuple[int, dict]:
    """The tenant's policy version (0 before the first put) and its fields, defaults filled in."""
    async with ctx.pool.acquire() as conn:
        stored = await policy_repository.get(conn, tenant)
    policy = parse_policy(stored[1], defaults=ctx.defaults) if stored else ctx.defaults
    return (stored[0] if stored else 0), policy.to_json()


async def put_policy(ctx: Context, *, tenant: uuid.UUID, policy_json: str) -> tuple[int, dict]:
    """Replaces the tenant's policy; fields left out take the defaults. Applies to cases opened after."""
    try:
        data = json.loads(policy_json or "{}")
    except ValueError:
        raise InvalidArgument("policy is not valid JSON", [FieldViolation("policy", "not JSON")]) from None
    policy = parse_policy(data, defaults=ctx.defaults)
    async with ctx.pool.acquire() as conn:
        version = await policy_repository.put(conn, tenant, data)
    return version, policy.to_json()
