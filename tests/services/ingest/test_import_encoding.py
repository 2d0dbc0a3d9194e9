"""Imports never corrupt: a re-import read in the wrong encoding cannot overwrite good reviews.

A seller imports an Amazon export (UTF-8), later re-imports "the same file" that a colleague saved
from Excel as cp1252 or Shift-JIS, or names the wrong encoding. Stored reviews must keep their
text, no new version may be recorded, each damaged row is reported by line, and genuine edits in
the same file still land.
"""

from __future__ import annotations

import csv
import io
import uuid

import asyncpg
import pytest

from reviewguard.ingest.v1 import ingest_pb2
from services.ingest.import_jobs import ImportService
from services.ingest.imports.encoding import encoding_damage
from services.ingest.service import IngestService

TENANT = str(uuid.uuid4())
HEADER = ["Review ID", "ASIN", "Review Date", "Star Rating", "Title", "Review Text", "Reviewer Name", "Marketplace"]
# Reviews written for these tests: German, French, Japanese, and one in plain ASCII.
GERMAN = ["DE-1", "B0KETTLE01", "2026-11-20", "1", "Kaputt angekommen", "Das Gehäuse war gebrochen, die Rückgabe dauert ewig.", "Jürgen Müller", "DE"]
FRENCH = ["FR-1", "B0KETTLE02", "2026-11-18", "2", "Très déçu", "Le couvercle est cassé, et l'odeur de plastique reste après une semaine.", "Amélie", "FR"]
JAPANESE = ["JP-1", "B0KETTLE03", "2026-11-12", "5", "とても良い", "デザインが素敵で、お湯がすぐ沸きます。毎朝使っています。", "佐藤", "JP"]
PLAIN = ["US-1", "B0KETTLE04", "2026-11-10", "4", "Good kettle", "Boils fast, a bit loud.", "Sam", "US"]


