"""Use cases of a case's life: open many at once, read, update, move along the state machine.

Functions over a `Context`; a function that takes a connection runs inside the caller's
transaction. Moving a case writes only the case and its audit entry: what follows from the move
(A/B outcomes, the knowledge base) runs from the case-events outbox (`services.resolution.relay`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import asyncpg

from libs import paging, topology
from libs.db import get_for_tenant
from libs.errors import FieldViolation, InvalidArgument
from reviewguard.alerting.v1 import alert_pb2
from services.resolution import repository
from services.resolution.assignment import flows as assignment
from services.resolution.assignment import service as assignment_rules
from services.resolution.calendar.service import add_business_hours, load_calendar
from services.resolution.cases import repository as cases_repository
from services.resolution.cases.models import APPEAL_ACCEPTED, ASSIGNED, CONTACTED, NEW, OUTCOME_BY_REASON, RESOLVED
from services.resolution.cases.repository import NewCase, NewEvent
from services.resolution.cases.service import check_transition
from services.resolution.context import Context
from services.resolution.customers import flows as customers
from services.resolution.policy.models import TenantPolicy
from services.resolution.sla import SlaPolicy
from services.resolution.templates import service as templates
from services.resolution.templates.models import Scenario

log = logging.getLogger(__name__)

# NOTE: an alert about a case's SLA belongs to that case; it opens no new one.
CASE_SLA_RULE = "case_sla"


async def locked(conn: asyncpg.Connection, tenant: uuid.UUID, case: uuid.UUID) -> asyncpg.Record:
    """The tenant's case, locked for the transaction; NotFound for another tenant's case or a made-up id."""
    return await get_for_tenant(conn, repository.lock, tenant_id=tenant, item_id=case, field="case_id", missing=f"case {case} not found")


async def require(conn: asyncpg.Connection, tenant: uuid.UUID, case: uuid.UUID) -> asyncpg.Record:
    """The tenant's case; NotFound for another tenant's case (as unknown as a made-up id)."""
    return await get_for_tenant(conn, repository.get, tenant_id=tenant, item_id=case, field="case_id", missing=f"case {case} not found")


def due_times(policy: TenantPolicy, severity: int, opened_at: datetime, marketplace: str) -> tuple[datetime, datetime]:
    """Resolution and first-response due times, in elapsed hours or the market's business hours."""
    sla = SlaPolicy(high_hours=policy.sla_high_hours, normal_hours=policy.sla_normal_hours, first_response_hours=policy.sla_first_response_hours)
    if policy.sla_clock != "business":
        return sla.due_at(severity, opened_at), sla.first_response_due_at(opened_at)
    try:
        calendar = load_calendar(marketplace=marketplace)
    except InvalidArgument:
        # NOTE: a market without a calendar falls back to wall-clock hours rather than losing the case.
        log.warning("no business calendar for marketplace %r; SLA in elapsed hours", marketplace)
        return sla.due_at(severity, opened_at), sla.first_response_due_at(opened_at)
    hours = sla.due_at(severity, opened_at) - opened_at
    due = add_business_hours(opened_at, hours.total_seconds() / 3600, calendar)
    first = add_business_hours(opened_at, sla.first_response_hours, calendar)
    return due.astimezone(timezone.utc), first.astimezone(timezone.utc)


def opens_case(alert: alert_pb2.Alert) -> bool:
    """Whether an alert asks for a case: not a case's own SLA alert, not a review captured as history."""
    # NOTE: history reviews raise no per-review alert upstream; an alert labelled history (e.g. a
    # bulk triage of the backlog that did not ask for cases) is the one path left, closed here.
    return alert.rule != CASE_SLA_RULE and alert.labels.get("history", "") not in ("true", "1")


@dataclass(frozen=True)
class Opened:
    """The stored case of one alert, and whether this call created it."""

    row: asyncpg.Record
    created: bool


async def open_for_alerts(ctx: Context, conn: asyncpg.Connection, alerts: list[alert_pb2.Alert]) -> list[Opened]:
    """Opens the case of every alert (idempotent), in one transaction of set-based statements.

    One query loads the tenants' policies, one inserts the cases, one reads the existing ones, two
    link the review's order, two load teams and agents (assignment is computed here, load counted
    as cases are handed out), one sets the owners, one writes every audit entry.
    """
    if not alerts:
        return []
    now = ctx.clock()
    policies = await ctx.policies(conn, [uuid.UUID(a.tenant_id) for a in alerts])
    wanted = []
    for alert in alerts:
        tenant = uuid.UUID(alert.tenant_id)
        # NOTE: the SLA clock starts when the alert fired, not when this consumer got to it.
        opened_at = alert.fired_at.ToDatetime(tzinfo=timezone.utc) if alert.HasField("fired_at") else now
        due_at, first_due = due_times(policies[tenant], alert.severity, opened_at, alert.marketplace)
        wanted.append(NewCase(
            tenant_id=tenant, alert_id=uuid.UUID(alert.id), review_id=uuid.UUID(alert.review_id) if alert.review_id else None,
            severity=alert.severity, product_id=alert.product_id, marketplace=alert.marketplace, opened_at=opened_at,
            due_at=due_at, first_response_due_at=first_due, platform=alert.platform.lower(),
            language=assignment_rules.default_language(alert.marketplace) if alert.marketplace else "",
            summary="\n".join(p for p in (alert.summary, *alert.reasons) if p),
        ))
    rows, created = await cases_repository.open_many(conn, wanted)
    # NOTE: the same alert twice in one batch (a redelivery that caught up) opens, records and assigns once.
    fresh: dict[uuid.UUID, tuple[alert_pb2.Alert, asyncpg.Record]] = {}
    for alert, row in zip(alerts, rows):
        if row["id"] in created and row["id"] not in fresh:
            fresh[row["id"]] = (alert, row)
    # NOTE: the opened events go in before the order links and assignments, so the trail reads in order.
    await cases_repository.add_events(conn, [
        NewEvent(tenant_id=row["tenant_id"], case_id=row["id"], kind="opened", at=row["opened_at"], to_status=NEW,
                 detail={"alert_id": alert.id, "rule": alert.rule, "url": ctx.case_url(row["id"])}, subject=topology.CASE_OPENED,
                 published_at=now)
        for alert, row in fresh.values()
    ])
    linked = {r["id"]: r for r in await customers.link_cases(ctx, conn, list(fresh))} if fresh else {}
    assigned = await assignment.assign_new(conn, [linked.get(case_id, row) for case_id, (_, row) in fresh.items()], now=now)
    return [Opened(row=assigned.get(r["id"]) or linked.get(r["id"]) or r, created=r["id"] in created) for r in rows]


