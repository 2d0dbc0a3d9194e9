"""Streaming readers for CSV, JSON-array and JSONL exports: one (line, Review | RowError) at a time.

Nothing reads a whole file: CSV and JSONL go row by row through a decoding text stream, and a JSON
array is cut into its elements by `json.JSONDecoder.raw_decode` over a sliding 64 KiB window, which
also gives each element the line it starts on. Every row is checked with ingest's own validation, so
a row that passes here is one ingest will store.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, BinaryIO, Literal, TextIO

from reviewguard.ingest.v1 import review_pb2
from services.ingest import models
from services.ingest.imports.encoding import NotUtf8, open_text
from services.ingest.imports.mapping import ColumnMapping, RowMapper, RowProblem

Format = Literal["csv", "json", "jsonl"]
DEFAULT_LIMITS = models.Limits(max_title_chars=500, max_body_chars=20_000)
_CHUNK_CHARS = 64 * 1024
_MAX_ELEMENT_CHARS = 1024 * 1024
_WHITESPACE = re.compile(r"[ \t\r\n]*")


@dataclass(frozen=True)
class RowError:
    """One row that did not become a review. `fatal` means the rest of the file could not be read."""

    line: int
    reason: str
    fatal: bool = False


@dataclass
class ImportSummary:
    """Counts of one import and its first errors (kept bounded for 100,000-row files)."""

    max_errors: int = 100
    encoding: str = ""
    rows_read: int = 0
    good: int = 0
    bad: int = 0
    errors: list[RowError] = field(default_factory=list)

    def add(self, item: review_pb2.Review | RowError) -> None:
        self.rows_read += 1
        if isinstance(item, RowError):
            self.bad += 1
            if len(self.errors) < self.max_errors:
                self.errors.append(item)
        else:
            self.good += 1


class ImportRun:
    """Iterates an import's (line, Review | RowError) pairs while keeping its `summary` current."""

    def __init__(self, rows: Iterator[tuple[int, review_pb2.Review | RowError]], summary: ImportSummary, text: TextIO) -> None:
        self._rows = rows
        self._text = text
        self.summary = summary

    def __iter__(self) -> Iterator[tuple[int, review_pb2.Review | RowError]]:
        try:
            for line, item in self._rows:
                self.summary.add(item)
                yield line, item
        finally:
            self._text.close()


def import_reviews(
    source: BinaryIO,
    *,
    format: Format,
    mapping: ColumnMapping,
    encoding: str | None = None,
    limits: models.Limits = DEFAULT_LIMITS,
    max_errors: int = 100,
    now: datetime | None = None,
    delimiter: str | None = None,
) -> ImportRun:
    """Streams an export as reviews and row errors; iterate the result, then read its `summary`.

    Args:
        source: the file opened in binary mode (or any readable byte stream); read in chunks.
        format: "csv" (header row first), "json" (one array of objects) or "jsonl" (an object a line).
        mapping: which columns feed which Review fields (see `mapping` presets).
        encoding: the file's encoding; without one the file must be UTF-8 (a BOM is honoured), and one
            that is not is refused with a fatal RowError naming the line of its first bad byte.
        delimiter: CSV separator; detected among , ; and tab from the header when None.
    """
    readers = {"csv": _csv_records, "json": _json_array_records, "jsonl": _jsonl_records}
    if format not in readers:
        raise ValueError(f"format must be csv, json or jsonl, not {format!r}")
    try:
        text, chosen = open_text(source, encoding=encoding)
    except NotUtf8 as problem:
        refused = iter([(problem.line, RowError(problem.line, str(problem), fatal=True))])
        return ImportRun(refused, ImportSummary(max_errors=max_errors), io.StringIO())
    mapper = RowMapper(mapping)
    records = readers[format](text, mapping, delimiter) if format == "csv" else readers[format](text)
    rows = _to_reviews(records, mapper, limits, now, chosen)
    return ImportRun(rows, ImportSummary(max_errors=max_errors, encoding=chosen), text)


def _to_reviews(
    records: Iterator[tuple[int, Mapping[str, Any] | RowError]],
    mapper: RowMapper,
    limits: models.Limits,
    now: datetime | None,
    encoding: str,
) -> Iterator[tuple[int, review_pb2.Review | RowError]]:
    now = now or datetime.now(timezone.utc)
    for line, record in records:
        yield line, record if isinstance(record, RowError) else review_or_error(line, record, mapper, limits, now, encoding)


