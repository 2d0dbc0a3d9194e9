"""CSV imports through COPY against real PostgreSQL: the SQL mapping stores exactly what the Python
mapping would, hands every doubtful row to Python, and the database-encoded events are the reviews."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import ingest_pb2, review_pb2
from services.ingest import models
from services.ingest.import_jobs import ImportService
from services.ingest.imports import amazon_seller_central, staging
from services.ingest.imports.mapping import ColumnMapping, RowMapper
from services.ingest.imports.readers import RowError, review_or_error
from services.ingest.reviews import repository as reviews_repository
from services.ingest.service import IngestService

HEADER = ["Review ID", "ASIN", "SKU", "Review Date", "Star Rating", "Title", "Review Text", "Reviewer Name", "Verified Purchase", "Marketplace", "Images"]
# Written for these tests: plain rows the SQL mapping takes, and rows only Python can decide.
PLAIN = [
    ["R1", "B0KETTLE01", "", "2026-11-20", "1", "Kaputt angekommen", "Das Gerät kam beschädigt an.", "Jürgen", "Yes", "de", ""],
    ["R2", "", "KT-7", "2026-11-18T09:30:00Z", "4,5", " Good kettle ", "Boils fast,\na bit loud.", "Sam", "no", "US", "https://img.example/a.jpg, https://img.example/b.jpg"],
    ["R3", "B0KETTLE02", "", "2026-11-15 23:10:05+09:00", "3", "", "Le couvercle ne ferme plus.", "", "VERIFIED", "amazon.fr", ""],
    ["R4", "B0KETTLE02", "", "2026-03-29", "5", "とても良い", "お湯がすぐ沸きます。", "佐藤", "", "JP", ""],
]
DOUBTFUL = [
    ["R5", "B0KETTLE03", "", "11/10/2026", "2", "Leaks", "Leaks from the base.", "Kim", "", "US", ""],  # US date: strptime
    ["R6", "B0KETTLE03", "", "2026-11-10", "4.0 out of 5 stars", "Fine", "Works.", "Ana", "SÍ", "ES", ""],  # a rating in words
    ["R7", "B0KETTLE03", "", "2026-02-30", "2", "Leaks", "Leaks.", "Kim", "", "US", ""],  # no such day
    ["R8", "B0KETTLE03", "", "2026-11-10", "seven", "Leaks", "Leaks.", "Kim", "", "US", ""],
    ["R9", "B0KETTLE03", "", "1990-01-01", "2", "Old", "Too old.", "Kim", "", "US", ""],
    ["R10", "B0KETTLE03", "", "2026-11-10", "2", "", "", "Kim", "", "US", ""],
    ["R11", "B0KETTLE03", "", "2026-11-10", "2", "Pics", "See.", "Kim", "", "US", "ftp://x/y.jpg"],
    ["R12", "", "", "2026-11-10", "2", "No product", "None.", "Kim", "", "US", ""],
    ["R13", "B0KETTLE03", "", "2026-11-10", "0", "Zero", "Zero stars.", "Kim", "", "US", ""],
    ["R14", "B0KETTLE03", "", "2026-11-10", "2", "Bad bytes \ufffd", "Broken.", "Kim", "", "US", ""],
]
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(rows)
    return out.getvalue()


async def source(text: str):
    yield text.encode()


async def stage_through_sql(conn: asyncpg.Connection, mapping: ColumnMapping, rows: list[list[str]], limits: models.Limits):
    """The staging rows the SQL mapping wrote, by ord, and the ords it left to Python."""
    table = await staging.copy_raw(conn, HEADER, source(csv_text(rows)), delimiter=",")
    async with conn.transaction():
        await reviews_repository.ensure_staging(conn)
        left = await staging.ChunkMapper(mapping, table, limits).run(
            conn, 0, table.rows, now=NOW, competitor=False, live=False, oldest_live=NOW - timedelta(days=14)
        )
        staged = {r["ord"]: dict(r) for r in await conn.fetch("SELECT * FROM pg_temp.review_staging")}
    await staging.drop_raw(conn, table)
    return staged, [r["ord"] for r in left], table


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
async def test_sql_mapping_stores_what_the_python_mapping_does_and_leaves_it_the_rest(ingest_pool, ingest: IngestService, zone) -> None:
    mapping = amazon_seller_central(timezone=zone)
    rows = PLAIN + DOUBTFUL
    async with ingest_pool.acquire() as conn:
        staged, left, table = await stage_through_sql(conn, mapping, rows, ingest.limits)
    mapper = RowMapper(mapping)
    python = {}
    for ord_, row in enumerate(rows, start=1):
        item = review_or_error(ord_ + 1, dict(zip(HEADER, row)), mapper, ingest.limits, NOW, "utf-8")
        python[ord_] = item
    # NOTE: 2026-03-29 00:00 in Berlin is a day of a DST change: Python decides such a local time.
    sql_ords = {1, 2, 3} | ({4} if zone == "UTC" else set())
    assert set(staged) == sql_ords and set(left) == set(python) - sql_ords
    for ord_ in sql_ords:
        expected = models.to_row(python[ord_], channel="import")
        got = staged[ord_]
        got["media_urls"] = json.loads(got["media_urls"])
        for name, value in expected.items():
            if name not in ("syndication_group", "history"):
                assert got[name] == value, (ord_, name)
        assert got["history"] is True, "an import not marked live is history"
    assert all(isinstance(python[o], RowError) for o in range(7, 15)), "the doubtful rows that are bad stay bad"
    assert isinstance(python[5], review_pb2.Review) and isinstance(python[6], review_pb2.Review)


async def test_the_database_encodes_reviews_ingested_as_python_does(ingest_pool, ingest: IngestService) -> None:
    full = review_pb2.Review(
        platform="amazon", marketplace="DE", store_id="S1", external_id="X1", product_id="P1", product_line="kettles",
        order_id="O1", reviewer=review_pb2.Reviewer(id="u1", name="Jürgen"), rating=2, title="Kaputt " * 30, body="é" * 3000,
        language="de", verified_purchase=True, media_urls=["https://img.example/1.jpg", "https://img.example/2.jpg"],
        reply_state="replied", competitor=True,
    )  # fmt: skip
    full.posted_at.FromDatetime(datetime(2026, 11, 20, 8, 30, 15, 123456, tzinfo=timezone.utc))
    bare = review_pb2.Review(platform="ebay", marketplace="US", external_id="X2", product_id="P2", rating=5, body="ok")
    bare.posted_at.FromDatetime(datetime(2026, 11, 21, tzinfo=timezone.utc))
    tenant = str(uuid.uuid4())
    results = await ingest.submit(tenant, [full, bare])
    ids = [uuid.UUID(r.id) for r in results]
    async with ingest_pool.acquire() as conn, conn.transaction():
        python = [r["payload"] for r in await conn.fetch("SELECT payload FROM outbox ORDER BY id")]
        queued = await reviews_repository.queue_ingested(conn, uuid.UUID(tenant), ids, live_subject="live", history_subject="past", headers="{}")
        sql = await conn.fetch("SELECT subject, msg_id, payload FROM outbox WHERE subject IN ('live', 'past') ORDER BY id")
    assert queued == 2 and [r["msg_id"] for r in sql] == [f"review:{i}:v1" for i in ids]
    assert [events_pb2.ReviewIngested.FromString(r["payload"]) for r in sql] == [events_pb2.ReviewIngested.FromString(p) for p in python]
    assert [r["subject"] for r in sql] == ["past", "past"], "posted weeks before now: history"
    # NOTE: a field added to Review must be added to reviews/repository.py's _INGESTED_EVENTS too.
    assert [f.number for f in review_pb2.Review.DESCRIPTOR.fields] == list(range(1, 27))


async def test_a_csv_import_goes_through_copy_with_lines_errors_events_and_edits(ingest_pool, ingest: IngestService, tmp_path) -> None:
    tenant = str(uuid.uuid4())
    imports = ImportService(pool=ingest_pool, ingest=ingest, max_bytes=1_000_000, spool_dir=tmp_path, copy_batch=3)

    async def run(rows):
        data = (",".join(HEADER) + "\n" + csv_text(rows)).encode()

        async def chunks():
            yield data

        job = await imports.start(start=ingest_pb2.ImportStart(tenant_id=tenant, format="csv", mapping="amazon"), chunks=chunks())
        await imports.wait()
        return await imports.get(tenant_id=tenant, import_id=job.id)

    job = await run(PLAIN + DOUBTFUL)
    assert job.status == "done" and (job.rows_read, job.rows_good, job.rows_bad, job.created) == (14, 6, 8, 6)
    # NOTE: R2's body spans two lines, so every row after it starts a line later.
    assert [e.line for e in job.errors] == [9, 10, 11, 12, 13, 14, 15, 16]
    assert "rating 'seven' is not a number" in job.errors[1].reason and "not valid utf-8" in job.errors[7].reason
    async with ingest_pool.acquire() as conn:
        stored = {r["external_id"]: r for r in await conn.fetch("SELECT * FROM reviews WHERE tenant_id = $1", uuid.UUID(tenant))}
        payloads = [r["payload"] for r in await conn.fetch("SELECT payload FROM outbox WHERE subject = 'reviews.ingested.history' ORDER BY id")]
    assert sorted(stored) == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert [events_pb2.ReviewIngested.FromString(p).review for p in payloads] == [models.from_row(stored[k]) for k in ["R1", "R2", "R3", "R4", "R5", "R6"]]

    again = await run(PLAIN)
    assert (again.rows_good, again.created, again.updated) == (4, 0, 0), "a rerun adds nothing"
    edited = [[*PLAIN[0][:4], "3", *PLAIN[0][5:]]]
    job = await run(edited)
    assert (job.created, job.updated) == (0, 1)
    async with ingest_pool.acquire() as conn:
        updates = await conn.fetch("SELECT payload FROM outbox WHERE subject = 'reviews.updated'")
        assert await conn.fetchval("SELECT count(*) FROM review_versions WHERE review_id = $1", stored["R1"]["id"]) == 1
    change = events_pb2.ReviewUpdated.FromString(updates[0]["payload"])
    assert (change.old_rating, change.new_rating, change.review.version, list(change.changed_fields)) == (1, 3, 2, ["rating"])
