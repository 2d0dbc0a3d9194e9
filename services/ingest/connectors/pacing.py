"""Keeps one client under a platform's request rate: a token bucket held by whoever owns the client.

NOTE: a stop-gap until issue 16's shared bucket (one per tenant and platform credential, in
PostgreSQL, shared by every replica) lands: this one paces the requests of one process only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class Pacer:
    """Allows `burst` requests at once, then one every `1 / rate` seconds.

    Attributes:
        rate: requests per second, sustained.
        burst: requests allowed back to back after a quiet spell.
    """

    def __init__(
        self, *, rate: float, burst: int = 1, clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate, self.burst = rate, burst
        self._clock, self._sleep = clock, sleep
        self._tokens = float(burst)
        self._at = clock()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Returns when one more request may go out, having taken its token."""
        async with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1:
                await self._sleep((1 - self._tokens) / self.rate)
                self._at = self._clock()
                self._tokens = 1.0
            self._tokens -= 1
