"""What every backend service's wiring root opens: its schema's pool, the bus, a gRPC server.

`Backend.open` builds them in order; `run` serves until stopped and closes them in reverse
(gRPC server with grace, consumers, bus drained, pool).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from libs import db, grpc_auth
from libs.bus import Bus, Handler, LiveLane
from libs.grpc_server import GrpcServer
from libs.metrics import Metrics
from libs.outbox import OutboxRelay
from libs.runtime import wait_until_stopped
from libs.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Backend:
    name: str
    settings: Settings
    pool: asyncpg.Pool
    bus: Bus
    grpc: GrpcServer
    stop: asyncio.Event
    metrics: Metrics
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _on_close: list[Callable[[], None]] = field(default_factory=list)
    _on_close_async: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @classmethod
    async def open(
        cls, settings: Settings, stop: asyncio.Event, *, name: str, schema: str, migrations: Path, port: int, grpc_service: str,
        more_grpc_services: tuple[str, ...] = (),
    ) -> "Backend":
        """Migrates the schema, opens the pool, connects the bus and declares the streams; serves
        the service's metrics on its metrics port (libs/metrics.py)."""
        metrics = Metrics(name)
        dsn = settings.database_dsn()
        await db.migrate(dsn, schema=schema, directory=migrations)
        await grpc_auth.migrate(dsn)
        pool = await db.create_pool(dsn, schema=schema, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
        bus = await Bus.connect(
            settings.nats_url,
            name=name,
            duplicate_window_seconds=settings.bus_duplicate_window_seconds,
            stream_replicas=settings.bus_stream_replicas,
            publish_retry_seconds=settings.bus_publish_retry_seconds,
            metrics=metrics,
        )
        await bus.ensure_streams()
        server = GrpcServer.for_service(
            settings, port=port, service_names=[grpc_service, *more_grpc_services], auth=grpc_auth.GrpcAuth.from_settings(settings, pool), metrics=metrics,
        )
        backend = cls(name=name, settings=settings, pool=pool, bus=bus, grpc=server, stop=stop, metrics=metrics)
        metrics.serve(host=settings.host, port=settings.metrics_port(name))
        backend.on_close(metrics.close)
        backend.background(bus.report_metrics(stop, settings.metrics_sample_seconds))
        return backend

    def consume(
        self,
        *,
        stream: str,
        subject: str,
        message_type: type,
        handler: Handler,
        durable: str = "",
        live_lane: LiveLane | None = None,
        yields_to: LiveLane | None = None,
    ) -> None:
        """Runs a durable consumer (named after the service by default), with its dead-letter forwarder.

        Every replica of a service uses the same durable, so JetStream hands each message to one of them.
        """
        s = self.settings
        self._tasks += self.bus.start_consumer(
            stream=stream,
            durable=durable or self.name,
            subject=subject,
            message_type=message_type,
            handler=handler,
            stop=self.stop,
            batch=s.bus_fetch_batch,
            max_deliver=s.bus_max_deliver,
            ack_wait_seconds=s.bus_ack_wait_seconds,
            live_lane=live_lane,
            yields_to=yields_to,
        )

    def consume_lanes(
        self, *, stream: str, live_subject: str, history_subject: str, message_type: type, handler: Handler, durable: str = ""
    ) -> None:
        """Consumes a live subject and its history twin with one handler; history only while live is idle."""
        lane = LiveLane()
        durable = durable or self.name
        self.consume(stream=stream, subject=live_subject, message_type=message_type, handler=handler, durable=durable, live_lane=lane)
        self.consume(
            stream=stream, subject=history_subject, message_type=message_type, handler=handler, durable=f"{durable}-history",
            yields_to=lane,
        )

    def relay_outbox(self, channel: str) -> None:
        """Publishes the service's outbox (libs/outbox.py) for the life of the service."""
        relay = OutboxRelay(
            pool=self.pool, bus=self.bus, channel=channel, batch=self.settings.outbox_batch,
            poll_seconds=self.settings.outbox_poll_seconds, metrics=self.metrics,
            sample_seconds=self.settings.metrics_sample_seconds,
        )
        self.background(relay.run(self.stop))

    def background(self, work) -> None:
        """Runs a coroutine (a scheduled loop watching `stop`) for the life of the service."""
        self._tasks.append(asyncio.create_task(work))

    def on_close(self, close: Callable[[], None]) -> None:
        """Registers a synchronous clean-up that runs after the pool closes (e.g. an executor)."""
        self._on_close.append(close)

    def on_close_async(self, close: Callable[[], Awaitable[None]]) -> None:
        """Registers an async clean-up (an HTTP client) that runs after the background tasks stop."""
        self._on_close_async.append(close)

    async def run(self) -> None:
        """Serves until `stop` (or a consumer dies), then closes everything in reverse order."""
        await self.grpc.start()
        await self.grpc.set_serving()
        try:
            await wait_until_stopped(self.stop, self._tasks)
        finally:
            await self.close()

    async def close(self) -> None:
        """Closes in reverse order, each step bounded, so a stop takes seconds even with PostgreSQL or NATS gone."""
        s = self.settings
        await self.grpc.stop(s.grpc_grace_seconds)
        self.stop.set()
        # NOTE: loops watch `stop` and end within about a second; one stuck on a dead server is cancelled.
        _, stuck = await asyncio.wait(self._tasks, timeout=s.stop_tasks_seconds) if self._tasks else (set(), set())
        for task in stuck:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for close_async in reversed(self._on_close_async):
            await _bounded(close_async(), 1.0)
        await _bounded(self.bus.close(), 1.5)
        if not await _bounded(self.pool.close(), 1.5):
            self.pool.terminate()
        for close in reversed(self._on_close):
            close()


async def _bounded(work: Awaitable, seconds: float) -> bool:
    """Awaits `work` for at most `seconds`; False when it failed or ran out of time (logged, not raised)."""
    try:
        await asyncio.wait_for(work, timeout=seconds)
        return True
    except Exception as error:  # noqa: BLE001 - a clean-up on the way out must not stop the others
        log.warning("clean-up step failed on stop", extra={"fields": {"error": type(error).__name__}})
        return False
