"""Token buckets in PostgreSQL: one per (tenant, platform credential), shared by every replica.

A platform counts requests per credential, not per process: three ingest replicas each keeping their
own count would together send three times the platform's limit and get the seller's API access
throttled. So the bucket is a row (`rate_buckets`, same columns in every schema that uses it: see
services/ingest/migrations/0006_*.sql) changed by one atomic statement: the refill since the last
take is computed from the database's clock, so replicas on skewed clocks still agree.

A platform's 429 with Retry-After is shared the same way (`hold_off`): every replica waits it out,
not only the one that was told.

The platforms' own limits live with their connectors (services/ingest/connectors/rates.py). Usage
(review-request sending and reply publishing alike):

    buckets = TokenBuckets(pool)
    await buckets.take(tenant_id, "trustpilot:<key digest>", Rate.per(833, 300))      # waits for a token
    limiter = buckets.limiter(tenant_id, key, rate)                                  # for connectors' `send`
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from libs.errors import Unavailable


@dataclass(frozen=True)
class Rate:
    """A bucket's size (the burst) and refill (tokens per second)."""

    capacity: float
    per_second: float

    @classmethod
    def per(cls, requests: float, seconds: float, *, burst: float | None = None) -> Rate:
        """`requests` per `seconds`, the whole allowance usable at once unless `burst` says less."""
        return cls(capacity=burst if burst is not None else requests, per_second=requests / seconds)


# $1 tenant, $2 key, $3 capacity, $4 refill per second, $5 tokens wanted (all in one statement: atomic).
_TAKE = """
INSERT INTO rate_buckets AS b (tenant_id, key, tokens, updated_at)
VALUES ($1::uuid, $2::text, $3::float8 - $5::float8, now())
ON CONFLICT (tenant_id, key) DO UPDATE
   SET tokens = least($3::float8, b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * $4::float8) - $5::float8,
       updated_at = now()
 WHERE least($3::float8, b.tokens + extract(epoch FROM now() - b.updated_at)::float8 * $4::float8) >= $5::float8
   AND (b.blocked_until IS NULL OR b.blocked_until <= now())
RETURNING tokens"""

_WAIT = """
SELECT greatest(coalesce(extract(epoch FROM blocked_until - now())::float8, 0),
                ($5::float8 - least($3::float8, tokens + extract(epoch FROM now() - updated_at)::float8 * $4::float8)) / $4::float8)
  FROM rate_buckets WHERE tenant_id = $1::uuid AND key = $2::text"""

_HOLD_OFF = """
INSERT INTO rate_buckets AS b (tenant_id, key, tokens, updated_at, blocked_until)
VALUES ($1::uuid, $2::text, 0, now(), now() + make_interval(secs => $3::float8))
ON CONFLICT (tenant_id, key) DO UPDATE
   SET blocked_until = greatest(coalesce(b.blocked_until, now()), now() + make_interval(secs => $3::float8))"""


class Limiter:
    """One bucket, bound: what a connector's `send` calls before each request and on a 429."""

    def __init__(self, buckets: TokenBuckets, tenant_id: uuid.UUID, key: str, rate: Rate) -> None:
        self._buckets, self._tenant, self._key, self._rate = buckets, tenant_id, key, rate

    async def before_request(self) -> None:
        await self._buckets.take(self._tenant, self._key, self._rate)

    async def rate_limited(self, retry_after: float | None) -> None:
        """The platform answered 429: nobody sends on this credential before its Retry-After (else a second)."""
        await self._buckets.hold_off(self._tenant, self._key, retry_after if retry_after is not None else 1.0)


class TokenBuckets:
    """The buckets of one service's schema; `take` waits (sleeping, not spinning) for a token."""

    def __init__(
        self, pool: asyncpg.Pool, *, max_wait_seconds: float = 600.0, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        self._pool = pool
        self._max_wait = max_wait_seconds
        self._sleep = sleep

    async def try_take(self, tenant_id: uuid.UUID, key: str, rate: Rate, *, tokens: float = 1.0) -> float:
        """Takes `tokens` now and returns 0.0, or takes nothing and returns the seconds until they are there."""
        if tokens > rate.capacity:
            raise ValueError(f"{tokens} tokens never fit a bucket of {rate.capacity}")
        async with self._pool.acquire() as conn:
            taken = await conn.fetchval(_TAKE, tenant_id, key, rate.capacity, rate.per_second, tokens)
            if taken is not None:
                return 0.0
            wait = await conn.fetchval(_WAIT, tenant_id, key, rate.capacity, rate.per_second, tokens)
        # NOTE: never 0 when nothing was taken: another replica may have emptied it again meanwhile.
        return max(float(wait or 0.0), 0.001)

    async def take(self, tenant_id: uuid.UUID, key: str, rate: Rate, *, tokens: float = 1.0) -> None:
        """Waits for `tokens` and takes them; Unavailable when that would be longer than `max_wait_seconds`."""
        waited = 0.0
        while (wait := await self.try_take(tenant_id, key, rate, tokens=tokens)) > 0:
            if waited + wait > self._max_wait:
                raise Unavailable(f"the platform's rate limit for this credential leaves no room for {wait:.0f}s; try later")
            await self._sleep(wait)
            waited += wait

    async def hold_off(self, tenant_id: uuid.UUID, key: str, seconds: float) -> None:
        """No token of this bucket is given before `seconds` from now (a platform's Retry-After)."""
        async with self._pool.acquire() as conn:
            await conn.execute(_HOLD_OFF, tenant_id, key, float(seconds))

    def limiter(self, tenant_id: uuid.UUID, key: str, rate: Rate) -> Limiter:
        return Limiter(self, tenant_id, key, rate)