def export(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


async def chunks(data: bytes):
    yield data


@pytest.fixture
def imports(ingest_pool: asyncpg.Pool, ingest: IngestService, tmp_path) -> ImportService:
    return ImportService(pool=ingest_pool, ingest=ingest, max_bytes=1_000_000, spool_dir=tmp_path)


async def run(imports: ImportService, data: bytes, *, encoding: str = "") -> ingest_pb2.ImportJob:
    start = ingest_pb2.ImportStart(tenant_id=TENANT, format="csv", mapping="amazon", file_name="reviews.csv", encoding=encoding)
    job = await imports.start(start=start, chunks=chunks(data))
    await imports.wait()
    return await imports.get(tenant_id=TENANT, import_id=job.id)


async def texts(pool: asyncpg.Pool) -> dict[str, tuple]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT external_id, title, body, reviewer_name, rating, version FROM reviews")
    return {r["external_id"]: tuple(r)[1:] for r in rows}


async def versions(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        return await conn.fetchval("SELECT count(*) FROM review_versions")


async def test_a_cp1252_copy_read_as_utf8_is_rejected_row_by_row_and_keeps_the_stored_reviews(imports, ingest_pool) -> None:
    first = await run(imports, export([GERMAN, FRENCH, PLAIN]))
    assert (first.status, first.created) == ("done", 3)
    before = await texts(ingest_pool)

    # The same file saved from Excel as cp1252; the plain review was edited meanwhile (4 -> 2 stars).
    edited = [*PLAIN[:3], "2", *PLAIN[4:]]
    saved_as_cp1252 = export([GERMAN, FRENCH, edited], encoding="cp1252")

    # Without a named encoding the file is refused as a whole: nothing is guessed, nothing changes.
    refused = await run(imports, saved_as_cp1252)
    assert refused.status == "failed" and "not UTF-8" in refused.error and "cp1252" in refused.error
    assert await texts(ingest_pool) == before

    # Read as UTF-8 on purpose: the two damaged rows are reported by line, the genuine edit lands.
    job = await run(imports, saved_as_cp1252, encoding="utf-8")
    assert (job.status, job.rows_good, job.rows_bad, job.updated) == ("done", 1, 2, 1)
    assert [e.line for e in job.errors] == [2, 3]
    assert all("not valid utf-8" in e.reason for e in job.errors)
    after = await texts(ingest_pool)
    assert after["DE-1"] == before["DE-1"] and after["FR-1"] == before["FR-1"]
    assert after["US-1"][3:] == (2, 2), "the edit is version 2 with its new rating"
    assert await versions(ingest_pool) == 1


async def test_a_utf8_export_read_as_cp1252_is_mojibake_and_stores_no_new_version(imports, ingest_pool) -> None:
    data = export([GERMAN, FRENCH, JAPANESE, PLAIN])
    assert (await run(imports, data)).created == 4
    before = await texts(ingest_pool)

    # Named, wrongly, as cp1252: "Gehäuse" would become "GehÃ¤use". Honoured as named, but a row
    # whose only difference from the stored review is that damage is not taken for an edit.
    job = await run(imports, data, encoding="cp1252")
    assert job.status == "done" and job.created == 0 and job.updated == 0
    damaged = {e.line: e.reason for e in job.errors}
    assert set(damaged) == {2, 3, 4}
    assert all("encoding damage" in damaged[line] and "stored version is kept" in damaged[line] for line in (2, 3))
    # Japanese UTF-8 holds bytes cp1252 does not define: that row cannot even be read as named.
    assert "not valid cp1252" in damaged[4]
    assert damaged[2].startswith("body and reviewer_name differ")
    assert await texts(ingest_pool) == before
    assert await versions(ingest_pool) == 0


async def test_a_shift_jis_copy_is_refused_when_read_as_utf8_and_equal_when_named(imports, ingest_pool) -> None:
    utf8 = export([JAPANESE, PLAIN])
    assert (await run(imports, utf8)).created == 2
    before = await texts(ingest_pool)
    shift_jis = export([JAPANESE, PLAIN], encoding="cp932")

    job = await run(imports, shift_jis, encoding="utf-8")
    assert (job.rows_good, job.rows_bad, job.updated) == (1, 1, 0) and job.errors[0].line == 2
    # Named as what it is, it reads back exactly what is stored: nothing new.
    named = await run(imports, shift_jis, encoding="shift_jis")
    assert (named.status, named.encoding, named.rows_good, named.created, named.updated) == ("done", "cp932", 2, 0, 0)
    # Shift-JIS bytes read as cp1252 give mojibake ("‚Æ‚Ä..."), caught like any other.
    misread = await run(imports, shift_jis, encoding="cp1252")
    assert misread.updated == 0 and [e.line for e in misread.errors] == [2]
    assert await texts(ingest_pool) == before and await versions(ingest_pool) == 0


async def test_genuine_edits_and_repairs_of_damaged_text_are_still_edits(imports, ingest_pool) -> None:
    # A review first imported with mojibake (a wrong encoding named) can be repaired by importing
    # the right text, and a real change of wording is an edit as always.
    mangled = [*GERMAN[:4], "Kaputt angekommen", "Das GehÃ¤use war gebrochen.", "JÃ¼rgen MÃ¼ller", "DE"]
    assert (await run(imports, export([mangled, FRENCH]))).created == 2
    repaired = [*GERMAN[:5], "Das Gehäuse war gebrochen.", "Jürgen Müller", "DE"]
    reworded = [*FRENCH[:5], "Le couvercle est cassé. Le vendeur a remplacé la bouilloire, merci.", *FRENCH[6:]]
    job = await run(imports, export([repaired, reworded]))
    assert (job.rows_bad, job.updated) == (0, 2)
    stored = await texts(ingest_pool)
    assert stored["DE-1"][1:3] == ("Das Gehäuse war gebrochen.", "Jürgen Müller")


def test_what_counts_as_encoding_damage() -> None:
    assert encoding_damage("Gehäuse", "GehÃ¤use"), "UTF-8 read as cp1252"
    assert encoding_damage("déçu", "dÃ©Ã§u")
    assert encoding_damage("とても良い", "‚Æ‚Ä‚à—Ç‚¢"), "Shift-JIS read as cp1252"
    assert encoding_damage("Привет", "Ïðèâåò"), "cp1251 read as cp1252"
    assert encoding_damage("Müller", "M\ufffdller"), "bytes that could not be decoded"
    assert not encoding_damage("gut", "sehr gut")
    assert not encoding_damage("GehÃ¤use", "Gehäuse"), "a repair is not damage"
    assert not encoding_damage("Gehäuse", "Gehäuse")