async def move(
    ctx: Context, conn: asyncpg.Connection, row: asyncpg.Record, *, to: int, reason: int = 0, actor: str, note: str = "",
    detail: dict | None = None,
) -> asyncpg.Record:
    """Applies one allowed transition inside the caller's transaction: the case and its audit entry."""
    check_transition(current=row["status"], target=to, reason=reason)
    now = ctx.clock()
    values: dict = {"status": to, "updated_at": now}
    if to == RESOLVED:
        values |= {"resolution_reason": reason, "resolved_at": now}
    if to == APPEAL_ACCEPTED:
        values["resolved_at"] = now
    if to == CONTACTED and row["first_response_at"] is None:
        values["first_response_at"] = now
    updated = await repository.update(conn, row["id"], **values)
    facts = dict(detail or {})
    if note:
        facts["note"] = note
    if to == RESOLVED:
        # NOTE: the reason's name is also what the follow-on effects read back (see relay.py).
        facts["reason"] = OUTCOME_BY_REASON[reason]
    await repository.add_event(
        conn, tenant_id=row["tenant_id"], case_id=row["id"], kind="transition", at=now, from_status=row["status"], to_status=to,
        actor=actor, detail=facts,
    )
    return updated


# ---- the case API ------------------------------------------------------------------------------


async def list_cases(ctx: Context, *, tenant: uuid.UUID, review: uuid.UUID | None, status: int, page_size: int, page_token: str):
    """One page of the tenant's cases, newest first, and the next page's token ("" on the last)."""
    limit = paging.page_size(page_size)
    async with ctx.pool.acquire() as conn:
        rows = await repository.list_cases(
            conn, tenant, review_id=review, status=status or None, after=paging.decode(page_token), limit=limit + 1
        )
    return paging.page(rows, limit, key=lambda r: (r["opened_at"], r["id"]))


async def get_case(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID) -> asyncpg.Record:
    async with ctx.pool.acquire() as conn:
        return await require(conn, tenant, case)


async def list_events(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID) -> list[asyncpg.Record]:
    async with ctx.pool.acquire() as conn:
        await require(conn, tenant, case)
        return await repository.list_events(conn, tenant, case)


async def transition(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID, to_status: int, reason: int, actor: str, note: str) -> asyncpg.Record:
    """Moves a case to `to_status` if the state machine allows it (resolving needs a reason)."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await locked(conn, tenant, case)
        if to_status == ASSIGNED and row["owner_agent_id"] is None:
            row = await assignment.assign_one(conn, row, now=ctx.clock(), actor=actor) or row
            if row["status"] == ASSIGNED:
                return row
        return await move(ctx, conn, row, to=to_status, reason=reason, actor=actor, note=note)


async def update_case(
    ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID, language: str, issue_type: str, customer_id: str, order_id: str, platform: str,
    actor: str,
) -> asyncpg.Record:
    """Records what was learnt about a case; an empty field keeps its value."""
    values: dict[str, str] = {}
    if language:
        values["language"] = templates.resolve_language(language)
    if issue_type:
        try:
            values["issue_type"] = str(Scenario(issue_type))
        except ValueError:
            raise InvalidArgument(
                f"unknown issue type {issue_type!r}", [FieldViolation("issue_type", f"one of {', '.join(s.value for s in Scenario)}")]
            ) from None
    if platform:
        checker = ctx.toolkit.checker
        if platform.lower() not in checker.policies:
            raise InvalidArgument(f"unknown platform {platform!r}", [FieldViolation("platform", ", ".join(checker.platforms))])
        values["platform"] = platform.lower()
    values |= {k: v for k, v in (("customer_id", customer_id), ("order_id", order_id)) if v}
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await locked(conn, tenant, case)
        changed = {k: v for k, v in values.items() if row[k] != v}
        if changed:
            now = ctx.clock()
            row = await repository.update(conn, case, **changed, updated_at=now)
            await repository.add_event(
                conn, tenant_id=tenant, case_id=case, kind="details_updated", at=now, from_status=row["status"],
                to_status=row["status"], actor=actor, detail=changed,
            )
            if "order_id" in changed:
                # NOTE: a case pointed at another order forgets the old one's value until the new one is known.
                row = await repository.update(conn, case, order_value=None, order_currency="", fulfilment="", annual_spend_usd=None)
                linked = await customers.link_cases(ctx, conn, [case])
                row = linked[0] if linked else row
    return row
