"""The transactional outbox: events written in the same transaction as the state they announce,
published by a relay once committed, deleted once JetStream has them.

An event therefore reaches the bus even if NATS was down when its state changed: the rows wait
until a publish succeeds. A crash between publish and delete publishes a row twice; JetStream's
Nats-Msg-Id de-duplication drops the copy. Each service keeps its own `outbox` table in its own
schema (same columns everywhere, see ingest's and alerting's migrations) and its own NOTIFY
channel; the mechanism is this one module.

Two modes:
- unordered (the default): a batch is published side by side and relays on several replicas
  claim disjoint batches (`FOR UPDATE SKIP LOCKED`); fastest, for events whose consumers do not
  depend on their order (ingest's reviews, alerting's alerts).
- ordered: one relay at a time publishes (a transaction-scoped advisory lock per channel, taken
  before the claim, so a second replica waits and then sees only what the first left), rows
  strictly by id, and a row's failure stops the rows after it with the same key. Rows of one key
  therefore reach the bus in id order, each once; keys go out side by side. The writer must give
  rows of one key ids in commit order, e.g. by locking the key's row before it writes (resolution
  locks the case). Without a key, rows go out one after another.

The rows are read through a `Store`: `OutboxTable` is the `outbox` table above; a service whose
audit trail is its outbox (resolution's `case_events`) supplies its own and keeps this relay.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol

import asyncpg
from opentelemetry import trace

from libs.bus import Bus
from libs.loops import run_every
from libs.metrics import Metrics

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


@dataclass(frozen=True)
class Event:
    """One event to publish: subject, de-duplication id, serialised payload, trace headers."""

    subject: str
    msg_id: str
    payload: bytes
    headers: dict[str, str]


async def add(conn: asyncpg.Connection, events: Sequence[Event], *, channel: str) -> None:
    """Queues events for the relay; visible (and the relay woken) only if the transaction commits."""
    if not events:
        return
    await conn.copy_records_to_table(
        "outbox",
        records=[(e.subject, e.msg_id, e.payload, json.dumps(e.headers)) for e in events],
        columns=["subject", "msg_id", "payload", "headers"],
    )
    await conn.execute("SELECT pg_notify($1, '')", channel)


async def add_selected(conn: asyncpg.Connection, select: str, *args, channel: str) -> int:
    """Queues the events a SELECT of (subject, msg_id, payload, headers) yields, in its order; like `add`.

    NOTE: for a batch whose payloads the database can build itself (an import's thousands of
    events), so they never travel to Python and back.
    """
    status = await conn.execute(f"INSERT INTO outbox (subject, msg_id, payload, headers) {select}", *args)
    queued = int(status.split()[-1])
    if queued:
        await conn.execute("SELECT pg_notify($1, '')", channel)
    return queued


async def claim(conn: asyncpg.Connection, limit: int, *, skip_locked: bool = True) -> list[asyncpg.Record]:
    """Locks the oldest pending entries for this transaction; other relays skip them, unless
    `skip_locked` is false (ordered mode: a skipped row would let a later one overtake it)."""
    lock = "FOR UPDATE SKIP LOCKED" if skip_locked else "FOR UPDATE"
    return await conn.fetch(f"SELECT id, subject, msg_id, payload, headers FROM outbox ORDER BY id LIMIT $1 {lock}", limit)


def _history_like(suffix: str) -> str:
    if not re.fullmatch(r"[a-z0-9_.-]+", suffix):
        raise ValueError(f"bad history subject suffix {suffix!r}")
    return f"'%{suffix}'"


async def claim_live_first(conn: asyncpg.Connection, limit: int, history_suffix: str) -> list[asyncpg.Record]:
    """Like `claim`, but rows whose subject ends in `history_suffix` only when fewer live rows wait.

    NOTE: an import queues its events by the ten thousand; claimed in id order, a tenant's fresh
    review would wait until the relay had published all of them. The pattern is written into the
    statement so a service's partial index on its live rows (ingest's migration 0008) serves it.
    """
    like = _history_like(history_suffix)
    rows = await conn.fetch(
        f"SELECT id, subject, msg_id, payload, headers FROM outbox WHERE subject NOT LIKE {like} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )
    if len(rows) < limit:
        rows += await conn.fetch(
            f"SELECT id, subject, msg_id, payload, headers FROM outbox WHERE subject LIKE {like} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
            limit - len(rows),
        )
    return rows


async def delete(conn: asyncpg.Connection, ids: Sequence[int]) -> None:
    await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", list(ids))


async def count_attempts(conn: asyncpg.Connection, ids: Sequence[int]) -> None:
    await conn.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ANY($1::bigint[])", list(ids))


async def backlog(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM outbox")


@dataclass(frozen=True)
class Pending:
    """One claimed row: what to publish, and its ordering key (ordered mode keeps one key's rows in order)."""

    id: object
    subject: str
    msg_id: str
    payload: bytes
    headers: dict[str, str]
    key: Hashable = None


class Store(Protocol):
    """Where a relay reads its rows from; every call runs in the relay's transaction."""

    async def claim(self, conn: asyncpg.Connection, limit: int, *, ordered: bool) -> list[Pending]:
        """The oldest pending rows, by id, locked for this transaction."""

    async def done(self, conn: asyncpg.Connection, ids: Sequence[object]) -> None:
        """Rows JetStream has: never published again."""

    async def failed(self, conn: asyncpg.Connection, ids: Sequence[object]) -> None:
        """Rows whose publish failed: they stay pending."""

    async def backlog(self, conn: asyncpg.Connection) -> int:
        """How many rows wait."""


class OutboxTable:
    """The `outbox` table of the service's schema (ingest's, alerting's).

    With `history_suffix` (topology.HISTORY_SUFFIX) live rows are claimed first and history rows
    (an import's thousands) only when fewer live rows wait (`claim_live_first`); that reorders by
    design, so it does not combine with ordered mode.
    """

    def __init__(self, *, history_suffix: str | None = None) -> None:
        if history_suffix is not None:
            _history_like(history_suffix)
        self._history_suffix = history_suffix

    async def claim(self, conn: asyncpg.Connection, limit: int, *, ordered: bool) -> list[Pending]:
        if self._history_suffix is not None:
            if ordered:
                raise ValueError("live-first claiming reorders rows: not with an ordered relay")
            rows = await claim_live_first(conn, limit, self._history_suffix)
        else:
            rows = await claim(conn, limit, skip_locked=not ordered)
        # NOTE: a batch's rows mostly share one trace context (an import writes thousands per
        # transaction): each distinct header set is decoded once.
        headers = {h: json.loads(h) for h in {r["headers"] for r in rows}}
        return [Pending(r["id"], r["subject"], r["msg_id"], r["payload"], headers[r["headers"]]) for r in rows]

    async def done(self, conn: asyncpg.Connection, ids: Sequence[object]) -> None:
        await delete(conn, ids)

    async def failed(self, conn: asyncpg.Connection, ids: Sequence[object]) -> None:
        await count_attempts(conn, ids)

    async def backlog(self, conn: asyncpg.Connection) -> int:
        return await backlog(conn)


class OutboxRelay:
    """Publishes a service's outbox until stopped; wakes on NOTIFY from a committing transaction,
    or every poll interval (a NOTIFY lost while the relay was reconnecting).

    `ordered` publishes one key's rows in id order, one relay holder per channel at a time (see
    the module docstring); `store` reads rows from elsewhere than the `outbox` table.
    """

    def __init__(
        self, *, pool: asyncpg.Pool, bus: Bus, channel: str, batch: int, poll_seconds: float,
        metrics: Metrics | None = None, sample_seconds: float = 10.0, ordered: bool = False, store: Store | None = None,
        history_suffix: str | None = None,
    ) -> None:
        self._pool = pool
        self._bus = bus
        self._channel = channel
        self._batch = batch
        self._poll = poll_seconds
        self._ordered = ordered
        # NOTE: with `history_suffix` (topology.HISTORY_SUFFIX), subjects ending in it are published
        # only when no live row waits (OutboxTable's live-first claim).
        if store is not None and history_suffix is not None:
            raise ValueError("history_suffix belongs to the default store (OutboxTable)")
        self._store: Store = store or OutboxTable(history_suffix=history_suffix)
        self._wake = asyncio.Event()
        self._backlog = self._published = None
        if metrics is not None:
            self._backlog = metrics.gauge("reviewguard_outbox_backlog", "Outbox rows waiting to be published.", ("channel",))
            self._published = metrics.counter("reviewguard_outbox_published_total", "Outbox rows published to JetStream.", ("channel",))
        self._sample_seconds = sample_seconds
        self._sampled_at = float("-inf")

    async def run(self, stop: asyncio.Event) -> None:
        listener = await self._pool.acquire()
        try:
            await listener.add_listener(self._channel, self._on_notify)
            # NOTE: a full batch means more is waiting: publish again at once. A failed round (the
            # bus or database away) leaves its rows queued for the next.
            await run_every(
                self._round, interval_seconds=self._poll, stop=stop, name=f"outbox relay {self._channel}",
                more=lambda published: published >= self._batch, wake=self._wake,
            )
        finally:
            await listener.remove_listener(self._channel, self._on_notify)
            await self._pool.release(listener)

    async def _round(self) -> int:
        await self._sample_backlog()
        return await self.publish_pending()

    def _on_notify(self, *_args) -> None:
        self._wake.set()

    async def _sample_backlog(self) -> None:
        """Counts the waiting rows into the backlog gauge, at most once per sample interval.

        NOTE: count(*) reads the whole table, which is small unless the bus was away; sampling
        keeps a backlog of a million rows from costing a scan per batch.
        """
        if self._backlog is None or time.monotonic() - self._sampled_at < self._sample_seconds:
            return
        self._sampled_at = time.monotonic()
        async with self._pool.acquire() as conn:
            self._backlog.labels(self._channel).set(await self._store.backlog(conn))

    async def publish_pending(self, *, limit: int | None = None) -> int:
        """Publishes one batch of queued events (`limit` rows, default the relay's batch); returns
        how many were published, or raises once the ones that went out are recorded."""
        async with self._pool.acquire() as conn, conn.transaction():
            if self._ordered:
                # NOTE: held to the commit, so the next holder claims only after this batch's rows
                # are marked: no replica overtakes another's rows or publishes them again.
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"outbox:{self._channel}")
            rows = await self._store.claim(conn, limit or self._batch, ordered=self._ordered)
            if not rows:
                return 0
            # NOTE: a span only for a batch that has rows: an idle relay's polls are no trace. Each
            # publish continues its own row's trace (the request that wrote it), not this one.
            with tracer.start_as_current_span("outbox.relay", kind=trace.SpanKind.PRODUCER) as span:
                span.set_attribute("outbox.channel", self._channel)
                span.set_attribute("outbox.rows", len(rows))
                span.set_attribute("outbox.ordered", self._ordered)
                outcomes = await (self._publish_in_order(rows) if self._ordered else self._publish_side_by_side(rows))
                done = [r.id for r, o in zip(rows, outcomes) if o is None]
                failed = [r.id for r, o in zip(rows, outcomes) if isinstance(o, BaseException)]
                await self._store.done(conn, done)
                if failed:
                    await self._store.failed(conn, failed)
                span.set_attribute("outbox.failed", len(failed))
        if self._published is not None:
            self._published.labels(self._channel).inc(len(done))
        if len(done) < len(rows):
            first = next(o for o in outcomes if isinstance(o, BaseException))
            raise RuntimeError(f"{len(rows) - len(done)} of {len(rows)} outbox events not published") from first
        return len(done)

    async def _publish(self, row: Pending) -> None:
        await self._bus.publish_bytes(row.subject, row.payload, msg_id=row.msg_id, headers=row.headers)

    async def _publish_side_by_side(self, rows: list[Pending]) -> list[BaseException | None]:
        """Every row at once; each one's outcome (None: published)."""
        outcomes = await asyncio.gather(*(self._publish(r) for r in rows), return_exceptions=True)
        return [o if isinstance(o, BaseException) else None for o in outcomes]

    async def _publish_in_order(self, rows: list[Pending]) -> list[BaseException | None | bool]:
        """Each key's rows one after another, keys side by side; after a failure the key's later
        rows are not tried (False) and stay pending behind it."""
        outcomes: list[BaseException | None | bool] = [False] * len(rows)
        by_key: dict[Hashable, list[int]] = {}
        for i, row in enumerate(rows):
            by_key.setdefault(row.key, []).append(i)

        async def chain(indexes: list[int]) -> None:
            for i in indexes:
                try:
                    await self._publish(rows[i])
                except Exception as error:  # noqa: BLE001 - recorded; the rows wait for the next round
                    outcomes[i] = error
                    return
                outcomes[i] = None

        await asyncio.gather(*(chain(indexes) for indexes in by_key.values()))
        return outcomes


async def relay_when_bus_ready(
    *, pool: asyncpg.Pool, connect, channel: str, batch: int, poll_seconds: float, stop: asyncio.Event,
    metrics: Metrics | None = None, sample_seconds: float = 10.0, history_suffix: str | None = None,
) -> None:
    """Connects to the bus (waiting as long as it takes, via `connect`) and relays until `stop`:
    a service accepts writes as soon as its database is up; the outbox holds their events."""
    bus: Bus = await connect()
    try:
        await bus.ensure_streams_when_ready(stop)
        await OutboxRelay(
            pool=pool, bus=bus, channel=channel, batch=batch, poll_seconds=poll_seconds, metrics=metrics, sample_seconds=sample_seconds,
            history_suffix=history_suffix,
        ).run(stop)
    finally:
        await bus.close()
