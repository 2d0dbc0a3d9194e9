"""Use cases of assignment: give cases their best owner (new ones in bulk, one on demand, the cases of
an agent who is away), and keep the tenant's teams and agents.

Functions over a `Context` or, inside the caller's transaction, a connection.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, time

import asyncpg

from libs.db import get_for_tenant
from libs.errors import FieldViolation, InvalidArgument, NotFound
from reviewguard.resolution.v1 import resolution_pb2
from services.resolution import repository
from services.resolution.assignment import repository as assignment_repository
from services.resolution.assignment import service as assignment
from services.resolution.assignment.models import Agent, CaseNeeds, Team
from services.resolution.calendar.service import load_calendar
from services.resolution.cases.models import ASSIGNED, FINAL, NEW, OPEN, status_name
from services.resolution.cases import repository as cases_repository
from services.resolution.cases.repository import NewEvent
from services.resolution.context import Context

OPEN_STATUSES = sorted(OPEN)


async def assign_new(conn: asyncpg.Connection, rows: list[asyncpg.Record], *, now: datetime) -> dict[uuid.UUID, asyncpg.Record]:
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


async def assign(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID) -> asyncpg.Record:
    """Assigns (or reassigns) an open case to its best owner now."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await get_for_tenant(conn, repository.lock, tenant_id=tenant, item_id=case, field="case_id", missing=f"case {case} not found")
        if row["status"] in FINAL:
            raise InvalidArgument(f"case is {status_name(row['status'])}; it is not assigned any more")
        assigned = await assign_one(conn, row, now=ctx.clock(), actor="api")
        if assigned is None:
            raise NotFound(f"no available agent serves marketplace {row['marketplace'] or '(none)'}")
    return assigned


async def reassign_away(ctx: Context, *, now: datetime) -> int:
    """Reassigns open cases whose owner is away; returns how many moved."""
    moved = 0
    async with ctx.pool.acquire() as conn:
        for ref in await assignment_repository.cases_of_away_agents(conn, open_statuses=OPEN_STATUSES):
            async with conn.transaction():
                row = await repository.lock(conn, ref["tenant_id"], ref["id"])
                if row is None:
                    continue
                reassigned = await assign_one(conn, row, now=now, actor="system:away", exclude=frozenset({row["owner_agent_id"]}))
                if reassigned is not None:
                    moved += 1
    return moved


async def assign_waiting(ctx: Context, *, now: datetime) -> int:
    """Assigns new cases that found no agent when they opened (e.g. teams set up later)."""
    assigned = 0
    async with ctx.pool.acquire() as conn:
        for ref in await repository.unassigned_open(conn, statuses=[NEW]):
            async with conn.transaction():
                row = await repository.lock(conn, ref["tenant_id"], ref["id"])
                if row is not None and row["owner_agent_id"] is None and await assign_one(conn, row, now=now, actor="system") is not None:
                    assigned += 1
    return assigned


# ---- teams and agents --------------------------------------------------------------------------


def _team_markets(team: resolution_pb2.Team, violations: list[FieldViolation]) -> list[str]:
    markets = []
    for i, market in enumerate(team.markets):
        try:
            markets.append(assignment.validate_market(market))
        except InvalidArgument:
            # NOTE: the first market gives the team its holidays, so it needs a calendar; further
            # ones (e.g. AT served from Germany) only need to be market codes.
            if i > 0 and len(market.strip()) == 2 and market.strip().isalpha():
                markets.append(market.strip().upper())
            else:
                violations.append(FieldViolation(f"markets[{i}]", f"unknown marketplace {market!r}"))
    if not team.markets:
        violations.append(FieldViolation("markets", "at least one marketplace"))
    return markets


async def put_team(ctx: Context, *, tenant: uuid.UUID, team_id: uuid.UUID | None, team: resolution_pb2.Team) -> Team:
    """Creates or replaces a team: its markets (the first gives its calendar), time zone and working hours."""
    violations = []
    if not team.name.strip():
        violations.append(FieldViolation("name", "required"))
    markets = _team_markets(team, violations)
    try:
        load_calendar(marketplace=markets[0] if markets else "US", timezone_name=team.timezone or None).tz
    except Exception:  # noqa: BLE001 - zoneinfo raises several kinds
        violations.append(FieldViolation("timezone", "an IANA time zone such as Europe/Berlin"))
    hours = []
    for name, value, default in (("work_start", team.work_start, time(9)), ("work_end", team.work_end, time(18))):
        try:
            hours.append(time.fromisoformat(value) if value else default)
        except ValueError:
            violations.append(FieldViolation(name, "HH:MM"))
    if len(hours) == 2 and not hours[0] < hours[1]:
        violations.append(FieldViolation("work_end", "after work_start"))
    days = sorted(set(team.work_days)) or [0, 1, 2, 3, 4]
    if any(d < 0 or d > 6 for d in days):
        violations.append(FieldViolation("work_days", "0 (Monday) to 6 (Sunday)"))
    if violations:
        raise InvalidArgument(f"{len(violations)} invalid team field(s)", violations)
    async with ctx.pool.acquire() as conn:
        row = await assignment_repository.put_team(
            conn, tenant_id=tenant, team_id=team_id, name=team.name.strip(),
            markets=markets, timezone=team.timezone or load_calendar(marketplace=markets[0]).timezone,
            work_start=hours[0], work_end=hours[1], work_days=days,
        )
    if row is None:
        raise NotFound(f"team {team.id} not found")
    return assignment_repository.to_team(row)


async def list_teams(ctx: Context, *, tenant: uuid.UUID) -> list[Team]:
    async with ctx.pool.acquire() as conn:
        return await assignment_repository.list_teams(conn, tenant)


async def put_agent(
    ctx: Context, *, tenant: uuid.UUID, agent_id: uuid.UUID | None, team: uuid.UUID, agent: resolution_pb2.Agent
) -> Agent:
    """Creates or replaces an agent of one of the tenant's teams."""
    if not agent.name.strip():
        raise InvalidArgument("agent name is required", [FieldViolation("name", "required")])
    if agent.capacity < 0:
        raise InvalidArgument("capacity must be positive", [FieldViolation("capacity", "> 0")])
    async with ctx.pool.acquire() as conn:
        stored_id = await assignment_repository.put_agent(
            conn, tenant_id=tenant, agent_id=agent_id, team_id=team,
            name=agent.name.strip(), languages=sorted({lang.lower() for lang in agent.languages}),
            skills=sorted({s.lower() for s in agent.skills}), capacity=agent.capacity or 20, away=agent.away,
        )
        if stored_id is None:
            raise NotFound(f"team {agent.team_id} or agent {agent.id} not found")
        return await assignment_repository.get_agent(conn, tenant, stored_id, open_statuses=OPEN_STATUSES)


async def list_agents(ctx: Context, *, tenant: uuid.UUID) -> list[Agent]:
    async with ctx.pool.acquire() as conn:
        return await assignment_repository.list_agents(conn, tenant, open_statuses=OPEN_STATUSES)


async def set_away(ctx: Context, *, tenant: uuid.UUID, agent: uuid.UUID, away: bool) -> Agent:
    """Marks an agent away (their open cases go to others at once) or back."""
    async with ctx.pool.acquire() as conn:
        if not await assignment_repository.set_away(conn, tenant, agent, away):
            raise NotFound(f"agent {agent} not found")
    if away:
        await reassign_away(ctx, now=ctx.clock())
    async with ctx.pool.acquire() as conn:
        return await assignment_repository.get_agent(conn, tenant, agent, open_statuses=OPEN_STATUSES)
