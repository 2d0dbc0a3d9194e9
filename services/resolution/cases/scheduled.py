"""Scheduled work on cases: SLA warnings and breaches, each recorded once as a case event."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from libs import topology
from services.resolution import repository
from services.resolution.cases.models import OPEN
from services.resolution.context import Context
from services.resolution.policy.models import TenantPolicy

OPEN_STATUSES = sorted(OPEN)


async def run_sla_checks(ctx: Context, *, now: datetime) -> int:
    """Records (once each) SLA warnings and breaches of open cases as of `now`; returns how many."""
    noticed = 0
    async with ctx.pool.acquire() as conn:
        policies: dict[uuid.UUID, TenantPolicy] = {}
        horizon = now + timedelta(hours=24)
        for row in await repository.sla_candidates(conn, open_statuses=OPEN_STATUSES, horizon=horizon):
            tenant = row["tenant_id"]
            if tenant not in policies:
                policies[tenant] = await ctx.policy(conn, tenant)
            lead = timedelta(minutes=policies[tenant].sla_warning_minutes)
            checks = [("resolution", row["due_at"])]
            if row["first_response_at"] is None:
                checks.append(("first_response", row["first_response_due_at"]))
            for sla, due in checks:
                stage = "breached" if now >= due else "warning" if now >= due - lead else None
                if stage is None:
                    continue
                # NOTE: the unique index on (case, kind, sla) makes a repeated notice a no-op (None).
                event = await repository.add_event(
                    conn, tenant_id=tenant, case_id=row["id"], kind=f"sla_{stage}", at=now, from_status=row["status"],
                    to_status=row["status"], actor="system:sla", detail={"sla": sla, "due_at": due.isoformat(), "url": ctx.case_url(row["id"])},
                    subject=topology.CASE_SLA_BREACHED if stage == "breached" else topology.CASE_SLA_WARNING,
                )
                noticed += event is not None
    return noticed
