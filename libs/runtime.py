"""Process entry for a service: settings built once, logging and tracing set, SIGTERM handled."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from libs.logs import configure_logging
from libs.settings import Settings
from libs.telemetry import configure_tracing

log = logging.getLogger(__name__)

Serve = Callable[[Settings, asyncio.Event], Awaitable[None]]


def run_service(name: str, serve: Serve, settings: Settings | None = None) -> None:
    """Runs `serve(settings, stop)` until SIGTERM or SIGINT sets `stop`; flushes traces after."""
    settings = settings or Settings()
    configure_logging(name, level=settings.log_level, json_lines=settings.log_json)
    provider = configure_tracing(name, exporter=settings.trace_exporter, trace_dir=settings.trace_dir)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop)

    try:
        asyncio.run(main())
    finally:
        provider.shutdown()
        log.info("stopped")


async def wait_until_stopped(stop: asyncio.Event, tasks: list[asyncio.Task]) -> None:
    """Waits for `stop`; a background task that dies takes the process down, to be restarted."""
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    for task in done:
        if task is not stopper and task.exception() is not None:
            raise task.exception()
