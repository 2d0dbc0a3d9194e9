"""Ingest against real PostgreSQL and NATS: idempotent storage, atomic batches, the outbox."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from libs import db, topology
from libs.bus import Bus
from libs.embedded import EmbeddedNats
from libs.errors import InvalidArgument, NotFound
from reviewguard.events.v1 import events_pb2
from services.ingest.app import MIGRATIONS, SCHEMA
from services.ingest.models import Limits
from libs.outbox import OutboxRelay
from services.ingest.reviews.repository import OUTBOX_CHANNEL
from services.ingest.service import IngestService
from tests.helpers import eventually, make_review

TENANT = str(uuid.uuid4())


@pytest.fixture
async def pool(database_url: str):
    await db.migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    created = await db.create_pool(database_url, schema=SCHEMA)
    yield created
    await created.close()


@pytest.fixture
def service(pool: asyncpg.Pool) -> IngestService:
    return IngestService(pool=pool, limits=Limits(max_title_chars=500, max_body_chars=20_000), max_batch=500)


async def count(pool: asyncpg.Pool, table: str) -> int:
    async with pool.acquire() as conn:
        return await conn.fetchval(f"SELECT count(*) FROM {table}")


async def test_new_reviews_are_stored_with_an_outbox_event_each(service: IngestService, pool) -> None:
    results = await service.submit(TENANT, [make_review(external_id="A"), make_review(external_id="B", text_in="ja")])
    assert [r.created for r in results] == [True, True]
    stored = await service.get(TENANT, results[1].id)
    assert stored.external_id == "B" and stored.body.startswith("届いた時には")
    assert stored.version == 1 and stored.captured_at.seconds > 0
    assert await count(pool, "outbox") == 2


async def test_resubmitting_the_same_review_stores_and_publishes_nothing_new(service: IngestService, pool) -> None:
    first = await service.submit(TENANT, [make_review(external_id="A")])
    again = await service.submit(TENANT, [make_review(external_id="A")])
    assert again[0].id == first[0].id
    assert (again[0].created, again[0].updated) == (False, False)
    assert await count(pool, "reviews") == 1
    assert await count(pool, "outbox") == 1


async def test_a_changed_review_gets_a_new_version_and_event(service: IngestService, pool) -> None:
    first = await service.submit(TENANT, [make_review(external_id="A", rating=1)])
    changed = await service.submit(TENANT, [make_review(external_id="A", rating=4)])
    assert changed[0].id == first[0].id and changed[0].updated
    stored = await service.get(TENANT, first[0].id)
    assert (stored.rating, stored.version) == (4, 2)
    # reviews.ingested for each version, and reviews.updated for the change.
    assert await count(pool, "outbox") == 3


async def test_one_invalid_review_rejects_the_whole_batch(service: IngestService, pool) -> None:
    with pytest.raises(InvalidArgument) as raised:
        await service.submit(TENANT, [make_review(external_id="ok"), make_review(external_id="bad", rating=7)])
    assert [v.field for v in raised.value.violations] == ["reviews[1].rating"]
    assert await count(pool, "reviews") == 0
    assert await count(pool, "outbox") == 0


async def test_same_key_twice_in_one_batch_keeps_the_last_and_one_row(service: IngestService, pool) -> None:
    results = await service.submit(TENANT, [make_review(external_id="A", rating=2), make_review(external_id="A", rating=1)])
    assert results[0].id == results[1].id
    assert (await service.get(TENANT, results[0].id)).rating == 1
    assert await count(pool, "reviews") == 1


async def test_tenants_do_not_see_each_others_reviews(service: IngestService) -> None:
    mine = await service.submit(TENANT, [make_review(external_id="A")])
    other_tenant = str(uuid.uuid4())
    with pytest.raises(NotFound):
        await service.get(other_tenant, mine[0].id)
    # The same platform id under another tenant is a different review.
    theirs = await service.submit(other_tenant, [make_review(external_id="A")])
    assert theirs[0].id != mine[0].id and theirs[0].created


async def test_bad_ids_and_batch_sizes_are_refused(service: IngestService) -> None:
    with pytest.raises(InvalidArgument, match="tenant_id"):
        await service.submit("not-a-uuid", [make_review()])
    with pytest.raises(InvalidArgument, match="no reviews"):
        await service.submit(TENANT, [])
    with pytest.raises(InvalidArgument, match="too many"):
        await service.submit(TENANT, [make_review(external_id=str(i)) for i in range(501)])
    with pytest.raises(InvalidArgument, match="review_id"):
        await service.get(TENANT, "../etc/passwd")


async def published_reviews(bus: Bus) -> list[str]:
    info = await bus.jetstream.stream_info(topology.REVIEWS.name)
    ids = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        if info.state.messages:
            msg = await bus.jetstream.get_msg(topology.REVIEWS.name, seq)
            ids.append(events_pb2.ReviewIngested.FromString(msg.data).review.external_id)
    return ids


async def test_reviews_accepted_while_nats_is_down_are_published_when_it_returns(
    service: IngestService, pool, nats_server: EmbeddedNats
) -> None:
    bus = await Bus.connect(nats_server.url, name="relay", duplicate_window_seconds=60)
    await bus.ensure_streams()
    relay = OutboxRelay(pool=pool, bus=bus, channel=OUTBOX_CHANNEL, batch=50, poll_seconds=0.2)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await service.submit(TENANT, [make_review(external_id="before")])
        await eventually(lambda: count_is(pool, 0))
        nats_server.kill()
        await service.submit(TENANT, [make_review(external_id="during-1"), make_review(external_id="during-2")])
        await asyncio.sleep(1.0)
        assert await count(pool, "outbox") == 2, "events wait in the outbox while NATS is down"
        nats_server.start()
        await eventually(lambda: count_is(pool, 0), timeout=30)
    finally:
        stop.set()
        await task
    assert sorted(await published_reviews(bus)) == ["before", "during-1", "during-2"]
    await bus.close()


async def count_is(pool, n: int) -> bool:
    return await count(pool, "outbox") == n
