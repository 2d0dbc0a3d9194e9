"""Import jobs against real PostgreSQL: spooled, run in the background, reported, idempotent."""

from __future__ import annotations

import csv
import io
import json
import uuid

import asyncpg
import pytest

from libs.errors import InvalidArgument
from reviewguard.ingest.v1 import ingest_pb2
from services.ingest.import_jobs import ImportService
from services.ingest.service import IngestService

TENANT = str(uuid.uuid4())
HEADER = ["Review ID", "ASIN", "Review Date", "Star Rating", "Title", "Review Text", "Reviewer Name", "Marketplace"]
# Written for these tests.
ROWS = [
    ["R1", "B0KETTLE01", "2026-11-20", "1", "Kaputt angekommen", "Das Gerät kam beschädigt an.", "Jürgen", "DE"],
    ["R2", "B0KETTLE01", "11/18/2026", "4.0 out of 5 stars", "Good kettle", "Boils fast, a bit loud.", "Sam", "US"],
    ["R3", "B0KETTLE02", "2026-11-15", "seven", "Couvercle cassé", "Le couvercle ne ferme plus.", "Amélie", "FR"],
    ["R4", "B0KETTLE02", "yesterday", "5", "とても良い", "お湯がすぐ沸きます。", "佐藤", "JP"],
    ["R5", "B0KETTLE03", "2026-11-10", "2", "Leaks", "Leaks from the base after a week.", "Kim", "US"],
]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, *, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


async def chunks(data: bytes, size: int = 7):
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.fixture
def imports(ingest_pool: asyncpg.Pool, ingest: IngestService, tmp_path) -> ImportService:
    return ImportService(pool=ingest_pool, ingest=ingest, max_bytes=1_000_000, spool_dir=tmp_path, batch=2, copy_batch=2)


def start(**overrides) -> ingest_pb2.ImportStart:
    values = {"tenant_id": TENANT, "format": "csv", "mapping": "amazon", "file_name": "reviews.csv", **overrides}
    return ingest_pb2.ImportStart(**values)


async def run(imports: ImportService, data: bytes, **overrides) -> ingest_pb2.ImportJob:
    job = await imports.start(start=start(**overrides), chunks=chunks(data))
    assert job.status == "queued" and job.bytes == len(data)
    await imports.wait()
    return await imports.get(tenant_id=TENANT, import_id=job.id)


async def test_good_rows_are_stored_bad_rows_reported_by_line_and_a_rerun_adds_nothing(imports, ingest_pool, tmp_path) -> None:
    data = csv_bytes(ROWS)
    job = await run(imports, data)
    assert job.status == "done" and job.encoding == "utf-8-sig"
    assert (job.rows_read, job.rows_good, job.rows_bad, job.created, job.updated) == (5, 3, 2, 3, 0)
    assert [(e.line, e.reason.split(" ")[0]) for e in job.errors] == [(4, "rating"), (5, "date")]
    assert job.finished_at.seconds and list(tmp_path.iterdir()) == [], "the spooled file is deleted"
    again = await run(imports, data)
    assert (again.rows_good, again.created, again.updated) == (3, 0, 0)
    async with ingest_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM reviews WHERE channel = 'import'") == 3
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 3


async def test_a_changed_row_in_a_later_export_is_an_update(imports) -> None:
    await run(imports, csv_bytes(ROWS[:1]))
    changed = [[*ROWS[0][:3], "4", *ROWS[0][4:]]]
    job = await run(imports, csv_bytes(changed))
    assert (job.created, job.updated) == (0, 1)


