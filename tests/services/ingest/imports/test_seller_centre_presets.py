"""Walmart and AliExpress seller-centre exports: mapped row by row, and imported as jobs into real PostgreSQL."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timezone
from pathlib import Path

import asyncpg
import pytest

from libs.errors import InvalidArgument
from reviewguard.ingest.v1 import ingest_pb2
from services.ingest.import_jobs import ImportService
from services.ingest.imports import RowError, aliexpress_seller_center, import_reviews, walmart_seller_center
from services.ingest.service import IngestService

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
TENANT = str(uuid.uuid4())

WALMART_HEADER = ["Review ID", "Item ID", "SKU", "Product Name", "Order Number", "Rating", "Review Title", "Review Text",
                  "Reviewer Nickname", "Review Submission Date", "Verified Purchase", "Photos", "Seller Response"]  # fmt: skip
# Reviews written for these tests: Walmart US buyers write in English and Spanish, Walmart CA in French.
WALMART_ROWS = [
    ["284710093", "5512398476", "BLD-900-BLK", "Pro Blender 900W", "108822716394501", "1", "Broke in a week",
     "The lid cracked on day five and the motor smells burnt.", "kitchenmom", "11/20/2026 14:05:00", "true",
     "https://i5.walmartimages.com/reviews/a.jpg", ""],
    ["284710094", "5512398476", "BLD-900-BLK", "Pro Blender 900W", "108822716394502", "5", "¡Excelente!",
     "Muy potente y fácil de limpiar. Llegó antes de lo esperado.", "Rosa G.", "11/18/2026", "true", "", "¡Gracias, Rosa!"],
    ["284710095", "", "BLD-700-WHT", "Compact Blender 700W", "", "3", "Correct, sans plus",
     "Fonctionne bien mais le bruit est très fort le matin.", "Étienne", "2026-11-15", "false", "", ""],
    ["284710096", "5512398477", "BLD-700-WHT", "Compact Blender 700W", "108822716394504", "0", "?", "no stars", "x", "11/14/2026", "", "", ""],
]  # fmt: skip

ALIEXPRESS_HEADER_ZH = ["订单号", "商品ID", "买家", "国家", "评分", "评价内容", "评价时间", "图片", "回复"]
# Written for these tests: AliExpress buyers from Russia, Spain, France, Brazil and Korea.
ALIEXPRESS_ROWS = [
    ["8190234471023345", "1005006214470012", "Dmitri K.", "RU", "1", "Товар пришёл разбитым, продавец не отвечает.", "2026-11-20 09:12:44", "", ""],
    ["8190234471023346", "1005006214470012", "Lucía", "ES", "5", "Llegó en 12 días, funciona perfecto.", "2026-11-19 21:40:00", "https://ae01.alicdn.com/kf/a.jpg", "谢谢！"],
    ["8190234471023347", "1005006214470013", "Marc", "FR", "2", "Câble trop court, pas comme sur la photo.", "2026/11/18 08:00:00", "", ""],
    ["8190234471023348", "1005006214470013", "João", "BR", "4", "Bom produto, mas a entrega demorou.", "2026-11-17 12:30:00", "", ""],
    ["8190234471023349", "1005006214470014", "민수", "KR", "5", "배송이 빠르고 품질이 좋아요.", "2026-11-16 18:05:10", "", ""],
    ["8190234471023350", "", "Ana", "PT", "3", "sem produto", "2026-11-15 10:00:00", "", ""],
]  # fmt: skip


def csv_bytes(header: list[str], rows: list[list[str]], *, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def run(path: Path, mapping):
    with path.open("rb") as f:
        imported = import_reviews(f, now=NOW, format="csv", mapping=mapping)
        items = list(imported)
    errors = [(line, item.reason) for line, item in items if isinstance(item, RowError)]
    return [(line, item) for line, item in items if not isinstance(item, RowError)], errors


def test_walmart_export_maps_each_language_and_reports_a_zero_star_row(tmp_path: Path) -> None:
    path = tmp_path / "walmart.csv"
    path.write_bytes(csv_bytes(WALMART_HEADER, WALMART_ROWS))
    items, errors = run(path, walmart_seller_center())
    assert [line for line, _ in items] == [2, 3, 4]
    assert len(errors) == 1 and errors[0][0] == 5 and "rating 0" in errors[0][1]
    en, es, fr = (r for _, r in items)
    assert (en.platform, en.marketplace, en.external_id, en.product_id, en.order_id) == ("walmart", "US", "284710093", "5512398476", "108822716394501")
    assert (en.rating, en.title, en.reviewer.name, en.verified_purchase) == (1, "Broke in a week", "kitchenmom", True)
    assert en.posted_at.ToDatetime(tzinfo=timezone.utc) == datetime(2026, 11, 20, 14, 5, tzinfo=timezone.utc)
    assert list(en.media_urls) == ["https://i5.walmartimages.com/reviews/a.jpg"] and en.reply_state == ""
    assert (es.body, es.reply_state) == ("Muy potente y fácil de limpiar. Llegó antes de lo esperado.", "replied")
    assert es.posted_at.ToDatetime(tzinfo=timezone.utc) == datetime(2026, 11, 18, tzinfo=timezone.utc)
    assert (fr.product_id, fr.verified_purchase, fr.title) == ("BLD-700-WHT", False, "Correct, sans plus"), "SKU stands in for an empty Item ID"


def test_aliexpress_export_with_chinese_headers_in_china_time(tmp_path: Path) -> None:
    path = tmp_path / "aliexpress.csv"
    path.write_bytes(csv_bytes(ALIEXPRESS_HEADER_ZH, ALIEXPRESS_ROWS))
    items, errors = run(path, aliexpress_seller_center())
    again, _ = run(path, aliexpress_seller_center())
    assert len(items) == 5 and len(errors) == 1 and errors[0][0] == 7 and "商品ID" in errors[0][1]
    ru, es, fr, br, kr = (r for _, r in items)
    assert (ru.platform, ru.marketplace, ru.order_id, ru.product_id, ru.rating) == ("aliexpress", "RU", "8190234471023345", "1005006214470012", 1)
    assert ru.body == "Товар пришёл разбитым, продавец не отвечает." and ru.reviewer.name == "Dmitri K."
    # 09:12:44 in Beijing is 01:12:44 UTC.
    assert ru.posted_at.ToDatetime(tzinfo=timezone.utc) == datetime(2026, 11, 20, 1, 12, 44, tzinfo=timezone.utc)
    assert fr.posted_at.ToDatetime(tzinfo=timezone.utc) == datetime(2026, 11, 18, 0, 0, tzinfo=timezone.utc)
    assert (es.reply_state, list(es.media_urls), ru.reply_state) == ("replied", ["https://ae01.alicdn.com/kf/a.jpg"], "")
    assert (br.body, kr.body, kr.reviewer.name) == ("Bom produto, mas a entrega demorou.", "배송이 빠르고 품질이 좋아요.", "민수")
    ids = [r.external_id for r in (ru, es, fr, br, kr)]
    assert len(set(ids)) == 5 and all(i.startswith("aliexpress:") for i in ids)
    assert ids == [r.external_id for _, r in again], "the derived id is stable across re-imports"


def test_aliexpress_export_with_english_headers_and_a_100_point_score(tmp_path: Path) -> None:
    header = ["Order ID", "Product ID", "Buyer", "Rating", "Feedback", "Feedback Date"]
    rows = [["8190234471029001", "1005006214470020", "Kate", "20", "Arrived broken.", "Nov 20, 2026 10:15"],
            ["8190234471029002", "1005006214470020", "Hans", "100", "Alles bestens, schnelle Lieferung.", "2026-11-19 08:00:00"]]  # fmt: skip
    path = tmp_path / "aliexpress-en.csv"
    path.write_bytes(csv_bytes(header, rows))
    items, errors = run(path, aliexpress_seller_center(marketplace="aliexpress.us", rating_scale=100, timezone="UTC"))
    assert errors == [] and len(items) == 2
    en, de = (r for _, r in items)
    assert (en.rating, de.rating) == (1, 5)
    assert (en.marketplace, de.body) == ("aliexpress.us", "Alles bestens, schnelle Lieferung."), "no country column: the option's marketplace"
    assert en.posted_at.ToDatetime(tzinfo=timezone.utc) == datetime(2026, 11, 20, 10, 15, tzinfo=timezone.utc)


@pytest.fixture
def imports(ingest_pool: asyncpg.Pool, ingest: IngestService, tmp_path) -> ImportService:
    return ImportService(pool=ingest_pool, ingest=ingest, max_bytes=1_000_000, spool_dir=tmp_path, batch=2)


async def import_job(imports: ImportService, data: bytes, mapping: str, mapping_json: str = "") -> ingest_pb2.ImportJob:
    async def chunks():
        yield data

    job = await imports.start(
        start=ingest_pb2.ImportStart(tenant_id=TENANT, format="csv", mapping=mapping, mapping_json=mapping_json, file_name=f"{mapping}.csv"),
        chunks=chunks(),
    )
    await imports.wait()
    return await imports.get(tenant_id=TENANT, import_id=job.id)


async def test_both_presets_import_as_jobs_once_and_bad_options_are_named(imports: ImportService, ingest_pool: asyncpg.Pool) -> None:
    walmart = await import_job(imports, csv_bytes(WALMART_HEADER, WALMART_ROWS), "walmart", '{"marketplace": "CA"}')
    aliexpress = await import_job(imports, csv_bytes(ALIEXPRESS_HEADER_ZH, ALIEXPRESS_ROWS), "aliexpress")
    assert (walmart.status, walmart.rows_good, walmart.rows_bad) == ("done", 3, 1)
    assert (aliexpress.status, aliexpress.rows_good, aliexpress.rows_bad) == ("done", 5, 1)
    again = await import_job(imports, csv_bytes(ALIEXPRESS_HEADER_ZH, ALIEXPRESS_ROWS), "aliexpress")
    assert again.rows_good == 5
    async with ingest_pool.acquire() as conn:
        rows = await conn.fetch("SELECT platform, marketplace, count(*) AS n FROM reviews GROUP BY 1, 2 ORDER BY 1, 2")
    assert [(r["platform"], r["marketplace"], r["n"]) for r in rows] == [
        ("aliexpress", "BR", 1), ("aliexpress", "ES", 1), ("aliexpress", "FR", 1), ("aliexpress", "KR", 1), ("aliexpress", "RU", 1),
        ("walmart", "CA", 3),
    ], "a second import of the same export adds nothing"  # fmt: skip

    for mapping, options, field in [("walmart", '{"marketplace": "DE"}', "mapping_json.marketplace"), ("aliexpress", '{"rating_scale": 10}', "mapping_json.rating_scale")]:
        with pytest.raises(InvalidArgument) as raised:
            await import_job(imports, csv_bytes(WALMART_HEADER, WALMART_ROWS), mapping, options)
        assert [v.field for v in raised.value.violations] == [field]
