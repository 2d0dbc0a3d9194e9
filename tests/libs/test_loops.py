"""The one background loop (libs/loops.py): a failed round is retried, logged once per streak and
backed off; more work runs at once; stop and wake end the wait; cancellation ends the loop."""

from __future__ import annotations

import asyncio
import logging

import pytest

from libs.loops import MAX_BACKOFF_SECONDS, delay_after, run_every

# NOTE: an interval no test waits out: a loop that waited it instead of reacting hangs, and the
# guard below fails the test instead of letting it sit until pytest's own timeout.
FOREVER = 3600.0
GUARD_SECONDS = 10.0


async def _run(loop_coro) -> None:
    await asyncio.wait_for(loop_coro, timeout=GUARD_SECONDS)


async def _until(condition) -> None:
    """Yields to the loop under test until `condition()` holds (a hang guard, not a timing check)."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout=GUARD_SECONDS)


async def test_a_failing_round_is_retried_logged_once_per_streak_and_the_recovery_noted(caplog) -> None:
    stop = asyncio.Event()
    rounds: list[str] = []

    async def work() -> None:
        rounds.append("round")
        if len(rounds) in (1, 2, 3):
            raise ConnectionRefusedError("database away")
        if len(rounds) == 5:
            stop.set()

    with caplog.at_level(logging.DEBUG, logger="libs.loops"):
        await _run(run_every(work, interval_seconds=0.001, stop=stop, name="test round"))

    assert len(rounds) == 5, "the loop goes on after failed rounds and stops when told"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "test round failed" in warnings[0].getMessage()
    assert warnings[0].exc_info and "database away" in str(warnings[0].exc_info[1]), "the first failure carries its traceback"
    repeats = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert [r.fields["failures"] for r in repeats] == [2, 3]
    recovered = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(recovered) == 1 and recovered[0].fields["failed_rounds"] == 3


async def test_a_new_streak_after_a_recovery_warns_again(caplog) -> None:
    stop = asyncio.Event()
    outcomes = [OSError("a"), None, OSError("b"), None]

    async def work() -> None:
        outcome = outcomes.pop(0)
        if not outcomes:
            stop.set()
        if outcome is not None:
            raise outcome

    with caplog.at_level(logging.WARNING, logger="libs.loops"):
        await _run(run_every(work, interval_seconds=0.001, stop=stop, name="test round"))
    assert outcomes == []
    assert [str(r.exc_info[1]) for r in caplog.records if r.levelno == logging.WARNING] == ["a", "b"]


async def test_more_work_runs_the_next_round_at_once() -> None:
    stop = asyncio.Event()
    rounds = []

    async def work() -> int:
        rounds.append(len(rounds))
        if len(rounds) == 4:
            stop.set()
        return 100

    # NOTE: with an hour between rounds, four rounds happen only if "more waiting" skips the wait.
    await _run(run_every(work, interval_seconds=FOREVER, stop=stop, name="test round", more=lambda n: n >= 100))
    assert rounds == [0, 1, 2, 3]


async def test_stop_ends_the_wait_between_rounds() -> None:
    stop = asyncio.Event()
    rounds = []

    async def work() -> None:
        rounds.append(1)

    task = asyncio.create_task(run_every(work, interval_seconds=FOREVER, stop=stop, name="test round"))
    await _until(lambda: rounds)
    stop.set()
    await _run(task)
    assert rounds == [1], "no round after stop"


async def test_a_set_stop_runs_no_round_at_all() -> None:
    stop = asyncio.Event()
    stop.set()
    rounds = []

    async def work() -> None:
        rounds.append(1)

    await _run(run_every(work, interval_seconds=FOREVER, stop=stop, name="test round"))
    assert rounds == []


async def test_wake_ends_the_wait_and_a_wake_during_a_round_is_not_lost() -> None:
    stop, wake = asyncio.Event(), asyncio.Event()
    rounds = []

    async def work() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            # NOTE: new work announced while the round runs: the loop must not sleep on it.
            wake.set()
        if len(rounds) == 3:
            stop.set()

    task = asyncio.create_task(run_every(work, interval_seconds=FOREVER, stop=stop, name="test round", wake=wake))
    await _until(lambda: len(rounds) >= 2)
    # NOTE: round 2 now waits an hour unless woken.
    wake.set()
    await _run(task)
    assert rounds == [0, 1, 2]


async def test_cancelling_the_loop_ends_it() -> None:
    stop = asyncio.Event()
    started = asyncio.Event()

    async def work() -> None:
        started.set()

    task = asyncio.create_task(run_every(work, interval_seconds=FOREVER, stop=stop, name="test round"))
    await asyncio.wait_for(started.wait(), timeout=GUARD_SECONDS)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize(
    ("interval", "failures", "expected"),
    [
        (0.25, 0, 0.25),  # no failure: the interval
        (0.25, 1, 0.5),  # doubled per failure in a row
        (0.25, 3, 2.0),
        (0.25, 6, MAX_BACKOFF_SECONDS),  # a short loop backs off to the cap, not further
        (0.25, 10_000, MAX_BACKOFF_SECONDS),  # a long outage neither overflows nor grows
        (30.0, 1, 30.0),  # a long interval is never stretched past itself
        (30.0, 50, 30.0),
        (4.0, 1, MAX_BACKOFF_SECONDS),  # between the two: up to the cap
    ],
)
def test_the_wait_after_failures(interval, failures, expected) -> None:
    assert delay_after(interval, failures) == expected