async def test_competitor_files_and_jsonl_with_a_custom_mapping(imports, ingest: IngestService, ingest_pool) -> None:
    mapping = {"columns": {"external_id": "id", "product_id": "sku", "rating": "score", "body": "text", "posted_at": "date"},
               "constants": {"platform": "walmart", "marketplace": "US"}, "rating_scale": 10}  # fmt: skip
    lines = [
        {"id": "w1", "sku": "K1", "score": 2, "text": "Arrived dented and the lid is loose.", "date": "2026-11-20T10:00:00Z"},
        {"id": "w2", "sku": "K1", "score": 10, "text": "Perfect kettle.", "date": "2026-11-21T10:00:00Z"},
        "not an object",
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode() + b"\n{broken"
    job = await run(imports, data, format="jsonl", mapping="custom", mapping_json=json.dumps(mapping), competitor=True)
    assert (job.status, job.rows_good, job.rows_bad, job.competitor) == ("done", 2, 2, True)
    assert [e.line for e in job.errors] == [3, 4]
    async with ingest_pool.acquire() as conn:
        assert await conn.fetch("SELECT rating, competitor FROM reviews ORDER BY external_id") == [(1, True), (5, True)]


async def test_a_bad_request_creates_no_job(imports, ingest_pool) -> None:
    cases = [
        ({"format": "xlsx"}, "format"),
        ({"mapping": "ebay"}, "mapping"),
        ({"mapping": "custom"}, "mapping_json"),
        ({"mapping": "custom", "mapping_json": '{"columns": {"rating": "r"}}'}, "mapping_json"),
        ({"mapping": "judgeme"}, "mapping_json.marketplace"),
        ({"mapping": "amazon", "mapping_json": "[1]"}, "mapping_json"),
        ({"encoding": "klingon"}, "encoding"),
        ({"tenant_id": "nope"}, "tenant_id"),
    ]
    for overrides, field in cases:
        with pytest.raises(InvalidArgument) as raised:
            await imports.start(start=start(**overrides), chunks=chunks(csv_bytes(ROWS)))
        assert any(v.field.startswith(field) for v in raised.value.violations), (overrides, raised.value.violations)
    with pytest.raises(InvalidArgument, match="empty"):
        await imports.start(start=start(), chunks=chunks(b""))
    small = ImportService(pool=ingest_pool, ingest=imports._ingest, max_bytes=10)
    with pytest.raises(InvalidArgument, match="larger than 10 bytes"):
        await small.start(start=start(), chunks=chunks(csv_bytes(ROWS)))
    async with ingest_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM import_jobs") == 0


async def test_an_unreadable_file_fails_the_job_and_stores_nothing(imports, ingest_pool) -> None:
    job = await run(imports, csv_bytes(ROWS, header=["id", "text"]))
    assert job.status == "failed" and "missing column" in job.error and job.error.startswith("line 1")
    async with ingest_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM reviews") == 0


async def test_shift_jis_exports_are_read_when_named_and_refused_when_not(imports, ingest_pool) -> None:
    rows = [["J1", "B0KETTLE02", "2026-11-12", "5", "とても良い", "デザインが素敵で、お湯がすぐ沸きます。", "佐藤", "JP"]]
    refused = await run(imports, csv_bytes(rows, encoding="cp932"))
    assert refused.status == "failed" and "not UTF-8" in refused.error and "encoding" in refused.error
    async with ingest_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM reviews") == 0
    job = await run(imports, csv_bytes(rows, encoding="cp932"), encoding="shift_jis")
    assert (job.status, job.encoding, job.rows_good, job.created) == ("done", "cp932", 1, 1)


async def test_jobs_of_a_dead_process_are_reported_failed(imports, ingest_pool) -> None:
    async with ingest_pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO import_jobs (tenant_id, format, mapping, status, updated_at) VALUES ($1, 'csv', 'amazon', 'running', now() - interval '1 hour')",
            uuid.UUID(TENANT),
        )
    assert await imports.fail_stale() == 1
    async with ingest_pool.acquire() as conn:
        row = await conn.fetchrow("SELECT status, error FROM import_jobs")
    assert row["status"] == "failed" and "import the file again" in row["error"]


async def test_a_nul_in_one_row_is_that_rows_error_and_the_rest_are_stored(imports, ingest_pool) -> None:
    """Issue 18: one NUL row made a whole CSV import fail (PostgreSQL text cannot hold NUL)."""
    rows = [ROWS[0], ["R6", "B0KETTLE01", "2026-11-19", "1", "Undicht", "Läuft aus.", "Jür\x00gen", "DE"],
            ["R7", "B0KET\x00TLE01", "2026-11-19", "2", "Laut", "Sehr laut.", "Eva", "DE"], ROWS[4]]
    job = await run(imports, csv_bytes(rows))
    assert job.status == "done" and (job.rows_good, job.rows_bad, job.created) == (2, 2, 2)
    assert [(e.line, "NUL" in e.reason) for e in job.errors] == [(3, True), (4, True)]
    assert "reviewer" in job.errors[0].reason and "product_id" in job.errors[1].reason
    async with ingest_pool.acquire() as conn:
        assert sorted(await conn.fetchval("SELECT array_agg(external_id) FROM reviews")) == ["R1", "R5"]
