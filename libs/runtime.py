"""Process entry for a service: settings built once, logging and tracing set, SIGTERM handled."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Awaitable, Callable

from libs.logs import configure_logging
from libs.settings import Settings
from libs.telemetry import configure_tracing

log = logging.getLogger(__name__)

Serve = Callable[[Settings, asyncio.Event], Awaitable[None]]


# NOTE: a service stops within 5 s of SIGTERM: its own close is bounded (libs/backend.py); a
# startup still retrying a dead dependency is cancelled after SOFT_STOP_SECONDS, and a process
# still alive at HARD_STOP_SECONDS (a thread stuck in native code) exits without waiting more.
SOFT_STOP_SECONDS = 3.5
HARD_STOP_SECONDS = 4.5


def run_service(name: str, serve: Serve, settings: Settings | None = None) -> None:
    """Runs `serve(settings, stop)` until SIGTERM or SIGINT sets `stop`; flushes traces after."""
    settings = settings or Settings()
    configure_logging(name, level=settings.log_level, json_lines=settings.log_json)
    provider = configure_tracing(name, exporter=settings.trace_exporter, trace_dir=settings.trace_dir)
    stopping = threading.Event()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()

        def on_signal(sig: signal.Signals) -> None:
            if stopping.is_set():
                return
            stopping.set()
            log.info("stopping", extra={"fields": {"signal": sig.name}})
            stop.set()
            loop.call_later(SOFT_STOP_SECONDS, lambda: task.done() or task.cancel())
            _hard_stop_after(HARD_STOP_SECONDS, provider)

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal, sig)
        await serve(settings, stop)

    try:
        asyncio.run(main())
    except asyncio.CancelledError:
        log.warning("stop took too long; cancelled", extra={"fields": {"after_seconds": SOFT_STOP_SECONDS}})
    except Exception:
        if not stopping.is_set():
            raise
        # NOTE: a dependency already gone (PostgreSQL, NATS) may fail a clean-up step; the stop still succeeds.
        log.warning("error while stopping", exc_info=False)
    finally:
        provider.shutdown()
        log.info("stopped")


def _hard_stop_after(seconds: float, provider) -> None:
    def expire() -> None:
        log.warning("not stopped in time; exiting now", extra={"fields": {"after_seconds": seconds}})
        with contextlib.suppress(Exception):
            provider.force_flush(200)
        os._exit(0)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


async def wait_until_stopped(stop: asyncio.Event, tasks: list[asyncio.Task]) -> None:
    """Waits for `stop`; a background task that dies takes the process down, to be restarted."""
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    for task in done:
        if task is not stopper and task.exception() is not None:
            raise task.exception()
