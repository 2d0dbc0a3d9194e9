"""The in-process pacer: a burst goes at once, then one request per 1/rate seconds (on a fake clock)."""

from __future__ import annotations

import asyncio

import pytest

from services.ingest.connectors.pacing import Pacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


async def test_a_burst_of_five_then_one_a_second() -> None:
    fake = FakeTime()
    pacer = Pacer(rate=1.0, burst=5, clock=fake.clock, sleep=fake.sleep)
    for _ in range(7):
        await pacer.wait()
    assert fake.slept == [1.0, 1.0], "five at once, then each further one waits a second"
    fake.now += 2.5
    await pacer.wait()
    await pacer.wait()
    assert fake.slept == [1.0, 1.0], "a quiet spell refills the bucket"
    await pacer.wait()
    assert fake.slept == [1.0, 1.0, 0.5]


async def test_concurrent_callers_share_the_rate() -> None:
    fake = FakeTime()
    pacer = Pacer(rate=2.0, burst=1, clock=fake.clock, sleep=fake.sleep)
    await asyncio.gather(*(pacer.wait() for _ in range(4)))
    assert fake.slept == [0.5, 0.5, 0.5]


def test_nonsense_rates_are_refused() -> None:
    with pytest.raises(ValueError):
        Pacer(rate=0)
    with pytest.raises(ValueError):
        Pacer(rate=1, burst=0)
