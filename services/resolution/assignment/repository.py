"""SQL of teams and agents."""

from __future__ import annotations

import uuid
from datetime import time

import asyncpg

from services.resolution.assignment.models import Agent, Team


def to_team(row: asyncpg.Record) -> Team:
    return Team(
        id=row["id"],
        name=row["name"],
        markets=tuple(row["markets"]),
        timezone=row["timezone"],
        work_start=row["work_start"],
        work_end=row["work_end"],
        work_days=frozenset(row["work_days"]),
    )


def to_agent(row: asyncpg.Record) -> Agent:
    return Agent(
        id=row["id"],
        team_id=row["team_id"],
        name=row["name"],
        languages=frozenset(row["languages"]),
        skills=frozenset(row["skills"]),
        capacity=row["capacity"],
        away=row["away"],
        open_cases=row["open_cases"],
    )


async def put_team(
    conn: asyncpg.Connection,
    *,
    tenant_id: uuid.UUID,
    team_id: uuid.UUID | None,
    name: str,
    markets: list[str],
    timezone: str,
    work_start: time,
    work_end: time,
    work_days: list[int],
) -> asyncpg.Record | None:
    """Creates a team (or replaces it by id, or by name); None when the id is another tenant's."""
    if team_id is not None:
        return await conn.fetchrow(
            """UPDATE teams SET name = $3, markets = $4, timezone = $5, work_start = $6, work_end = $7, work_days = $8
               WHERE tenant_id = $1 AND id = $2 RETURNING *""",
            tenant_id, team_id, name, markets, timezone, work_start, work_end, work_days,
        )
    return await conn.fetchrow(
        """INSERT INTO teams (tenant_id, name, markets, timezone, work_start, work_end, work_days)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (tenant_id, name) DO UPDATE
             SET markets = EXCLUDED.markets, timezone = EXCLUDED.timezone, work_start = EXCLUDED.work_start,
                 work_end = EXCLUDED.work_end, work_days = EXCLUDED.work_days
           RETURNING *""",
        tenant_id, name, markets, timezone, work_start, work_end, work_days,
    )


async def list_teams(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> list[Team]:
    rows = await conn.fetch("SELECT * FROM teams WHERE tenant_id = $1 ORDER BY name", tenant_id)
    return [to_team(r) for r in rows]


# NOTE: an agent's load is read from agent_case_counts (kept by triggers on cases), not counted
# from the cases: a few rows per agent however many cases the tenant has.
_AGENTS = """SELECT a.*, (SELECT coalesce(sum(n.cases), 0) FROM agent_case_counts n
                          WHERE n.tenant_id = a.tenant_id AND n.agent_id = a.id AND n.status = ANY($2::smallint[]))::int AS open_cases
             FROM agents a WHERE a.tenant_id = $1"""


async def list_agents(conn: asyncpg.Connection, tenant_id: uuid.UUID, *, open_statuses: list[int]) -> list[Agent]:
    rows = await conn.fetch(_AGENTS + " ORDER BY a.name", tenant_id, open_statuses)
    return [to_agent(r) for r in rows]


async def get_agent(conn: asyncpg.Connection, tenant_id: uuid.UUID, agent_id: uuid.UUID, *, open_statuses: list[int]) -> Agent | None:
    row = await conn.fetchrow(_AGENTS + " AND a.id = $3", tenant_id, open_statuses, agent_id)
    return to_agent(row) if row else None


async def put_agent(
    conn: asyncpg.Connection,
    *,
    tenant_id: uuid.UUID,
    agent_id: uuid.UUID | None,
    team_id: uuid.UUID,
    name: str,
    languages: list[str],
    skills: list[str],
    capacity: int,
    away: bool,
) -> uuid.UUID | None:
    """Creates or replaces an agent (by id, else by name); None when the id or team is another tenant's."""
    team = await conn.fetchval("SELECT id FROM teams WHERE tenant_id = $1 AND id = $2", tenant_id, team_id)
    if team is None:
        return None
    if agent_id is not None:
        return await conn.fetchval(
            """UPDATE agents SET team_id = $3, name = $4, languages = $5, skills = $6, capacity = $7, away = $8
               WHERE tenant_id = $1 AND id = $2 RETURNING id""",
            tenant_id, agent_id, team_id, name, languages, skills, capacity, away,
        )
    return await conn.fetchval(
        """INSERT INTO agents (tenant_id, team_id, name, languages, skills, capacity, away)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (tenant_id, name) DO UPDATE
             SET team_id = EXCLUDED.team_id, languages = EXCLUDED.languages, skills = EXCLUDED.skills,
                 capacity = EXCLUDED.capacity, away = EXCLUDED.away
           RETURNING id""",
        tenant_id, team_id, name, languages, skills, capacity, away,
    )


async def set_away(conn: asyncpg.Connection, tenant_id: uuid.UUID, agent_id: uuid.UUID, away: bool) -> bool:
    return await conn.fetchval("UPDATE agents SET away = $3 WHERE tenant_id = $1 AND id = $2 RETURNING true", tenant_id, agent_id, away) or False


async def cases_of_away_agents(conn: asyncpg.Connection, *, open_statuses: list[int], limit: int = 200) -> list[asyncpg.Record]:
    """Open cases (of any tenant) whose owner is away: the scheduled loop reassigns them."""
    return await conn.fetch(
        """SELECT c.tenant_id, c.id FROM cases c JOIN agents a ON a.id = c.owner_agent_id
           WHERE a.away AND c.status = ANY($1::smallint[]) ORDER BY c.opened_at LIMIT $2""",
        open_statuses, limit,
    )


async def list_teams_of(conn: asyncpg.Connection, tenant_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Team]]:
    """The teams of several tenants in one query, by tenant (tenants without teams are absent)."""
    rows = await conn.fetch("SELECT * FROM teams WHERE tenant_id = ANY($1::uuid[]) ORDER BY tenant_id, name", tenant_ids)
    found: dict[uuid.UUID, list[Team]] = {}
    for row in rows:
        found.setdefault(row["tenant_id"], []).append(to_team(row))
    return found


async def list_agents_of(conn: asyncpg.Connection, tenant_ids: list[uuid.UUID], *, open_statuses: list[int]) -> dict[uuid.UUID, list[Agent]]:
    """The agents of several tenants with their current load, in one query, by tenant."""
    rows = await conn.fetch(
        """SELECT a.*, coalesce(l.open_cases, 0)::int AS open_cases
           FROM agents a
           LEFT JOIN (SELECT agent_id, sum(cases) AS open_cases FROM agent_case_counts
                      WHERE tenant_id = ANY($1::uuid[]) AND status = ANY($2::smallint[])
                      GROUP BY agent_id) l ON l.agent_id = a.id
           WHERE a.tenant_id = ANY($1::uuid[]) ORDER BY a.tenant_id, a.name""",
        tenant_ids, open_statuses,
    )
    found: dict[uuid.UUID, list[Agent]] = {}
    for row in rows:
        found.setdefault(row["tenant_id"], []).append(to_agent(row))
    return found
