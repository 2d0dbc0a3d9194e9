"""File imports: presets, user mappings, encodings, exact line numbers of bad rows, bounded memory."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.ingest.imports import ColumnMapping, RowError, amazon_seller_central, import_reviews, judgeme_csv

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
AMAZON_HEADER = ["Review ID", "ASIN", "SKU", "Review Date", "Star Rating", "Title", "Review Text", "Reviewer Name", "Verified Purchase", "Marketplace"]

# Reviews written for these tests.
AMAZON_ROWS = [
    ["R2XK9QZ1", "B0KETTLE01", "KT-17-DE", "2026-11-20", "1", "Kaputt angekommen", "Das Gerät kam beschädigt an. Totaler Betrug!", "Jürgen M.", "Yes", "DE"],
    ["R3EN00A2", "B0KETTLE01", "KT-17-US", "11/18/2026", "4.0 out of 5 stars", "Good kettle", "Boils fast, a bit loud.", "Sam", "No", "US"],
    ["R4FR11B3", "B0KETTLE02", "KT-22-FR", "2026-11-15", "2", "Couvercle cassé", "Le couvercle ne ferme plus,\nil fuit à chaque utilisation.", "Amélie", "Yes", "FR"],
    ["R5JP22C4", "B0KETTLE02", "KT-22-JP", "2026/11/12", "5", "とても良い", "デザインが素敵で、お湯がすぐ沸きます。", "佐藤", "Yes", "JP"],
    ["R6ZH33D5", "", "KT-22-CN", "2026-11-10", "1", "质量太差", "用了一周底座就开始漏水。", "王先生", "Yes", "CN"],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(path: Path, **kwargs):
    with path.open("rb") as f:
        imported = import_reviews(f, now=NOW, **kwargs)
        items = list(imported)
    return items, imported.summary


def test_amazon_export_with_bom_maps_every_language(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "amazon.csv", AMAZON_HEADER, AMAZON_ROWS, encoding="utf-8-sig")
    items, summary = run(path, format="csv", mapping=amazon_seller_central())
    assert summary.encoding == "utf-8-sig" and (summary.rows_read, summary.good, summary.bad) == (5, 5, 0)
    # NOTE: row 3's body spans two lines, so row 4 starts on line 6.
    assert [line for line, _ in items] == [2, 3, 4, 6, 7]
    de, en, fr, ja, zh = (review for _, review in items)
    assert (de.platform, de.marketplace, de.external_id, de.product_id) == ("amazon", "DE", "R2XK9QZ1", "B0KETTLE01")
    assert (de.rating, de.title, de.reviewer.name, de.verified_purchase) == (1, "Kaputt angekommen", "Jürgen M.", True)
    assert de.posted_at.ToDatetime(tzinfo=timezone.utc) == datetime(2026, 11, 20, tzinfo=timezone.utc)
    assert (en.rating, en.verified_purchase) == (4, False)
    assert en.posted_at.ToDatetime(tzinfo=timezone.utc) == datetime(2026, 11, 18, tzinfo=timezone.utc)
    assert fr.body == "Le couvercle ne ferme plus,\nil fuit à chaque utilisation."
    assert (ja.title, ja.marketplace) == ("とても良い", "JP")
    assert zh.product_id == "KT-22-CN", "SKU stands in for an empty ASIN"


def test_bad_rows_are_reported_with_their_line_and_reason(tmp_path: Path) -> None:
    rows = [
        AMAZON_ROWS[0],
        ["R7", "B0KETTLE01", "", "2026-11-20", "five", "Bad", "Rating is a word.", "A", "Yes", "DE"],  # line 3
        ["R8", "B0KETTLE01", "", "20.13.2026", "3", "Bad", "Impossible date.", "B", "Yes", "DE"],  # line 4
        ["R9", "", "", "2026-11-20", "3", "Bad", "No product at all.", "C", "Yes", "DE"],  # line 5
        ["R10", "B0KETTLE01", "", "2026-11-20", "7", "Bad", "Out of range.", "D", "Yes", "DE"],  # line 6
        ["R11", "B0KETTLE01", "2026-11-20"],  # line 7: too few fields
        ["R12", "B0KETTLE01", "", "2026-11-20", "2", "", "", "E", "Yes", "DE"],  # line 8: no text
        AMAZON_ROWS[1],  # line 9
    ]
    items, summary = run(write_csv(tmp_path / "broken.csv", AMAZON_HEADER, rows), format="csv", mapping=amazon_seller_central())
    errors = {line: item.reason for line, item in items if isinstance(item, RowError)}
    assert errors == {
        3: "rating 'five' is not a number",
        4: "date '20.13.2026' matches none of the formats (%Y-%m-%d, %m/%d/%Y, %d.%m.%Y, %Y/%m/%d, ISO 8601)",
        5: "product_id is empty (column 'ASIN' or 'SKU')",
        6: "rating 7 is outside 1 to 5",
        7: "has 3 fields but the header has 10",
        8: "body a review needs a title or a body",
    }
    assert [line for line, item in items if not isinstance(item, RowError)] == [2, 9]
    assert (summary.rows_read, summary.good, summary.bad) == (8, 2, 6)
    assert [e.line for e in summary.errors] == [3, 4, 5, 6, 7, 8]


def test_a_missing_column_stops_at_the_header(tmp_path: Path) -> None:
    header = [h for h in AMAZON_HEADER if h != "Star Rating"]
    path = write_csv(tmp_path / "no-rating.csv", header, [r[:4] + r[5:] for r in AMAZON_ROWS])
    items, summary = run(path, format="csv", mapping=amazon_seller_central())
    assert len(items) == 1
    line, error = items[0]
    assert line == 1 and error.fatal and error.reason.startswith("missing column 'Star Rating' or 'Rating' in the header")


def test_a_shift_jis_export_is_refused_until_its_encoding_is_named(tmp_path: Path) -> None:
    rows = [
        [f"RJP{i}", "B0KETTLE03", "", "2026-11-0" + str(i + 1), str(1 + i % 5), title, body, name, "Yes", "JP"]
        for i, (title, body, name) in enumerate(
            [
                ("残念です", "届いた時には蓋が割れていて、二日目から電源が入らなくなりました。", "山田太郎"),
                ("満足しています", "お湯がすぐに沸き、注ぎ口も使いやすいです。デザインも気に入りました。", "鈴木花子"),
                ("音が大きい", "性能は問題ありませんが、沸騰するときの音がかなり大きいです。", "田中"),
            ]
        )
    ]
    path = write_csv(tmp_path / "amazon-jp.csv", AMAZON_HEADER, rows, encoding="shift_jis")
    # Not guessed: the user is told the file is not UTF-8, where, and what it looks like.
    items, summary = run(path, format="csv", mapping=amazon_seller_central())
    assert summary.good == 0 and len(items) == 1
    line, error = items[0]
    assert error.fatal and line == 2 and "not UTF-8" in error.reason and "cp932" in error.reason
    items, summary = run(path, format="csv", mapping=amazon_seller_central(), encoding="Shift-JIS")
    assert summary.encoding == "cp932" and summary.good == 3
    assert [r.title for _, r in items] == ["残念です", "満足しています", "音が大きい"]
    assert items[0][1].reviewer.name == "山田太郎"


def test_a_gbk_export_is_read_in_the_encoding_named(tmp_path: Path) -> None:
    rows = [
        [f"RCN{i}", "B0KETTLE04", "", "2026-11-0" + str(i + 1), rating, title, body, name, "Yes", "CN"]
        for i, (rating, title, body, name) in enumerate(
            [
                ("1", "质量太差", "收到的水壶用了两天就坏了，客服一直不回复，非常失望。", "王先生"),
                ("5", "非常满意", "烧水很快，外观漂亮，物流也很及时，推荐购买。", "李女士"),
                ("3", "一般般", "东西还可以，但是包装有点破损，希望改进。", "张三"),
            ]
        )
    ]
    path = write_csv(tmp_path / "amazon-cn.csv", AMAZON_HEADER, rows, encoding="gbk")
    items, summary = run(path, format="csv", mapping=amazon_seller_central())
    assert items[0][1].fatal and "not UTF-8" in items[0][1].reason and summary.good == 0
    items, summary = run(path, format="csv", mapping=amazon_seller_central(), encoding="gbk")
    assert summary.encoding == "gb18030" and summary.good == 3
    assert [r.title for _, r in items] == ["质量太差", "非常满意", "一般般"]


def test_encoding_can_be_forced_and_bad_bytes_flag_only_their_row(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    good = "R1,B0KETTLE01,,2026-11-20,2,Zu laut,Sehr laut beim Kochen.,Anna,Yes,DE\r\n"
    path.write_bytes((",".join(AMAZON_HEADER) + "\r\n" + good).encode() + b"R2,B0KETTLE01,,2026-11-20,2,Kaputt \xff\xfe,Text,Bob,Yes,DE\r\n" + good.replace("R1", "R3").encode())
    items, summary = run(path, format="csv", mapping=amazon_seller_central(), encoding="utf-8")
    assert summary.encoding == "utf-8" and (summary.good, summary.bad) == (2, 1)
    assert items[1][0] == 3 and items[1][1].reason.startswith("contains bytes that are not valid utf-8")


def test_judgeme_csv_export(tmp_path: Path) -> None:
    header = ["title", "body", "rating", "review_date", "source", "curated", "reviewer_name", "reviewer_email", "product_id",
              "product_handle", "reply", "reply_date", "picture_urls", "ip_address", "location"]  # fmt: skip
    rows = [
        ["Fleckig nach dem Waschen", "Die Farbe ist nach der ersten Wäsche ausgeblichen.", "2", "2026-11-02 08:15:00 UTC", "web", "ok",
         "Petra K.", "petra@example.de", "7012345678901", "leinen-hemd", "Das tut uns leid, wir melden uns.", "2026-11-03 09:00:00 UTC",
         "https://judgeme.imgix.net/shop/a.jpg,https://judgeme.imgix.net/shop/b.jpg", "203.0.113.9", "Berlin, DE"],
        ["Parfait", "Tissu agréable et coupe impeccable.", "5", "2026-10-28 18:40:12 UTC", "email", "ok",
         "Claire", "claire@example.fr", "", "leinen-hemd", "", "", "", "198.51.100.4", "Lyon, FR"],
    ]  # fmt: skip
    path = write_csv(tmp_path / "judgeme.csv", header, rows)
    mapping = judgeme_csv(marketplace="DE", shop_domain="leinen.myshopify.com")
    items, summary = run(path, format="csv", mapping=mapping)
    again, _ = run(path, format="csv", mapping=mapping)
    assert summary.good == 2
    de, fr = (r for _, r in items)
    assert de.external_id == again[0][1].external_id and de.external_id.startswith("judgeme:") and de.external_id != fr.external_id
    assert (de.platform, de.marketplace, de.store_id, de.product_id) == ("shopify", "DE", "leinen.myshopify.com", "7012345678901")
    assert de.reviewer.id.startswith("sha256:") and "petra" not in de.reviewer.id
    assert (de.reply_state, fr.reply_state) == ("replied", "")
    assert list(de.media_urls) == ["https://judgeme.imgix.net/shop/a.jpg", "https://judgeme.imgix.net/shop/b.jpg"]
    assert de.posted_at.ToDatetime(tzinfo=timezone.utc) == datetime(2026, 11, 2, 8, 15, tzinfo=timezone.utc)
    assert fr.product_id == "leinen-hemd", "the handle stands in for a missing product id"


CUSTOM = ColumnMapping(
    name="shop-survey",
    columns={"external_id": "Col A", "rating": "Stars", "product_id": "item.sku", "title": "Headline", "body": "Comment",
             "posted_at": "When", "reviewer_name": "item.buyer", "language": "Lang"},
    constants={"platform": "walmart", "marketplace": "US"},
    date_formats=["%d/%m/%Y %H:%M"],
    timezone="Europe/Berlin",
    rating_scale=10,
)  # fmt: skip


def custom_record(i: int, **override) -> dict:
    record = {"Col A": f"S-{i}", "Stars": 10 - i, "item": {"sku": "SKU-9", "buyer": "Chris"}, "Headline": f"Review {i}",
              "Comment": "Works as described, arrived on time.", "When": "05/11/2026 14:30", "Lang": "en"}  # fmt: skip
    record.update(override)
    return record


def test_custom_mapping_from_a_json_array_with_line_numbers(tmp_path: Path) -> None:
    elements = [custom_record(0), custom_record(1, Stars="zehn"), custom_record(2, When="gestern"), [1, 2], custom_record(9)]
    path = tmp_path / "survey.json"
    # One element per line after the opening bracket: element k starts on line k + 2.
    path.write_text("[\n" + ",\n".join(json.dumps(e, ensure_ascii=False) for e in elements) + "\n]\n", encoding="utf-8")
    items, summary = run(path, format="json", mapping=CUSTOM)
    assert [(line, isinstance(item, RowError)) for line, item in items] == [(2, False), (3, True), (4, True), (5, True), (6, False)]
    first, last = items[0][1], items[4][1]
    assert (first.platform, first.marketplace, first.product_id, first.reviewer.name) == ("walmart", "US", "SKU-9", "Chris")
    assert (first.rating, last.rating) == (5, 1), "10-point scores: 10 -> 5 stars, 1 -> 1 star"
    assert first.posted_at.ToDatetime(tzinfo=timezone.utc) == datetime(2026, 11, 5, 13, 30, tzinfo=timezone.utc), "Berlin is UTC+1 in November"
    assert items[1][1].reason == "rating 'zehn' is not a number"
    assert items[2][1].reason.startswith("date 'gestern' matches none of the formats")
    assert items[3][1].reason == "expected a JSON object, got list"
    assert (summary.good, summary.bad) == (2, 3)


def test_pretty_printed_json_array_streams_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    count = 3000
    body = "x" * 200
    with path.open("w", encoding="utf-8") as f:
        f.write("[")
        for i in range(count):
            f.write(("," if i else "") + "\n" + json.dumps(custom_record(i % 10, Comment=f"{i} {body}"), indent=2))
        f.write("\n]")
    lines_per_element = json.dumps(custom_record(0, Comment="c"), indent=2).count("\n") + 1
    assert path.stat().st_size > 4 * 64 * 1024
    items, summary = run(path, format="json", mapping=CUSTOM)
    assert summary.good == count
    assert [line for line, _ in items[:3]] == [2, 2 + lines_per_element, 2 + 2 * lines_per_element]
    assert items[-1][0] == 2 + (count - 1) * lines_per_element


def test_broken_json_array_stops_at_the_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n{"Col A": "S-1", "Stars": 9, "item": {"sku": "K"}, "Headline": "ok", "When": "05/11/2026 10:00"},\n{"Col A": "S-2", "Stars": }\n]', encoding="utf-8")
    items, _ = run(path, format="json", mapping=CUSTOM)
    assert items[0][0] == 2 and not isinstance(items[0][1], RowError)
    assert items[1][0] == 3 and items[1][1].fatal and "not valid JSON: Expecting value" in items[1][1].reason


def test_jsonl_reports_each_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "survey.jsonl"
    lines = [json.dumps(custom_record(0)), "", "{not json", json.dumps(custom_record(1, **{"Col A": ""})), json.dumps(custom_record(3))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items, summary = run(path, format="jsonl", mapping=CUSTOM)
    assert [line for line, _ in items] == [1, 3, 4, 5]
    assert items[1][1].reason.startswith("not valid JSON")
    assert items[2][1].reason == "external_id is empty (column 'Col A')"
    assert (summary.rows_read, summary.good, summary.bad) == (4, 2, 2)


def test_mapping_is_validated() -> None:
    with pytest.raises(ValidationError, match="unknown review field"):
        ColumnMapping(columns={"stars": "Stars", "rating": "R", "posted_at": "D"}, constants={"platform": "x", "marketplace": "US", "product_id": "p"})
    with pytest.raises(ValidationError, match="marketplace needs a column or a constant"):
        ColumnMapping(columns={"rating": "R", "posted_at": "D", "external_id": "I", "product_id": "P"}, constants={"platform": "x"})
    with pytest.raises(ValidationError, match="unknown time zone"):
        CUSTOM.model_copy(update={}).model_validate({**CUSTOM.model_dump(), "timezone": "Mars/Olympus"})


class CountingReader(io.RawIOBase):
    """A file that records the largest single read, to prove nothing reads the whole file."""

    def __init__(self, path: Path) -> None:
        self._f = path.open("rb")
        self.largest = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        assert size is not None and size > 0, "the importer must never read the whole file"
        self.largest = max(self.largest, size)
        return self._f.read(size)

    def close(self) -> None:
        self._f.close()
        super().close()


def test_100k_row_csv_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    texts = [(row[5], row[6].replace("\n", " ")) for row in AMAZON_ROWS]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(AMAZON_HEADER)
        for i in range(100_000):
            title, body = texts[i % len(texts)]
            rating = "x" if i % 25_000 == 7 else str(1 + i % 5)
            writer.writerow([f"R{i:07d}", "B0KETTLE01", "KT-1", "2026-11-20", rating, title, body, "Kunde", "Yes", "DE"])
    size = path.stat().st_size
    assert size > 8_000_000

    source = CountingReader(path)
    tracemalloc.start()
    try:
        imported = import_reviews(source, format="csv", mapping=amazon_seller_central(), now=NOW, max_errors=2)
        good = sum(1 for _, item in imported if not isinstance(item, RowError))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        source.close()
    summary = imported.summary
    assert (summary.rows_read, summary.good, summary.bad, good) == (100_000, 99_996, 4, 99_996)
    assert [e.line for e in summary.errors] == [9, 25_009], "only the first max_errors are kept"
    assert source.largest <= 64 * 1024
    assert peak < size / 20, f"peak {peak} bytes for a {size}-byte file"
