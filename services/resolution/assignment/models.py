"""Teams and agents as assignment sees them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True)
class Team:
    """A regional team: the markets it serves, in its time zone and working hours."""

    id: uuid.UUID
    name: str
    markets: tuple[str, ...]
    timezone: str
    work_start: time
    work_end: time
    work_days: frozenset[int]


@dataclass(frozen=True)
class Agent:
    """Someone who owns cases; `open_cases` is their current load."""

    id: uuid.UUID
    team_id: uuid.UUID
    name: str
    languages: frozenset[str]
    skills: frozenset[str]
    capacity: int
    away: bool
    open_cases: int = 0

    @property
    def load(self) -> float:
        return self.open_cases / self.capacity


@dataclass(frozen=True)
class CaseNeeds:
    """What a case asks of its owner."""

    marketplace: str
    language: str
    skill: str


@dataclass(frozen=True)
class Choice:
    """The agent chosen and why (on shift or the next team to open; how well they matched)."""

    agent: Agent
    team: Team
    on_shift: bool
    match: str
