"""The outbox relay: publishes events written beside committed reviews, then deletes them.

Accepted reviews therefore reach the bus even if NATS was down when they were stored: the rows
wait here until a publish succeeds. Duplicates from a crash between publish and delete are
dropped by JetStream's Nats-Msg-Id de-duplication.
"""

from __future__ import annotations

import asyncio
import json
import logging

import asyncpg

from libs.bus import Bus
from services.ingest import repository

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, *, pool: asyncpg.Pool, bus: Bus, batch: int, poll_seconds: float) -> None:
        self._pool = pool
        self._bus = bus
        self._batch = batch
        self._poll = poll_seconds
        self._wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Publishes until `stop`; wakes on NOTIFY from a committing transaction, or every poll interval."""
        listener = await self._pool.acquire()
        try:
            await listener.add_listener(repository.OUTBOX_CHANNEL, self._on_notify)
            failures = 0
            while not stop.is_set():
                try:
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
            await listener.remove_listener(repository.OUTBOX_CHANNEL, self._on_notify)
            await self._pool.release(listener)

    def _on_notify(self, *_args) -> None:
        self._wake.set()

    async def publish_pending(self) -> int:
        """Publishes one batch of queued events; returns how many were published."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await repository.claim_outbox(conn, self._batch)
            if not rows:
                return 0
            # NOTE: a batch's rows mostly share one trace context (an import writes thousands per
            # transaction): each distinct header set is decoded once.
            headers = {h: json.loads(h) for h in {r["headers"] for r in rows}}
            outcomes = await asyncio.gather(
                *(self._bus.publish_bytes(r["subject"], r["payload"], msg_id=r["msg_id"], headers=headers[r["headers"]]) for r in rows),
                return_exceptions=True,
            )
            done = [r["id"] for r, o in zip(rows, outcomes) if not isinstance(o, BaseException)]
            failed = [r["id"] for r, o in zip(rows, outcomes) if isinstance(o, BaseException)]
            await repository.delete_outbox(conn, done)
            if failed:
                await repository.count_attempts(conn, failed)
        if failed:
            first = next(o for o in outcomes if isinstance(o, BaseException))
            raise RuntimeError(f"{len(failed)} of {len(rows)} outbox events not published") from first
        return len(done)
