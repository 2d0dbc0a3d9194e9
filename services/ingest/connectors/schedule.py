"""When to poll each source and from where, with no database: state in, state out.

A source's `SourceState` is a plain JSON-serialisable dict once `to_json`'d, meant for one row per
source (with its encrypted credentials beside it). A poll reads `since_for` the state, pages with
`sync`, hands each page's reviews to a sink and checkpoints the state after every page, so a crash
resumes mid-run. The repository that stores states plugs in through `SourceStateStore`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from pydantic import BaseModel, Field, field_validator

from reviewguard.ingest.v1 import review_pb2
from services.ingest.connectors.base import Connector, Cursor, Skipped, newest_posted, sync
from services.ingest.connectors.errors import ConnectorError

log = logging.getLogger(__name__)

# SPEC §2: a negative review is captured within 5 minutes of being posted.
MAX_INTERVAL = timedelta(minutes=5)


class PollPolicy(BaseModel):
    """How often and how far back one source is read.

    Attributes:
        interval: pause between two polls of a caught-up source; under 5 minutes (SPEC §2).
        backfill_days: how much history the first sync reads.
        overlap: how far before the last watermark each poll looks again, for late-indexed reviews
            (re-reading is harmless: ingest stores each review once).
        max_pages_per_poll: a long backfill is spread over polls this many pages at a time.
        retry_initial / retry_max: backoff after a transient failure, doubling per failure.
    """

    interval: timedelta = timedelta(minutes=2)
    backfill_days: int = Field(default=90, ge=0, le=3650)
    overlap: timedelta = timedelta(minutes=30)
    max_pages_per_poll: int = Field(default=50, ge=1)
    retry_initial: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(minutes=15)

    @field_validator("interval")
    @classmethod
    def _interval_under_five_minutes(cls, value: timedelta) -> timedelta:
        if not timedelta(0) < value < MAX_INTERVAL:
            raise ValueError("poll interval must be more than 0 and under 5 minutes to capture reviews within 5 minutes")
        return value


@dataclass(frozen=True)
class SourceState:
    """Where one source stands.

    Attributes:
        cursor: the connector's position inside an unfinished run; None between runs.
        run_since: the lower bound of the unfinished run (kept so a resumed run reads the same window).
        run_newest: the newest posted_at seen so far in the unfinished run.
        watermark: the newest posted_at of the last finished run; None before the first.
        next_poll_at: when the source is next due; None while paused.
        failures: consecutive failed polls.
        paused_reason: set on a permanent failure (credentials rejected, ...) until someone resumes it.
        last_error: the last failure's message (already free of secrets).
    """

    cursor: Cursor | None = None
    run_since: datetime | None = None
    run_newest: datetime | None = None
    watermark: datetime | None = None
    last_success_at: datetime | None = None
    next_poll_at: datetime | None = None
    failures: int = 0
    paused_reason: str | None = None
    last_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The state as a JSON-serialisable dict (datetimes as ISO 8601 strings)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SourceState:
        """The state `to_json` produced; an empty or missing dict is a source never polled."""
        if not data:
            return cls()
        values: dict[str, Any] = {}
        for name, spec in cls.__dataclass_fields__.items():
            if name not in data:
                continue
            value = data[name]
            if value is not None and "datetime" in str(spec.type):
                value = datetime.fromisoformat(value)
            values[name] = value
        return cls(**values)


class SourceStateStore(Protocol):
    """What a repository provides to persist source states (PostgreSQL, wired in later)."""

    async def load(self, source_id: str) -> SourceState: ...

    async def save(self, source_id: str, state: SourceState) -> None: ...


def since_for(state: SourceState, policy: PollPolicy, now: datetime) -> datetime:
    """The lower bound of the next run: the unfinished run's, else watermark − overlap, else the backfill depth."""
    if state.run_since is not None:
        return state.run_since
    if state.watermark is not None:
        return state.watermark - policy.overlap
    return now - timedelta(days=policy.backfill_days)


def is_due(state: SourceState, now: datetime) -> bool:
    """Whether the source should be polled now (never while paused)."""
    if state.paused_reason is not None:
        return False
    return state.next_poll_at is None or state.next_poll_at <= now


def next_poll_at(state: SourceState, policy: PollPolicy, now: datetime) -> datetime | None:
    """When to poll next given the state after a poll: soon mid-backfill, after a backoff on failure,
    never while paused, else one interval from now."""
    if state.paused_reason is not None:
        return None
    if state.failures:
        backoff = policy.retry_initial * (2 ** (state.failures - 1))
        return now + min(backoff, policy.retry_max)
    if state.cursor is not None:
        return now
    return now + policy.interval


def after_page(state: SourceState, *, since: datetime, next_cursor: Cursor | None, reviews: list[review_pb2.Review]) -> SourceState:
    """The checkpoint after one page was stored: its cursor, and the newest review seen in this run."""
    newest = newest_posted(reviews)
    run_newest = max(filter(None, (state.run_newest, newest)), default=None)
    return replace(state, cursor=next_cursor, run_since=since, run_newest=run_newest)


def after_success(state: SourceState, policy: PollPolicy, now: datetime) -> SourceState:
    """The state after a poll ended without error; a finished run moves the watermark forward."""
    if state.cursor is None:
        watermark = max(filter(None, (state.watermark, state.run_newest)), default=None)
        if watermark is None:
            # NOTE: nothing in the window at all: next time start from this run's bound, not the backfill.
            watermark = state.run_since
        state = replace(state, watermark=watermark, run_since=None, run_newest=None)
    state = replace(state, failures=0, last_success_at=now, last_error=None, paused_reason=None)
    return replace(state, next_poll_at=next_poll_at(state, policy, now))


def after_failure(state: SourceState, policy: PollPolicy, now: datetime, error: Exception) -> SourceState:
    """The state after a failed poll: paused on a permanent error, else backed off; the cursor is kept."""
    message = str(error) if isinstance(error, ConnectorError) else f"{type(error).__name__}: unexpected failure"
    paused = message if getattr(error, "permanent", False) else None
    state = replace(state, failures=state.failures + 1, last_error=message, paused_reason=paused)
    return replace(state, next_poll_at=next_poll_at(state, policy, now))


def resume(state: SourceState, now: datetime) -> SourceState:
    """Un-pauses a source (after its credentials were fixed) and makes it due now."""
    return replace(state, paused_reason=None, failures=0, next_poll_at=now)


ReviewSink = Callable[[list[review_pb2.Review], list[Skipped]], Awaitable[None]]
Checkpoint = Callable[[SourceState], Awaitable[None]]


async def poll_source(
    connector: Connector,
    state: SourceState,
    policy: PollPolicy,
    *,
    sink: ReviewSink,
    checkpoint: Checkpoint | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> SourceState:
    """Runs one poll of one source and returns its new state (never raises a ConnectorError).

    `sink` stores each page's reviews (e.g. IngestService.submit); only after it returns is the
    page's cursor checkpointed, so a review is never skipped by a crash between the two.
    """
    since = since_for(state, policy, clock())
    try:
        async for page in sync(connector, state.cursor, since, max_pages=policy.max_pages_per_poll):
            if page.reviews or page.skipped:
                await sink(page.reviews, page.skipped)
            state = after_page(state, since=since, next_cursor=page.next_cursor, reviews=page.reviews)
            if checkpoint is not None:
                await checkpoint(state)
    except ConnectorError as error:
        log.warning("%s poll failed: %s", connector.platform, error)
        return after_failure(state, policy, clock(), error)
    return after_success(state, policy, clock())
