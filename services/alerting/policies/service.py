"""Use cases of a tenant's alert policy: the effective policy, put (receivers must exist), Alertmanager
routing in and out, and which rules can judge yet.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import timedelta

import asyncpg
from pydantic import ValidationError

from libs.errors import FieldViolation, InvalidArgument, require_uuid, violations_of
from services.alerting import alertmanager_config, rules
from services.alerting.context import Context
from services.alerting.evaluation import repository as evaluation_repository
from services.alerting.notifications import repository as notifications_repository
from services.alerting.policies import repository as policies_repository
from services.alerting.policy import AlertPolicy


async def effective(ctx: Context, tenant_id: uuid.UUID, conn: asyncpg.Connection | None = None) -> AlertPolicy:
    """The tenant's effective policy (stored sections over the SPEC defaults)."""
    if conn is None:
        async with ctx.pool.acquire() as own:
            return await effective(ctx, tenant_id, own)
    stored = await policies_repository.get_policy(conn, tenant_id)
    return AlertPolicy.model_validate(stored[0]) if stored else AlertPolicy()


async def effective_many(ctx: Context, conn: asyncpg.Connection, tenants: Iterable[uuid.UUID]) -> dict[uuid.UUID, AlertPolicy]:
    """The effective policies of several tenants, read in one query."""
    tenants = set(tenants)
    stored = await policies_repository.get_policies(conn, sorted(tenants)) if tenants else {}
    return {t: AlertPolicy.model_validate(stored[t]) if t in stored else AlertPolicy() for t in tenants}


async def get_policy(ctx: Context, tenant_id: str) -> tuple[AlertPolicy, int]:
    tenant = require_uuid(tenant_id, field="tenant_id")
    async with ctx.pool.acquire() as conn:
        stored = await policies_repository.get_policy(conn, tenant)
    return (AlertPolicy.model_validate(stored[0]), stored[1]) if stored else (AlertPolicy(), 0)


async def put_policy(ctx: Context, tenant_id: str, policy_json: str) -> tuple[AlertPolicy, int]:
    """Validates and stores a whole policy; an invalid one is refused and nothing changes."""
    tenant = require_uuid(tenant_id, field="tenant_id")
    try:
        policy = AlertPolicy.model_validate_json(policy_json)
    except ValidationError as error:
        raise InvalidArgument("invalid alert policy; nothing was changed", violations_of(error, default="policy")) from None
    references = policy.routing.receiver_references()
    async with ctx.pool.acquire() as conn, conn.transaction():
        await notifications_repository.lock_routing(conn, tenant)
        known = await notifications_repository.existing_receivers(conn, tenant, sorted({name for _, name in references}))
        missing = [FieldViolation(path, f"receiver {name!r} is not configured (PUT it first)")
                   for path, name in references if name not in known]
        if missing:
            raise InvalidArgument("the policy routes to receivers that do not exist; nothing was changed", missing)
        version = await policies_repository.put_policy(conn, tenant, policy.model_dump(mode="json"))
    return policy, version


async def export_routing(ctx: Context, tenant_id: str) -> tuple[str, int]:
    """The effective routing as Alertmanager YAML, with the policy version it was read from."""
    policy, version = await get_policy(ctx, tenant_id)
    return alertmanager_config.render(policy.routing), version


async def import_routing(ctx: Context, tenant_id: str, config: str) -> tuple[AlertPolicy, int]:
    """Replaces only the routing section with an Alertmanager config; the rest of the policy
    (thresholds, history minimums) stays. Validated like any policy: receivers must exist."""
    section = alertmanager_config.parse(config)
    policy, _ = await get_policy(ctx, tenant_id)
    # NOTE: read-modify-write; two imports racing keep the later one whole, which is what a
    # person pasting a config expects (put_policy serialises the writes).
    return await put_policy(ctx, tenant_id, json.dumps({**policy.model_dump(mode="json"), "routing": section}))


async def policy_status(ctx: Context, tenant_id: str) -> dict[str, dict]:
    """Per rule: whether it can judge yet. Trend rules need history (days and reviews in their
    window) per scope; below it they say "insufficient_history" while per-review grading and
    attack detection work from the first review."""
    tenant = require_uuid(tenant_id, field="tenant_id")
    async with ctx.pool.acquire() as conn:
        policy = await effective(ctx, tenant, conn)
        today = ctx.clock().date()
        windows = {"rating_baseline": policy.baseline, "crisis": policy.crisis, "aspect_spike": policy.spikes}
        longest = max(r.history_days for r in windows.values())
        rows = await evaluation_repository.history_coverage(conn, tenant, first=today - timedelta(days=longest), last=today)
    status: dict[str, dict] = {
        rules.NEGATIVE_REVIEW: {"state": "active", "detail": "every live review is graded from the first one"},
        rules.COMPETITOR_ATTACK: {
            "state": "active",
            "detail": f"{policy.attacks.min_cluster_reviews}+ near-duplicate negatives on one product within "
            f"{policy.attacks.window_hours} h raise one escalation",
        },
    }
    kinds = {
        "rating_baseline": set(policy.baseline.scopes), "crisis": {"marketplace", "product"}, "aspect_spike": {"marketplace"},
    }
    for rule, section in windows.items():
        # NOTE: coverage is counted over the longest window; a rule with a shorter one may see less.
        scoped = [r for r in rows if r["kind"] in kinds[rule]]
        ready = sorted(f"{r['kind']}:{r['value']}" for r in scoped
                       if r["days"] >= section.min_history_days and r["reviews"] >= section.min_history_reviews)
        waiting = sorted(f"{r['kind']}:{r['value']}" for r in scoped
                         if f"{r['kind']}:{r['value']}" not in set(ready))
        state = "active" if ready and not waiting else "partial" if ready else "insufficient_history"
        need = f"{section.min_history_days} days with reviews and {section.min_history_reviews} reviews"
        detail = {
            "active": f"every scope has {need} of history",
            "partial": f"{len(waiting)} scope(s) still below {need}; they are not judged yet",
            "insufficient_history": f"insufficient history: no scope has {need} yet; per-review alerts still fire",
        }[state]
        status[rule] = {
            "state": state, "detail": detail, "min_history_days": section.min_history_days,
            "min_history_reviews": section.min_history_reviews, "significance": section.significance,
            "ready_scopes": len(ready), "waiting_scopes": waiting[:100],
        }
    return status
