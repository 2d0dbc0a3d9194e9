"""The one "run this every N seconds until stopped" loop of every background task.

A service's scheduled work (trend judging, alert dispatch, source polling, model refresh, SLA
rounds, report mails, translation retries, metrics sampling, the outbox relay) is a round run
again and again until the process stops. The rules the copies used to state each in their own way
live here:

- A failed round never ends the loop: the next round retries (a dead loop would silently stop
  SLAs or deliveries until a restart). Only cancellation ends it early.
- Logging: the first failure of a streak is a WARNING with its traceback; the later ones of the
  same streak are DEBUG lines with the error type, so a ten-minute database outage is one warning,
  not thousands; the first success after a streak says at INFO how many rounds failed.
- Backoff: after `n` failures in a row the loop waits `interval * 2**n`, but never longer than
  `MAX_BACKOFF_SECONDS` or the interval, whichever is longer; so a 0.25 s dispatcher does not
  hammer a dead database four times a second, and a 30 s SLA round is not delayed past its period.
- A round that reports more work waiting (`more`) runs again at once instead of waiting.
- A `wake` event (a NOTIFY, new work queued in-process) cuts the wait short; it is cleared before
  each round, so a wake-up during a round is never lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5.0


def delay_after(interval_seconds: float, failures: int) -> float:
    """Seconds to wait before the next round, after `failures` failed rounds in a row (0: none)."""
    if failures <= 0:
        return interval_seconds
    ceiling = max(interval_seconds, MAX_BACKOFF_SECONDS)
    # NOTE: the exponent is bounded so a long outage does not overflow the float.
    return min(ceiling, interval_seconds * 2 ** min(failures, 32))


async def run_every(
    work: Callable[[], Awaitable[Any]],
    *,
    interval_seconds: float,
    stop: asyncio.Event,
    name: str,
    more: Callable[[Any], bool] | None = None,
    wake: asyncio.Event | None = None,
) -> None:
    """Runs `work()` every `interval_seconds` until `stop` is set, by the rules above.

    Args:
        work: one round; what it returns is passed to `more`.
        interval_seconds: the wait between rounds when nothing fails and nothing more waits.
        stop: ends the loop (a round under way finishes first; the wait ends at once).
        name: what the round is, for the logs ("dispatch round", "outbox relay").
        more: given a round's result, True when more work is waiting: the next round starts at once.
        wake: when set, ends the wait early.
    """
    failures = 0
    while not stop.is_set():
        if wake is not None:
            wake.clear()
        try:
            result = await work()
        except Exception as error:  # noqa: BLE001 - a failed round is retried; only cancellation ends the loop
            failures += 1
            if failures == 1:
                log.warning("%s failed; retrying", name, exc_info=True, extra={"fields": {"loop": name}})
            else:
                log.debug("%s failed again", name, extra={"fields": {"loop": name, "failures": failures, "error": type(error).__name__}})
            # NOTE: a wake-up does not cut a backoff short: what failed is most likely still away.
            await _wait(stop, None, delay_after(interval_seconds, failures))
            continue
        if failures:
            log.info("%s recovered", name, extra={"fields": {"loop": name, "failed_rounds": failures}})
            failures = 0
        if more is not None and more(result):
            continue
        await _wait(stop, wake, interval_seconds)


async def _wait(stop: asyncio.Event, wake: asyncio.Event | None, seconds: float) -> None:
    """Sleeps up to `seconds`, less when `stop` (or `wake`) is set first."""
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
