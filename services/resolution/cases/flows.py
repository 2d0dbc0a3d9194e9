"""Use cases of a case's life: open many at once, assign, move along the state machine.

Functions over a `Context`; each runs inside the caller's transaction where it takes a connection.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import asyncpg

from libs import topology
from libs.errors import InvalidArgument, NotFound
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.resolution.v1 import case_pb2
from services.resolution import repository
from services.resolution.assignment import repository as assignment_repository
from services.resolution.assignment import service as assignment
from services.resolution.assignment.models import Agent, CaseNeeds
from services.resolution.calendar.service import add_business_hours, load_calendar
from services.resolution.cases import repository as cases_repository
from services.resolution.cases.models import APPEAL_ACCEPTED, ASSIGNED, AWAITING_CUSTOMER, CONTACTED, FINAL, NEW, OPEN, OUTCOME_BY_REASON, RESOLVED, status_name
from services.resolution.cases.repository import NewCase, NewEvent
from services.resolution.cases.service import check_transition
from services.resolution.context import Context
from services.resolution.customers import flows as customers
from services.resolution.knowledge import repository as knowledge_repository
from services.resolution.knowledge import service as knowledge
from services.resolution.policy.models import TenantPolicy
from services.resolution.sla import SlaPolicy
from services.resolution.templates import repository as replies_repository

log = logging.getLogger(__name__)

OPEN_STATUSES = sorted(OPEN)
# NOTE: an alert about a case's SLA belongs to that case; it opens no new one.
CASE_SLA_RULE = "case_sla"


async def locked(conn: asyncpg.Connection, tenant: uuid.UUID, case: uuid.UUID) -> asyncpg.Record:
    row = await repository.lock(conn, tenant, case)
    if row is None:
        raise NotFound(f"case {case} not found")
    return row


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
            language=assignment.default_language(alert.marketplace) if alert.marketplace else "",
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
    assigned = await _assign_new(conn, [linked.get(case_id, row) for case_id, (_, row) in fresh.items()], now=now)
    return [Opened(row=assigned.get(r["id"]) or linked.get(r["id"]) or r, created=r["id"] in created) for r in rows]


async def _assign_new(conn: asyncpg.Connection, rows: list[asyncpg.Record], *, now: datetime) -> dict[uuid.UUID, asyncpg.Record]:
    """Gives each new case its best owner, loading every tenant's teams and agents once."""
    tenants = list({r["tenant_id"] for r in rows})
    if not tenants:
        return {}
    teams = await assignment_repository.list_teams_of(conn, tenants)
    if not teams:
        return {}
    agents = await assignment_repository.list_agents_of(conn, [t for t in tenants if t in teams], open_statuses=OPEN_STATUSES)
    plan, events = [], []
    calendars: dict = {}
    for row in rows:
        tenant = row["tenant_id"]
        if tenant not in teams:
            continue
        pool: list[Agent] = agents.get(tenant, [])
        needs = CaseNeeds(marketplace=row["marketplace"], language=row["language"], skill=row["issue_type"])
        choice = assignment.choose(needs=needs, teams=teams[tenant], agents=pool, now=now, calendars=calendars)
        if choice is None:
            continue
        # NOTE: the load grows with each case handed out in this batch, as it would one by one.
        agents[tenant] = [replace(a, open_cases=a.open_cases + 1) if a.id == choice.agent.id else a for a in pool]
        plan.append((row["id"], choice.team.id, choice.agent.id, choice.agent.name, ASSIGNED))
        events.append(NewEvent(
            tenant_id=tenant, case_id=row["id"], kind="assigned", at=now, from_status=row["status"], to_status=ASSIGNED, actor="system",
            detail={"owner": choice.agent.name, "previous_owner": "", "team": choice.team.name, "on_shift": choice.on_shift, "match": choice.match},
        ))
    updated = await cases_repository.set_owners(conn, plan, now)
    await cases_repository.add_events(conn, events)
    return updated


async def assign_one(
    conn: asyncpg.Connection, row: asyncpg.Record, *, now: datetime, actor: str, exclude: frozenset = frozenset()
) -> asyncpg.Record | None:
    """Gives one case its best owner now; None when no agent serves its market."""
    tenant = row["tenant_id"]
    teams = await assignment_repository.list_teams(conn, tenant)
    if not teams:
        return None
    agents = await assignment_repository.list_agents(conn, tenant, open_statuses=OPEN_STATUSES)
    needs = CaseNeeds(marketplace=row["marketplace"], language=row["language"], skill=row["issue_type"])
    choice = assignment.choose(needs=needs, teams=teams, agents=agents, now=now, exclude=exclude)
    if choice is None:
        return None
    if choice.agent.id == row["owner_agent_id"]:
        return row
    previous = row["owner"]
    status = ASSIGNED if row["status"] == NEW else row["status"]
    updated = await repository.update(
        conn, row["id"], team_id=choice.team.id, owner_agent_id=choice.agent.id, owner=choice.agent.name, status=status, updated_at=now
    )
    await repository.add_event(
        conn, tenant_id=tenant, case_id=row["id"], kind="reassigned" if previous else "assigned", at=now,
        from_status=row["status"], to_status=status, actor=actor,
        detail={"owner": choice.agent.name, "previous_owner": previous, "team": choice.team.name, "on_shift": choice.on_shift, "match": choice.match},
    )
    return updated


async def move(
    ctx: Context, conn: asyncpg.Connection, row: asyncpg.Record, *, to: int, reason: int = 0, actor: str, note: str = "",
    detail: dict | None = None,
) -> asyncpg.Record:
    """Applies one allowed transition inside the caller's transaction, with its side effects."""
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
        facts["reason"] = OUTCOME_BY_REASON[reason]
    await repository.add_event(
        conn, tenant_id=row["tenant_id"], case_id=row["id"], kind="transition", at=now, from_status=row["status"], to_status=to,
        actor=actor, detail=facts,
    )
    # NOTE: A/B outcomes: leaving "awaiting customer" other than for "no response" means the buyer
    # answered; resolving with the buyer satisfied or the review updated counts as a success.
    if row["status"] == AWAITING_CUSTOMER and not (to == RESOLVED and reason == case_pb2.RESOLUTION_REASON_NO_RESPONSE):
        await replies_repository.mark_outcome(conn, row["id"], responded=True)
    if to == RESOLVED and reason != case_pb2.RESOLUTION_REASON_NO_RESPONSE:
        await replies_repository.mark_outcome(conn, row["id"], resolved=True)
    if to in FINAL:
        await remember(conn, updated, outcome=OUTCOME_BY_REASON.get(reason, status_name(to)), at=now)
    return updated


async def remember(conn: asyncpg.Connection, row: asyncpg.Record, *, outcome: str, at: datetime) -> None:
    """Adds a handled case to the knowledge base."""
    notes, replies, letters = await knowledge_repository.case_texts(conn, row["id"])
    await knowledge_repository.upsert(
        conn, tenant_id=row["tenant_id"], case_id=row["id"], issue_type=row["issue_type"], marketplace=row["marketplace"].upper(),
        region=knowledge.region_of(row["marketplace"]) if row["marketplace"] else "OTHER", outcome=outcome, platform=row["platform"],
        language=row["language"], text=knowledge.entry_text(summary=row["summary"], replies=replies, notes=notes, appeal_letters=letters),
        resolved_at=at,
    )
