"""File imports as jobs: the upload is spooled to a temporary file, then read in the background.

NOTE: the job runs in the ingest service (the file streamed to it by gRPC `StartImport`), not in
the gateway: ingest owns the reviews, their validation and the outbox, and a gateway replica that
kept the file would need a disk shared with ingest. The spooled file lives only as long as its
job; a job whose process died is marked failed with a message to import the file again, which is
safe because a rerun adds nothing already stored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from libs.db import get_for_tenant
from libs.errors import DomainError, FieldViolation, InvalidArgument, require_uuid, violations_of
from reviewguard.ingest.v1 import ingest_pb2, review_pb2
from services.ingest.imports import (
    ColumnMapping,
    RowError,
    aliexpress_seller_center,
    amazon_seller_central,
    import_reviews,
    judgeme_csv,
    walmart_seller_center,
)
from services.ingest.imports import repository as imports_repository
from services.ingest.imports.copy_run import CopyImport, NotThroughCopy
from services.ingest.imports.readers import ImportRun, ImportSummary
from services.ingest.service import IngestService

log = logging.getLogger(__name__)

FORMATS = ("csv", "json", "jsonl")
MAPPINGS = ("amazon", "judgeme", "walmart", "aliexpress", "custom")
MAX_ERRORS = 100
# Rows stored per transaction: large enough that COPY and the set-based upsert dominate, small
# enough that progress moves and a batch's events stay a few MiB.
BATCH = 2000
# Rows mapped and stored per transaction on the COPY path, where a row costs a few microseconds.
COPY_BATCH = 10_000
# A job not advanced for this long belongs to a process that died.
STALE_AFTER = timedelta(minutes=2)


class _AmazonOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marketplace: str | None = None
    date_formats: list[str] | None = None
    timezone: str = "UTC"


class _JudgeMeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marketplace: str = Field(min_length=1)
    shop_domain: str = ""
    timezone: str = "UTC"


class _WalmartOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marketplace: Literal["US", "CA", "MX"] = "US"
    date_formats: list[str] | None = None
    timezone: str = "UTC"


class _AliExpressOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    marketplace: str = Field(default="aliexpress.com", min_length=1)
    rating_scale: Literal[5, 100] = 5
    timezone: str = "Asia/Shanghai"


def build_mapping(name: str, options_json: str) -> ColumnMapping:
    """The mapping an import asked for; InvalidArgument naming what is wrong with it."""
    if name not in MAPPINGS:
        raise InvalidArgument(f"unknown mapping {name!r}", [FieldViolation("mapping", f"one of {', '.join(MAPPINGS)}")])
    try:
        options = json.loads(options_json) if options_json.strip() else {}
        if not isinstance(options, dict):
            raise ValueError("must be a JSON object")
    except ValueError as error:
        raise InvalidArgument("mapping_json is not a JSON object", [FieldViolation("mapping_json", str(error))]) from None
    try:
        if name == "amazon":
            return amazon_seller_central(**_AmazonOptions.model_validate(options).model_dump())
        if name == "judgeme":
            return judgeme_csv(**_JudgeMeOptions.model_validate(options).model_dump())
        if name == "walmart":
            return walmart_seller_center(**_WalmartOptions.model_validate(options).model_dump())
        if name == "aliexpress":
            return aliexpress_seller_center(**_AliExpressOptions.model_validate(options).model_dump())
        if not options:
            raise InvalidArgument("a custom mapping needs mapping_json", [FieldViolation("mapping_json", "required for custom")])
        return ColumnMapping.model_validate(options)
    except ValidationError as error:
        raise InvalidArgument(f"invalid {name} mapping", violations_of(error, prefix="mapping_json")) from None


def to_proto(row: asyncpg.Record) -> ingest_pb2.ImportJob:
    job = ingest_pb2.ImportJob(
        id=str(row["id"]), tenant_id=str(row["tenant_id"]), status=row["status"], format=row["format"], mapping=row["mapping"],
        file_name=row["file_name"], bytes=row["bytes"], encoding=row["encoding"], rows_read=row["rows_read"],
        rows_good=row["rows_good"], rows_bad=row["rows_bad"], created=row["created"], updated=row["updated"],
        errors=[ingest_pb2.ImportRowError(line=e["line"], reason=e["reason"]) for e in json.loads(row["errors"])],
        error=row["error"], competitor=row["competitor"],
    )  # fmt: skip
    job.created_at.FromDatetime(row["created_at"])
    if row["finished_at"] is not None:
        job.finished_at.FromDatetime(row["finished_at"])
    return job


def _next_batch(rows: Iterator, size: int) -> tuple[list[tuple[int, review_pb2.Review]], RowError | None, bool]:
    """Up to `size` good rows (bad ones are counted by the run as they pass), a fatal error, and whether the file ended."""
    good: list[tuple[int, review_pb2.Review]] = []
    for line, item in rows:
        if isinstance(item, RowError):
            if item.fatal:
                return good, item, True
            continue
        good.append((line, item))
        if len(good) >= size:
            return good, None, False
    return good, None, True


class ImportService:
    """Receives import files, runs each as a job, and reports the jobs' progress."""

    def __init__(
        self, *, pool: asyncpg.Pool, ingest: IngestService, max_bytes: int, spool_dir: Path | None = None, batch: int = BATCH,
        copy_batch: int = COPY_BATCH,
    ) -> None:
        self._pool = pool
        self._ingest = ingest
        self._max_bytes = max_bytes
        self._spool_dir = spool_dir
        self._batch = batch
        self._copy_batch = copy_batch
        self._tasks: set[asyncio.Task] = set()

    async def start(
        self, *, start: ingest_pb2.ImportStart, chunks: AsyncIterator[bytes], live: bool = False
    ) -> ingest_pb2.ImportJob:
        """Spools the file, queues the job and starts it; nothing is stored when the request is bad.

        The file's reviews are history (analysed and counted, paging no one) unless `live`.
        """
        tenant = require_uuid(start.tenant_id, field="tenant_id")
        if start.format not in FORMATS:
            raise InvalidArgument(f"unknown format {start.format!r}", [FieldViolation("format", "csv, json or jsonl")])
        mapping = build_mapping(start.mapping, start.mapping_json)
        if start.encoding:
            try:
                "".encode(start.encoding)
            except LookupError:
                raise InvalidArgument(f"unknown encoding {start.encoding!r}", [FieldViolation("encoding", "a codec name such as utf-8 or cp932")]) from None
        path, size = await self._spool(chunks)
        try:
            if size == 0:
                raise InvalidArgument("the file is empty", [FieldViolation("file", "is empty")])
            async with self._pool.acquire() as conn:
                row = await imports_repository.insert_import_job(
                    conn,
                    tenant,
                    {"format": start.format, "mapping": start.mapping, "file_name": start.file_name[:300], "bytes": size, "competitor": start.competitor},
                )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        task = asyncio.create_task(
            self._run(row["id"], start.tenant_id, path, start.format, mapping, start.encoding or None, start.competitor, live),
            name=f"import-{row['id']}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return to_proto(row)

    async def _spool(self, chunks: AsyncIterator[bytes]) -> tuple[Path, int]:
        fd, name = tempfile.mkstemp(prefix="reviewguard-import-", dir=self._spool_dir)
        path = Path(name)
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise InvalidArgument(
                            f"the file is larger than {self._max_bytes} bytes", [FieldViolation("file", f"at most {self._max_bytes} bytes")]
                        )
                    await asyncio.to_thread(out.write, chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path, size

    async def get(self, *, tenant_id: str, import_id: str) -> ingest_pb2.ImportJob:
        row = await get_for_tenant(
            self._pool, imports_repository.get_import_job, tenant_id=tenant_id, item_id=import_id, field="import_id",
            missing=f"import {import_id} not found",
        )
        return to_proto(row)

    async def wait(self) -> None:
        """Waits for the running jobs (tests and the benchmark)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stops running jobs; they are left for `fail_stale` to report."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def fail_stale(self, now: datetime | None = None) -> int:
        """Marks jobs whose process died as failed, telling the user to import the file again."""
        now = now or datetime.now(timezone.utc)
        async with self._pool.acquire() as conn:
            return await imports_repository.fail_stale_imports(
                conn,
                older_than=now - STALE_AFTER,
                reason="the import stopped when the ingest service restarted; import the file again "
                "(rows already stored are not added twice)",
            )

    async def _run(
        self,
        job_id,
        tenant_id: str,
        path: Path,
        format: str,
        mapping: ColumnMapping,
        encoding: str | None,
        competitor: bool,
        live: bool,
    ) -> None:
        counts: dict = {"created": 0, "updated": 0, "demoted": []}
        run: ImportRun | None = None
        try:
            if format == "csv":
                try:
                    summary = await CopyImport(
                        pool=self._pool, ingest=self._ingest, mapping=mapping, batch=self._copy_batch, max_errors=MAX_ERRORS,
                        competitor=competitor, live=live,
                    ).run(tenant_id, path, encoding, counts, lambda s, c: self._progress(job_id, s, c, status="running", encoding=s.encoding))
                    await self._progress(job_id, summary, counts, status="done", finished=True)
                    log.info("import done", extra={"fields": {"job": str(job_id), "rows": summary.rows_read, "bad": summary.bad, "copy": True}})
                    return
                except NotThroughCopy:
                    pass
            with path.open("rb") as source:
                run = await asyncio.to_thread(
                    import_reviews, source, format=format, mapping=mapping, encoding=encoding,
                    limits=self._ingest.limits, max_errors=MAX_ERRORS,
                )  # fmt: skip
                await self._progress(job_id, run.summary, counts, status="running", encoding=run.summary.encoding)
                rows = iter(run)
                # NOTE: reading, decoding and validating rows is CPU work: off the event loop, and
                # one batch ahead, so the next batch is parsed while this one is being stored.
                ahead = asyncio.ensure_future(asyncio.to_thread(_next_batch, rows, self._batch))
                try:
                    while True:
                        good, fatal, ended = await ahead
                        if fatal is None and not ended:
                            ahead = asyncio.ensure_future(asyncio.to_thread(_next_batch, rows, self._batch))
                        if good:
                            await self._submit(tenant_id, good, counts, competitor, live)
                        if fatal is not None:
                            await self._progress(job_id, run.summary, counts, status="failed", error=f"line {fatal.line}: {fatal.reason}", finished=True)
                            return
                        if ended:
                            break
                        await self._progress(job_id, run.summary, counts)
                finally:
                    # NOTE: a batch being read ahead must finish before the file closes.
                    await asyncio.gather(asyncio.shield(ahead), return_exceptions=True)
            await self._progress(job_id, run.summary, counts, status="done", finished=True)
            log.info("import done", extra={"fields": {"job": str(job_id), "rows": run.summary.rows_read, "bad": run.summary.bad}})
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - the job reports it; the service keeps running
            log.exception("import failed", extra={"fields": {"job": str(job_id)}})
            message = error.message if isinstance(error, DomainError) else f"{type(error).__name__}: the import stopped unexpectedly"
            async with self._pool.acquire() as conn:
                await imports_repository.update_import_job(conn, job_id, {"status": "failed", "error": message, "finished_at": datetime.now(timezone.utc)})
        finally:
            path.unlink(missing_ok=True)

    async def _submit(self, tenant_id: str, good: list[tuple[int, review_pb2.Review]], counts: dict, competitor: bool, live: bool) -> None:
        reviews = [review for _, review in good]
        if competitor:
            for review in reviews:
                review.competitor = True
        # NOTE: rows were validated while being read; the store refuses only rows that would damage
        # a stored review (a re-import read in the wrong encoding), reported like any bad row.
        # Kept apart from the run's summary, which the reading thread is updating meanwhile.
        outcome = await self._ingest.store_import(tenant_id, reviews, live=live)
        counts["demoted"] += [RowError(good[index][0], reason) for index, reason in sorted(outcome.rejected.items())]
        counts["created"] += sum(r.created for r in outcome.results if r is not None)
        counts["updated"] += sum(r.updated for r in outcome.results if r is not None)

    async def _progress(self, job_id, summary: ImportSummary, counts: dict, *, status: str | None = None, error: str | None = None, finished: bool = False, encoding: str | None = None) -> None:
        demoted = counts["demoted"]
        errors = sorted([*summary.errors[:MAX_ERRORS], *demoted], key=lambda e: e.line)[:MAX_ERRORS]
        values: dict = {
            "rows_read": summary.rows_read, "rows_good": summary.good - len(demoted), "rows_bad": summary.bad + len(demoted),
            "created": counts["created"], "updated": counts["updated"],
            "errors": [{"line": e.line, "reason": e.reason} for e in errors],
        }  # fmt: skip
        if status:
            values["status"] = status
        if error:
            values["error"] = error
        if encoding:
            values["encoding"] = encoding
        if finished:
            values["finished_at"] = datetime.now(timezone.utc)
        async with self._pool.acquire() as conn:
            await imports_repository.update_import_job(conn, job_id, values)
