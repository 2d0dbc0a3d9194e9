"""Chooses the owner of a case: the team of its market, the best-matching agent, the lightest load."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from services.resolution.appeals.service import letter_language
from services.resolution.assignment.models import Agent, CaseNeeds, Choice, Team
from services.resolution.calendar.models import WorkingHours
from services.resolution.calendar.service import MARKETPLACE_ALIASES, add_business_hours, is_business_time, load_calendar, market_for

log = logging.getLogger(__name__)


def canonical_market(marketplace: str) -> str:
    """"GB" for "UK" or "co.uk"; the code itself when the calendar does not know it."""
    # NOTE: only the alias table is needed here, not a calendar (building one loads its holidays).
    code = marketplace.strip().upper()
    return MARKETPLACE_ALIASES.get(code, code)


def team_calendar(team: Team):
    """The team's business calendar: its zone and hours, the holidays of its first market."""
    return load_calendar(
        marketplace=team.markets[0],
        timezone_name=team.timezone,
        hours=WorkingHours(start=team.work_start, end=team.work_end, days=team.work_days),
    )


def _next_opening(team: Team, now: datetime, calendar) -> datetime:
    # NOTE: zero business hours after `now` is the next moment the team is at work.
    return add_business_hours(now, 0, calendar)


def choose(
    *, needs: CaseNeeds, teams: Iterable[Team], agents: Iterable[Agent], now: datetime, exclude: frozenset = frozenset(),
    calendars: dict | None = None,
) -> Choice | None:
    """The agent who should own a case now, or None when no team serves its market.

    Teams serving the case's market come first; among their present agents (not away, not
    excluded, under capacity when possible) those speaking the case's language and having its
    skill are preferred, then those with the language, then anyone. Teams at work now beat teams
    that are off (then the one opening soonest wins), and the lowest load wins inside a team set.
    """
    market = canonical_market(needs.marketplace)
    serving = [t for t in teams if market in {canonical_market(m) for m in t.markets}]
    if not serving:
        return None
    present = [a for a in agents if not a.away and a.id not in exclude]
    by_team = {t.id: t for t in serving}
    pool = [a for a in present if a.team_id in by_team]
    if not pool:
        return None
    # NOTE: a calendar (with its holidays) is costly to build; a caller choosing for many cases passes
    # one dict for all of them.
    calendars = calendars if calendars is not None else {}
    for t in serving:
        if t not in calendars:
            calendars[t] = team_calendar(t)
    on_shift = {t.id for t in serving if is_business_time(now, calendars[t])}
    if on_shift:
        candidates = [a for a in pool if a.team_id in on_shift] or pool
    else:
        candidates = pool
    if not on_shift or not any(a.team_id in on_shift for a in candidates):
        # NOTE: nobody is at work; the team that opens first owns it so the morning shift finds it.
        opening = {t.id: _next_opening(t, now, calendars[t]) for t in serving}
        first = min(opening[a.team_id] for a in candidates)
        candidates = [a for a in candidates if opening[a.team_id] - first < timedelta(minutes=1)]
    language = needs.language.lower()
    tiers = (
        ("language+skill", [a for a in candidates if language in a.languages and (not needs.skill or not a.skills or needs.skill in a.skills)]),
        ("language", [a for a in candidates if language in a.languages]),
        ("any", candidates),
    )
    for match, group in tiers:
        if group:
            # NOTE: agents under capacity first, then the lightest relative load, then name for stability.
            best = min(group, key=lambda a: (a.open_cases >= a.capacity, a.load, a.open_cases, a.name))
            team = by_team[best.team_id]
            return Choice(agent=best, team=team, on_shift=best.team_id in on_shift, match=match)
    return None


def default_language(marketplace: str) -> str:
    """The language a marketplace's buyers are answered in by default."""
    return letter_language(marketplace)


def validate_market(marketplace: str) -> str:
    """The canonical market code, refusing codes the calendars do not know."""
    market_for(marketplace)
    return canonical_market(marketplace)
