"""Per-key rate limits and per-tenant daily quotas, with the `limits` package's moving windows.

Counted in this gateway process's memory: with N gateway replicas behind a balancer a key gets up
to N times the rate, which is the usual trade for not adding a shared store to every request (a
Redis-backed `limits` storage is the upgrade when that matters)."""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerDay, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class Refusal:
    reason: str
    retry_after: int


class RateLimits:
    def __init__(self, *, per_key: str, daily_quota: int) -> None:
        self._per_key: list[RateLimitItem] = parse_many(per_key) if per_key.strip() else []
        self._daily = RateLimitItemPerDay(daily_quota) if daily_quota else None
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    async def check(self, key_digest: bytes, tenant: uuid.UUID) -> Refusal | None:
        """Counts one request; a Refusal (with seconds to wait) when a limit is spent."""
        checks = [(item, "key", key_digest.hex()) for item in self._per_key]
        if self._daily is not None:
            checks.append((self._daily, "tenant", str(tenant)))
        for item, kind, who in checks:
            if not await self._limiter.hit(item, kind, who):
                stats = await self._limiter.get_window_stats(item, kind, who)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                what = "daily quota of the tenant" if kind == "tenant" else f"rate limit of the API key ({item})"
                return Refusal(f"{what} reached", wait)
        return None
