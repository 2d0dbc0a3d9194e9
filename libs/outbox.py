"""The transactional outbox: events written in the same transaction as the state they announce,
published by a relay once committed, deleted once JetStream has them.

An event therefore reaches the bus even if NATS was down when its state changed: the rows wait
until a publish succeeds. A crash between publish and delete publishes a row twice; JetStream's
Nats-Msg-Id de-duplication drops the copy. Each service keeps its own `outbox` table in its own
schema (same columns everywhere, see ingest's and alerting's migrations) and its own NOTIFY
channel; the mechanism is this one module.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from opentelemetry import trace

from libs.bus import Bus
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


async def claim(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Locks the oldest pending entries for this transaction; other relays skip them."""
    return await conn.fetch(
        "SELECT id, subject, msg_id, payload, headers FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", limit
    )


def _history_like(suffix: str) -> str:
    if not re.fullmatch(r"[a-z0-9_.-]+", suffix):
        raise ValueError(f"bad history subject suffix {suffix!r}")
    return f"'%{suffix}'"


async def claim_live_first(conn: asyncpg.Connection, limit: int, history_suffix: str) -> list[asyncpg.Record]:
    """Like `claim`, but rows whose subject ends in `history_suffix` only when fewer live rows wait.

    NOTE: an import queues its events by the ten thousand; claimed in id order, a tenant's fresh
    review would wait until the relay had published all of them. The pattern is written into the
    statement so a service's partial index on its live rows (ingest's migration 0005) serves it.
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


class OutboxRelay:
    """Publishes a service's outbox until stopped; wakes on NOTIFY from a committing transaction,
    or every poll interval (a NOTIFY lost while the relay was reconnecting)."""

    def __init__(
        self, *, pool: asyncpg.Pool, bus: Bus, channel: str, batch: int, poll_seconds: float,
        metrics: Metrics | None = None, sample_seconds: float = 10.0, history_suffix: str | None = None,
    ) -> None:
        self._pool = pool
        # Subjects ending in this (topology.HISTORY_SUFFIX) are published only when no live row waits.
        self._history_suffix = history_suffix
        if history_suffix is not None:
            _history_like(history_suffix)
        self._bus = bus
        self._channel = channel
        self._batch = batch
        self._poll = poll_seconds
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
            failures = 0
            while not stop.is_set():
                try:
                    await self._sample_backlog()
                    published = await self.publish_pending()
                    failures = 0
                except Exception:  # noqa: BLE001 - the bus or database is away; rows stay queued
                    failures += 1
                    log.warning("outbox publish failed; will retry", exc_info=failures == 1)
                    await asyncio.sleep(min(5.0, 0.2 * 2**failures))
                    continue
                if published < self._batch:
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
                    except TimeoutError:
                        pass
        finally:
            await listener.remove_listener(self._channel, self._on_notify)
            await self._pool.release(listener)

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
            self._backlog.labels(self._channel).set(await backlog(conn))

    async def publish_pending(self) -> int:
        """Publishes one batch of queued events; returns how many were published."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await (claim(conn, self._batch) if self._history_suffix is None else claim_live_first(conn, self._batch, self._history_suffix))
            if not rows:
                return 0
            # NOTE: a span only for a batch that has rows: an idle relay's polls are no trace. Each
            # publish continues its own row's trace (the request that wrote it), not this one.
            with tracer.start_as_current_span("outbox.relay", kind=trace.SpanKind.PRODUCER) as span:
                span.set_attribute("outbox.channel", self._channel)
                span.set_attribute("outbox.rows", len(rows))
                # NOTE: a batch's rows mostly share one trace context (an import writes thousands per
                # transaction): each distinct header set is decoded once.
                headers = {h: json.loads(h) for h in {r["headers"] for r in rows}}
                outcomes = await asyncio.gather(
                    *(self._bus.publish_bytes(r["subject"], r["payload"], msg_id=r["msg_id"], headers=headers[r["headers"]]) for r in rows),
                    return_exceptions=True,
                )
                done = [r["id"] for r, o in zip(rows, outcomes) if not isinstance(o, BaseException)]
                failed = [r["id"] for r, o in zip(rows, outcomes) if isinstance(o, BaseException)]
                await delete(conn, done)
                if failed:
                    await count_attempts(conn, failed)
                span.set_attribute("outbox.failed", len(failed))
        if self._published is not None:
            self._published.labels(self._channel).inc(len(done))
        if failed:
            first = next(o for o in outcomes if isinstance(o, BaseException))
            raise RuntimeError(f"{len(failed)} of {len(rows)} outbox events not published") from first
        return len(done)


async def relay_when_bus_ready(
    *, pool: asyncpg.Pool, connect, channel: str, batch: int, poll_seconds: float, stop: asyncio.Event,
    metrics: Metrics | None = None, sample_seconds: float = 10.0, history_suffix: str | None = None,
) -> None:
    """Connects to the bus (waiting as long as it takes, via `connect`) and relays until `stop`:
    a service accepts writes as soon as its database is up; the outbox holds their events."""
    bus: Bus = await connect()
    try:
        while not stop.is_set():
            try:
                await bus.ensure_streams()
                break
            except Exception:  # noqa: BLE001 - JetStream not ready yet
                log.warning("cannot declare streams yet; retrying", exc_info=True)
                await asyncio.sleep(1.0)
        await OutboxRelay(
            pool=pool, bus=bus, channel=channel, batch=batch, poll_seconds=poll_seconds, metrics=metrics, sample_seconds=sample_seconds,
            history_suffix=history_suffix,
        ).run(stop)
    finally:
        await bus.close()
