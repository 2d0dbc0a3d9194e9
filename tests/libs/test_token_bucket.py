"""Token buckets in real PostgreSQL (ingest's `rate_buckets`): one per (tenant, credential), shared by
replicas (two pools here), a 429's Retry-After held for all of them, and the documented platform rates."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from libs import db
from libs.errors import Unavailable
from libs.token_bucket import Rate, TokenBuckets
from services.ingest.app import MIGRATIONS, SCHEMA

# NOTE: a refill of one token an hour: nothing refills while a test runs, however slow the machine.
BURST_5 = Rate(capacity=5, per_second=1 / 3600)
KEY = "trustpilot:3f9a1c0d5e7b2a64"


@pytest.fixture
async def pools(database_url: str):
    await db.migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    replicas = [await db.create_pool(database_url, schema=SCHEMA) for _ in range(2)]
    yield replicas
    for pool in replicas:
        await pool.close()


async def test_replicas_share_one_bucket_per_tenant_and_credential(pools) -> None:
    one, two = (TokenBuckets(p) for p in pools)
    tenant, other = uuid.uuid4(), uuid.uuid4()
    # Five requests at once from two replicas: all five fit the burst, the sixth waits.
    taken = await asyncio.gather(*(b.try_take(tenant, KEY, BURST_5) for b in (one, two, one, two, one)))
    assert taken == [0.0] * 5
    wait = await two.try_take(tenant, KEY, BURST_5)
    assert 3000 < wait <= 3600  # an hour for the next token, less what has refilled since
    # Another tenant, or another credential of the same tenant, has its own bucket.
    assert await one.try_take(other, KEY, BURST_5) == 0.0
    assert await one.try_take(tenant, "trustpilot:0000000000000000", BURST_5) == 0.0


async def test_a_429_holds_the_bucket_for_every_replica_until_its_retry_after(pools) -> None:
    one, two = (TokenBuckets(p) for p in pools)
    tenant = uuid.uuid4()
    await one.limiter(tenant, KEY, Rate.per(833, 300)).rate_limited(120.0)
    wait = await two.try_take(tenant, KEY, Rate.per(833, 300))
    assert 100 < wait <= 120


async def test_take_sleeps_until_a_token_is_there_and_gives_up_past_its_limit(pools) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        async with pools[0].acquire() as conn:  # the time passes: the token refilled meanwhile
            await conn.execute("UPDATE rate_buckets SET updated_at = updated_at - make_interval(secs => $1)", seconds)

    buckets = TokenBuckets(pools[0], sleep=sleep, max_wait_seconds=7200)
    tenant = uuid.uuid4()
    for _ in range(6):
        await buckets.take(tenant, KEY, BURST_5)
    assert len(slept) == 1 and 3000 < slept[0] <= 3600
    impatient = TokenBuckets(pools[0], sleep=sleep, max_wait_seconds=60)
    with pytest.raises(Unavailable):
        await impatient.take(tenant, KEY, BURST_5)
    assert len(slept) == 1  # it did not sleep an hour to find out
