"""History informs, it does not page: a seller's past reviews are stored as history and travel on
`reviews.ingested.history`; fresh reviews stay on the live `reviews.ingested` lane.

History is every file import or backfill the user did not mark live, and any review posted more
than `history_age` (14 days by default) before it was captured, whatever brought it.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from libs import topology
from libs.outbox import OutboxRelay
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import ingest_pb2, review_pb2
from services.gateway.schemas import ReviewRead
from services.ingest.grpc_api import IngestServicer
from services.ingest.import_jobs import ImportService
from services.ingest.models import Limits
from services.ingest.reviews.repository import OUTBOX_CHANNEL
from services.ingest.service import IngestService
from tests.services.ingest.conftest import outbox_events

TENANT = str(uuid.uuid4())
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
# The public Amazon customer reviews TSV layout (amazon_reviews_us_*.tsv).
TSV_HEADER = [
    "marketplace", "customer_id", "review_id", "product_id", "product_parent", "product_title", "product_category",
    "star_rating", "helpful_votes", "total_votes", "vine", "verified_purchase", "review_headline", "review_body", "review_date",
]  # fmt: skip
TSV_MAPPING = {
    "name": "amazon-tsv",
    "columns": {
        "marketplace": "marketplace", "reviewer_id": "customer_id", "external_id": "review_id", "product_id": "product_id",
        "rating": "star_rating", "verified_purchase": "verified_purchase", "title": "review_headline", "body": "review_body",
        "posted_at": "review_date",
    },
    "constants": {"platform": "amazon"},
    "date_formats": ["%Y-%m-%d"],
}  # fmt: skip
# Review texts written for these tests, in the marketplaces' languages.
TEXTS = [
    ("US", "Broke after a week", "The handle cracked after seven days and the seller never answered."),
    ("DE", "Kaputt angekommen", "Der Wasserkocher kam mit einem Riss im Gehäuse an und leckt."),
    ("FR", "Très bien", "Chauffe vite, silencieuse, je recommande cette bouilloire."),
    ("JP", "残念です", "届いた時には蓋が割れていて、二日目から電源が入らなくなりました。"),
    ("UK", "Does the job", "Boils quickly, a bit noisy, good value for the price."),
]


def tsv_2015(count: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(TSV_HEADER)
    for i in range(count):
        market, title, body = TEXTS[i % len(TEXTS)]
        posted = datetime(2015, 1, 1) + timedelta(hours=i * 1.7)
        writer.writerow([
            market, str(10_000_000 + i), f"R{i:012d}", f"B00K{i % 40:06d}", str(500 + i % 40), "Electric kettle 1.7 l", "Kitchen",
            str(1 + (i * 7) % 5), str(i % 9), str(i % 13), "N", "Y" if i % 4 else "N", title, f"{body} #{i}", posted.strftime("%Y-%m-%d"),
        ])  # fmt: skip
    return out.getvalue().encode("utf-8")


def amazon_csv(rows: list[tuple[str, datetime]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Review ID", "ASIN", "Review Date", "Star Rating", "Title", "Review Text", "Reviewer Name", "Marketplace"])
    for review_id, posted in rows:
        writer.writerow([review_id, "B0KETTLE01", posted.strftime("%Y-%m-%d"), "1", "Kaputt", "Kam kaputt an, Deckel gebrochen.", "Jürgen", "DE"])
    return out.getvalue().encode("utf-8")


@pytest.fixture
def ingest(ingest_pool: asyncpg.Pool) -> IngestService:
    return IngestService(pool=ingest_pool, limits=Limits(max_title_chars=500, max_body_chars=20_000), max_batch=500, clock=lambda: NOW)


@pytest.fixture
def imports(ingest_pool: asyncpg.Pool, ingest: IngestService, tmp_path) -> ImportService:
    return ImportService(pool=ingest_pool, ingest=ingest, max_bytes=10_000_000, spool_dir=tmp_path)


async def chunks(data: bytes, size: int = 64 * 1024):
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def run(imports: ImportService, data: bytes, *, live: bool = False, **start) -> ingest_pb2.ImportJob:
    values = {"tenant_id": TENANT, "format": "csv", "mapping": "amazon", "file_name": "reviews.csv", **start}
    job = await imports.start(start=ingest_pb2.ImportStart(**values), chunks=chunks(data), live=live)
    await imports.wait()
    return await imports.get(tenant_id=TENANT, import_id=job.id)


def api_review(external_id: str, posted: datetime) -> review_pb2.Review:
    review = review_pb2.Review(
        platform="amazon", marketplace="DE", external_id=external_id, product_id="B0KETTLE01", rating=1,
        title="Defekt", body="Nach einem Tag defekt, riecht verbrannt.", reviewer=review_pb2.Reviewer(name="Anna"),
    )  # fmt: skip
    review.posted_at.FromDatetime(posted)
    return review


async def lanes(pool: asyncpg.Pool) -> dict[str, list[review_pb2.Review]]:
    return {
        subject: [events_pb2.ReviewIngested.FromString(p).review for p in await outbox_events(pool, subject)]
        for subject in (topology.REVIEW_INGESTED, topology.REVIEW_INGESTED_HISTORY)
    }


async def test_5000_reviews_from_2015_imported_as_a_job_are_history_on_the_history_lane(imports, ingest, ingest_pool) -> None:
    job = await run(imports, tsv_2015(5000), mapping="custom", mapping_json=json.dumps(TSV_MAPPING), file_name="amazon_reviews_2015.tsv")
    assert (job.status, job.rows_good, job.rows_bad, job.created) == ("done", 5000, 0, 5000)
    async with ingest_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FILTER (WHERE history) FROM reviews") == 5000
        some = await conn.fetchval("SELECT id FROM reviews WHERE external_id = 'R000000000003'")
    published = await lanes(ingest_pool)
    assert len(published[topology.REVIEW_INGESTED]) == 0, "nothing from 2015 may page anyone"
    history = published[topology.REVIEW_INGESTED_HISTORY]
    assert len(history) == 5000 and all(r.history for r in history)
    assert sum(r.rating == 1 for r in history) == 1000, "the negative ones are there to be analysed and counted"
    # The user sees the flag on the review.
    stored = await ingest.get(TENANT, str(some))
    assert stored.history and stored.marketplace == "JP" and stored.body.startswith("届いた時には")
    assert ReviewRead.from_proto(stored, None).history is True


async def test_a_live_import_pages_for_recent_reviews_but_never_for_old_ones(imports, ingest_pool) -> None:
    data = amazon_csv([("RECENT", NOW - timedelta(days=1)), ("LASTYEAR", NOW - timedelta(days=400))])
    job = await run(imports, data, live=True)
    assert (job.status, job.created) == ("done", 2)
    published = await lanes(ingest_pool)
    assert [r.external_id for r in published[topology.REVIEW_INGESTED]] == ["RECENT"]
    assert [r.external_id for r in published[topology.REVIEW_INGESTED_HISTORY]] == ["LASTYEAR"]

    # The same kind of file not marked live is history throughout, even yesterday's review.
    await run(imports, amazon_csv([("YESTERDAY", NOW - timedelta(days=1))]))
    published = await lanes(ingest_pool)
    assert [r.external_id for r in published[topology.REVIEW_INGESTED_HISTORY]] == ["LASTYEAR", "YESTERDAY"]


async def test_a_fresh_api_review_is_live_and_a_long_past_one_is_history(ingest, ingest_pool) -> None:
    fresh, late, edge = await ingest.submit(
        TENANT, [api_review("FRESH", NOW - timedelta(hours=2)), api_review("LATE", NOW - timedelta(days=30)), api_review("EDGE", NOW - timedelta(days=13))]
    )
    assert not (await ingest.get(TENANT, fresh.id)).history
    assert (await ingest.get(TENANT, late.id)).history
    assert not (await ingest.get(TENANT, edge.id)).history, "13 days is within the default 14"
    published = await lanes(ingest_pool)
    assert [r.external_id for r in published[topology.REVIEW_INGESTED]] == ["FRESH", "EDGE"]
    assert [r.external_id for r in published[topology.REVIEW_INGESTED_HISTORY]] == ["LATE"]


async def test_history_age_is_a_setting_and_edits_keep_their_updated_event(ingest_pool) -> None:
    strict = IngestService(
        pool=ingest_pool, limits=Limits(max_title_chars=500, max_body_chars=20_000), max_batch=500,
        history_age=timedelta(days=3), clock=lambda: NOW,
    )  # fmt: skip
    [first] = await strict.submit(TENANT, [api_review("A", NOW - timedelta(days=5))])
    assert (await strict.get(TENANT, first.id)).history
    edited = api_review("A", NOW - timedelta(days=5))
    edited.rating = 4
    [again] = await strict.submit(TENANT, [edited])
    assert again.updated
    published = await lanes(ingest_pool)
    assert [r.version for r in published[topology.REVIEW_INGESTED_HISTORY]] == [1, 2]
    updates = [events_pb2.ReviewUpdated.FromString(p) for p in await outbox_events(ingest_pool, topology.REVIEW_UPDATED)]
    assert [(u.old_rating, u.new_rating, u.review.history) for u in updates] == [(1, 4, True)]


async def test_a_backfill_is_history_and_the_next_polls_are_live(ingest, ingest_pool) -> None:
    source = str(uuid.uuid4())
    await ingest.submit(TENANT, [api_review("BF", NOW - timedelta(hours=3))], channel="backfill", source_id=source)
    await ingest.submit(TENANT, [api_review("POLL", NOW - timedelta(minutes=4))], channel="pull", source_id=source)
    published = await lanes(ingest_pool)
    assert [r.external_id for r in published[topology.REVIEW_INGESTED_HISTORY]] == ["BF"]
    assert [r.external_id for r in published[topology.REVIEW_INGESTED]] == ["POLL"]


class _Context:
    """The part of a gRPC servicer context StartImport uses."""

    def __init__(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self._metadata = metadata

    def invocation_metadata(self):
        return self._metadata

    async def abort_with_status(self, status):  # pragma: no cover - a failure here fails the test
        raise AssertionError(status)


async def test_the_grpc_adapter_takes_live_from_the_import_start(ingest, imports, ingest_pool) -> None:
    servicer = IngestServicer(ingest, imports=imports)

    async def call(data: bytes, live: bool):
        async def requests():
            yield ingest_pb2.ImportChunk(start=ingest_pb2.ImportStart(tenant_id=TENANT, format="csv", mapping="amazon", live=live))
            yield ingest_pb2.ImportChunk(data=data)

        await servicer.StartImport(requests(), _Context(()))
        await imports.wait()

    await call(amazon_csv([("LIVE", NOW - timedelta(days=1))]), True)
    await call(amazon_csv([("PAST", NOW - timedelta(days=1))]), False)
    published = await lanes(ingest_pool)
    assert [r.external_id for r in published[topology.REVIEW_INGESTED]] == ["LIVE"]
    assert [r.external_id for r in published[topology.REVIEW_INGESTED_HISTORY]] == ["PAST"]


async def test_the_relay_publishes_a_fresh_review_before_another_tenants_queued_import(imports, ingest: IngestService, ingest_pool, bus) -> None:
    """Issue 12: an import queues its events by the thousand; a fresh review must not wait for them."""
    job = await run(imports, amazon_csv([(f"OLD{i}", NOW - timedelta(days=400 + i % 300)) for i in range(3000)]))
    assert job.created == 3000
    other_tenant = str(uuid.uuid4())
    [fresh] = await ingest.submit(other_tenant, [api_review("FRESH", NOW - timedelta(minutes=5))])
    relay = OutboxRelay(pool=ingest_pool, bus=bus, channel=OUTBOX_CHANNEL, batch=500, poll_seconds=0.2, history_suffix=topology.HISTORY_SUFFIX)

    assert await relay.publish_pending() == 500
    published = await published_on(bus, topology.REVIEW_INGESTED)
    async with ingest_pool.acquire() as conn:
        history_waiting = await conn.fetchval("SELECT count(*) FROM outbox WHERE subject = $1", topology.REVIEW_INGESTED_HISTORY)
    assert [r.id for r in published] == [fresh.id], "the fresh review went out in the first batch"
    assert history_waiting == 3000 - 499, "while all but 499 of the import's events still wait"

    while await relay.publish_pending():
        pass
    assert len(await published_on(bus, topology.REVIEW_INGESTED_HISTORY)) == 3000, "the import still drains, each event once"


async def published_on(bus, subject: str) -> list[review_pb2.Review]:
    info = await bus.jetstream.stream_info(topology.REVIEWS.name)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1 if info.state.messages else 0):
        msg = await bus.jetstream.get_msg(topology.REVIEWS.name, seq)
        if msg.subject == subject:
            found.append(events_pb2.ReviewIngested.FromString(msg.data).review)
    return found