def review_or_error(
    line: int, record: Mapping[str, Any], mapper: RowMapper, limits: models.Limits, now: datetime, encoding: str
) -> review_pb2.Review | RowError:
    """The review one record maps to, or the RowError saying why it is not imported."""
    try:
        review = mapper.to_review(record)
    except RowProblem as problem:
        return RowError(line, str(problem))
    if "\ufffd" in review.title or "\ufffd" in review.body or "\ufffd" in review.reviewer.name:
        return RowError(line, f"contains bytes that are not valid {encoding}: not imported (is the file in another encoding? name it)")
    violations = models.validate(review, path="row", limits=limits, now=now)
    if violations:
        return RowError(line, "; ".join(f"{v.field.removeprefix('row.')} {v.description}" for v in violations))
    return review


def read_csv_header(text: TextIO, mapping: ColumnMapping, delimiter: str | None) -> tuple[list[str], str] | RowError:
    """The header's column names and the delimiter (detected when None), or the fatal RowError."""
    header_line = text.readline()
    if not header_line.strip():
        return RowError(1, "the file is empty: a CSV export starts with a header row", fatal=True)
    if delimiter is None:
        counts = {d: header_line.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=counts.__getitem__) if any(counts.values()) else ","
    header = [h.strip().lstrip("\ufeff") for h in next(csv.reader([header_line], delimiter=delimiter))]
    present = set(header)
    missing = [group for group in mapping.required_columns() if not present & set(group)]
    if missing:
        names = "; ".join(" or ".join(repr(n) for n in group) for group in missing)
        return RowError(1, f"missing column {names} in the header (found: {', '.join(header)})", fatal=True)
    return header, delimiter


def _csv_records(text: TextIO, mapping: ColumnMapping, delimiter: str | None) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    read = read_csv_header(text, mapping, delimiter)
    if isinstance(read, RowError):
        yield read.line, read
        return
    header, delimiter = read
    width = len(header)
    reader = csv.reader(text, delimiter=delimiter)
    end = 1  # NOTE: reader.line_num counts from after the header we read ourselves.
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield start, RowError(start, f"not valid CSV: {error}", fatal=True)
            return
        end = 1 + reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            yield start, RowError(start, f"has {len(row)} fields but the header has {width}")
            continue
        yield start, dict(zip(header, row))


def _jsonl_records(text: TextIO) -> Iterator[tuple[int, dict | RowError]]:
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, RowError(number, f"not valid JSON: {error.msg} (column {error.colno})")
            continue
        if not isinstance(record, dict):
            yield number, RowError(number, f"expected a JSON object, got {type(record).__name__}")
            continue
        yield number, record


def _json_array_records(text: TextIO) -> Iterator[tuple[int, dict | RowError]]:
    """The elements of a top-level JSON array, each with the line it starts on, in bounded memory."""
    decoder = json.JSONDecoder()
    buf, pos, line, eof = "", 0, 1, False

    def more() -> bool:
        nonlocal buf, pos, eof
        chunk = text.read(_CHUNK_CHARS)
        if not chunk:
            eof = True
            return False
        buf, pos = buf[pos:] + chunk, 0
        return True

    def advance(to: int) -> None:
        nonlocal pos, line
        line += buf.count("\n", pos, to)
        pos = to

    def skip_space() -> bool:
        while True:
            advance(_WHITESPACE.match(buf, pos).end())
            if pos < len(buf):
                return True
            if not more():
                return False

    if not skip_space() or buf[pos] not in "[\ufeff":
        yield line, RowError(line, "a JSON export must be one array of reviews: [ {...}, {...} ]", fatal=True)
        return
    if buf[pos] == "\ufeff":
        advance(pos + 1)
        if not skip_space() or buf[pos] != "[":
            yield line, RowError(line, "a JSON export must be one array of reviews: [ {...}, {...} ]", fatal=True)
            return
    advance(pos + 1)
    first = True
    while True:
        if not skip_space():
            yield line, RowError(line, "the file ends inside the array (missing ])", fatal=True)
            return
        if first and buf[pos] == "]":
            return
        first = False
        start = line
        while True:
            try:
                record, end = decoder.raw_decode(buf, pos)
                if end < len(buf) or eof or not more():
                    break
            except json.JSONDecodeError as error:
                if not eof and len(buf) - pos < _MAX_ELEMENT_CHARS and more():
                    continue
                at = line + buf.count("\n", pos, error.pos)
                yield at, RowError(at, f"not valid JSON: {error.msg}; the rest of the file cannot be read", fatal=True)
                return
        advance(end)
        if isinstance(record, dict):
            yield start, record
        else:
            yield start, RowError(start, f"expected a JSON object, got {type(record).__name__}")
        if not skip_space():
            yield line, RowError(line, "the file ends inside the array (missing ])", fatal=True)
            return
        if buf[pos] == ",":
            advance(pos + 1)
        elif buf[pos] == "]":
            return
        else:
            yield line, RowError(line, f"expected ',' or ']' after the element, found {buf[pos]!r}", fatal=True)
            return
