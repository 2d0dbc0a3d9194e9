"""A CSV import through COPY: PostgreSQL parses the file into a temporary table, SQL maps and
validates each chunk set-based, one upsert per chunk stores it and its events are queued by one
INSERT ... SELECT; Python touches only the rows the SQL mapping leaves to it (`imports.staging`).

NOTE: the file is tried whole: when PostgreSQL cannot read it as a table of the header's width
(a row with another number of fields, a blank line, a NUL, a stray quote), nothing has been stored
yet and the caller imports it through the Python readers instead, which report such rows by line.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TextIO

import asyncpg

from libs.errors import require_uuid
from reviewguard.ingest.v1 import review_pb2
from services.ingest import models
from services.ingest.imports import staging
from services.ingest.imports.encoding import NotUtf8, open_text
from services.ingest.imports.mapping import ColumnMapping, RowMapper
from services.ingest.imports.readers import ImportSummary, RowError, read_csv_header, review_or_error
from services.ingest.reviews import repository as reviews_repository
from services.ingest.service import IngestService

log = logging.getLogger(__name__)

_READ_CHARS = 1 << 20
Progress = Callable[[ImportSummary, dict], Awaitable[None]]


class NotThroughCopy(Exception):
    """The file cannot go through COPY; nothing was stored, import it through the Python readers."""


async def _utf8_chunks(text: TextIO) -> AsyncIterator[bytes]:
    while chunk := await asyncio.to_thread(text.read, _READ_CHARS):
        yield chunk.encode("utf-8")


class CopyImport:
    """Runs one CSV file through COPY; `run` raises NotThroughCopy before storing anything when it cannot."""

    def __init__(
        self, *, pool: asyncpg.Pool, ingest: IngestService, mapping: ColumnMapping, batch: int, max_errors: int,
        competitor: bool, live: bool,
    ) -> None:  # fmt: skip
        self._pool = pool
        self._ingest = ingest
        self._mapping = mapping
        self._batch = batch
        self._max_errors = max_errors
        self._competitor = competitor
        self._live = live

    async def run(self, tenant: str, path: Path, encoding: str | None, counts: dict, progress: Progress) -> ImportSummary:
        with path.open("rb") as source:
            try:
                text, chosen = open_text(source, encoding=encoding)
            except NotUtf8:
                raise NotThroughCopy from None
            with text:
                read = read_csv_header(text, self._mapping, None)
                if isinstance(read, RowError) or not staging.sql_mappable(self._mapping, read[0]):
                    raise NotThroughCopy
                header, delimiter = read
                async with self._pool.acquire() as conn:
                    if not await staging.zone_known(conn, self._mapping.timezone):
                        raise NotThroughCopy
                    try:
                        table = await staging.copy_raw(conn, header, _utf8_chunks(text), delimiter=delimiter)
                    except (asyncpg.PostgresError, UnicodeError) as error:
                        log.info("import not through COPY", extra={"fields": {"reason": str(error)[:200]}})
                        raise NotThroughCopy from None
                    try:
                        return await self._store(conn, tenant, table, chosen, counts, progress)
                    finally:
                        await staging.drop_raw(conn, table)

    async def _store(
        self, conn: asyncpg.Connection, tenant: str, table: staging.RawTable, encoding: str, counts: dict, progress: Progress
    ) -> ImportSummary:
        summary = ImportSummary(max_errors=self._max_errors, encoding=encoding)
        chunk = staging.ChunkMapper(self._mapping, table, self._ingest.limits)
        mapper = RowMapper(self._mapping)
        tenant_id = require_uuid(tenant, field="tenant_id")
        await progress(summary, counts)
        for first in range(0, table.rows, self._batch):
            last = min(first + self._batch, table.rows)
            now, oldest_live = self._ingest.history_cutoff()
            async with conn.transaction():
                await reviews_repository.ensure_staging(conn)
                leftovers = await chunk.run(
                    conn, first, last, now=now, competitor=self._competitor, live=self._live, oldest_live=oldest_live
                )
                bad = self._stage_leftovers(leftovers, table, mapper, encoding, now, summary)
                if bad is not None:
                    await reviews_repository.stage_reviews(conn, bad[0], bad[1])
                await reviews_repository.drop_repeated_keys(conn)
                keys = {}
                for r in await reviews_repository.staged_texts(conn):
                    row = dict(r)
                    row["syndication_group"] = models.syndication_group(
                        title=r["title"], body=r["body"], product_id=r["product_id"], reviewer=r["reviewer_name"] or r["reviewer_id"]
                    )
                    keys[r["ord"]] = row
                grouped = [(o, row["syndication_group"]) for o, row in keys.items() if row["syndication_group"]]
                if grouped:
                    await reviews_repository.set_syndication_groups(conn, [o for o, _ in grouped], [g for _, g in grouped])
                written, refused = await self._ingest.store_staged(conn, tenant_id, keys)
            summary.rows_read = last
            summary.good = last - summary.bad
            counts["created"] += sum(w.created for w in written.values())
            counts["updated"] += sum(not w.created for w in written.values())
            counts["demoted"] += [RowError(_line(table, o), why) for o, why in sorted(refused.items())]
            await progress(summary, counts)
        return summary

    def _stage_leftovers(self, leftovers, table, mapper, encoding, now, summary) -> tuple[list[dict], list[int]] | None:
        """Decides the rows the SQL mapping left, with the Python mapping: bad ones counted, good ones returned."""
        reviews: list[review_pb2.Review] = []
        ords: list[int] = []
        for r in leftovers:
            line = _line(table, r["ord"])
            record = {name: r[f"c{i}"] or "" for i, name in enumerate(table.header)}
            item = review_or_error(line, record, mapper, self._ingest.limits, now, encoding)
            if isinstance(item, RowError):
                summary.bad += 1
                if len(summary.errors) < summary.max_errors:
                    summary.errors.append(item)
                continue
            item.competitor = self._competitor
            reviews.append(item)
            ords.append(r["ord"])
        return (self._ingest.import_rows(reviews, live=self._live), ords) if reviews else None


def _line(table: staging.RawTable, ord_: int) -> int:
    """The line a row starts on: after the header, one per row before it plus their quoted newlines."""
    before = bisect.bisect_left(table.multiline, (ord_, -1))
    return 1 + ord_ + (table.multiline[before - 1][1] if before else 0)
