"""PostgreSQL through asyncpg: one pool per service, each service owning its own schema.

Migrations are plain SQL files `NNNN_name.sql` in the service's `migrations/` folder, applied
in order, each in its own transaction, under an advisory lock so that replicas starting together
apply them once. An applied file that later changes is refused (its checksum is kept).
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
from opentelemetry import trace

from libs.errors import NotFound, require_uuid

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

# Characters of a statement a span keeps: enough to tell queries apart, never a whole COPY or VALUES list.
STATEMENT_CHARS = 300

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


async def create_pool(dsn: str, *, schema: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """A pool whose connections resolve unqualified names in `schema` first."""
    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        server_settings={"search_path": f"{schema},public", "application_name": f"reviewguard-{schema}"},
        connection_class=TracedConnection,
    )


class TracedConnection(asyncpg.Connection):
    """A connection whose queries are spans (`db SELECT`…) inside whatever operation is traced.

    NOTE: opentelemetry-instrumentation-asyncpg is not in requirements.lock; this is the part of it
    ReviewGuard needs. A query outside any span (a background loop's idle poll) makes no trace of its
    own, so traces hold the work, not the polling. The statement is kept without its arguments.
    """

    def _span(self, query: str, method: str):
        if not trace.get_current_span().get_span_context().is_valid:
            return None
        text = " ".join(query.split())
        operation = text.split(" ", 1)[0].upper() if text else method
        span = tracer.start_span(f"db {operation}", kind=trace.SpanKind.CLIENT)
        span.set_attribute("db.system", "postgresql")
        span.set_attribute("db.operation", operation)
        span.set_attribute("db.statement", text[:STATEMENT_CHARS])
        span.set_attribute("db.method", method)
        return span

    async def _traced(self, method: str, query: str, call):
        span = self._span(query, method)
        if span is None:
            return await call()
        with trace.use_span(span, end_on_exit=True, record_exception=True, set_status_on_exception=True):
            return await call()

    async def execute(self, query: str, *args, timeout: float | None = None) -> str:
        return await self._traced("execute", query, lambda: super(TracedConnection, self).execute(query, *args, timeout=timeout))

    async def executemany(self, command: str, args, *, timeout: float | None = None):
        return await self._traced("executemany", command, lambda: super(TracedConnection, self).executemany(command, args, timeout=timeout))

    async def fetch(self, query: str, *args, timeout: float | None = None, record_class=None) -> list:
        return await self._traced(
            "fetch", query, lambda: super(TracedConnection, self).fetch(query, *args, timeout=timeout, record_class=record_class)
        )

    async def fetchrow(self, query: str, *args, timeout: float | None = None, record_class=None):
        return await self._traced(
            "fetchrow", query, lambda: super(TracedConnection, self).fetchrow(query, *args, timeout=timeout, record_class=record_class)
        )

    async def fetchval(self, query: str, *args, column: int = 0, timeout: float | None = None):
        return await self._traced(
            "fetchval", query, lambda: super(TracedConnection, self).fetchval(query, *args, column=column, timeout=timeout)
        )

    async def copy_records_to_table(self, table_name: str, **kwargs):
        return await self._traced(
            "copy", f"COPY {table_name}", lambda: super(TracedConnection, self).copy_records_to_table(table_name, **kwargs)
        )


async def get_for_tenant(
    source: asyncpg.Pool | asyncpg.Connection,
    fetch: Callable[[asyncpg.Connection, uuid.UUID, uuid.UUID], Awaitable[asyncpg.Record | None]],
    *,
    tenant_id: str | uuid.UUID,
    item_id: str | uuid.UUID,
    field: str,
    missing: str,
) -> asyncpg.Record:
    """One row of a tenant's, read by `fetch(conn, tenant, item)`, or NotFound(`missing`).

    Both ids are checked (InvalidArgument naming `tenant_id` or `field`); another tenant's row is as
    unknown as a made-up id, so a tenant can never learn that someone else's id exists.

    `source` is a pool (a connection is taken for the one read) or a connection, typically one
    inside a transaction: the read then sees that transaction's writes and any lock `fetch` takes
    (`SELECT ... FOR UPDATE`) is held until it ends.
    """
    tenant = require_uuid(tenant_id, field="tenant_id")
    item = require_uuid(item_id, field=field)
    if isinstance(source, asyncpg.Pool):
        async with source.acquire() as conn:
            row = await fetch(conn, tenant, item)
    else:
        row = await fetch(source, tenant, item)
    if row is None:
        raise NotFound(missing)
    return row


class MigrationError(RuntimeError):
    """A migration folder or history that cannot be applied safely."""


def _migration_files(directory: Path) -> list[tuple[int, str, str]]:
    files = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files are named NNNN_lower_snake.sql")
        files.append((int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    versions = [v for v, _, _ in files]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{directory}: two migrations share a version number")
    return files


async def migrate(dsn: str, *, schema: str, directory: Path) -> list[str]:
    """Applies the pending migrations of one service's schema; returns the names applied."""
    if not re.fullmatch(r"[a-z_]+", schema):
        raise MigrationError(f"bad schema name {schema!r}")
    files = _migration_files(directory)
    applied_now: list[str] = []
    conn = await asyncpg.connect(dsn)
    try:
        lock_key = int.from_bytes(hashlib.sha256(f"reviewguard-migrate-{schema}".encode()).digest()[:8], "big", signed=True)
        await conn.execute("SELECT pg_advisory_lock($1)", lock_key)
        try:
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            await conn.execute(
                f"""CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            done = {
                row["version"]: row
                for row in await conn.fetch(f"SELECT version, name, checksum FROM {schema}.schema_migrations")
            }
            for version, name, sql in files:
                checksum = hashlib.sha256(sql.encode()).hexdigest()
                if version in done:
                    if done[version]["checksum"] != checksum:
                        raise MigrationError(f"{schema}/{name} changed after it was applied; add a new migration instead")
                    continue
                async with conn.transaction():
                    await conn.execute(f"SET LOCAL search_path TO {schema}, public")
                    await conn.execute(sql)
                    await conn.execute(
                        f"INSERT INTO {schema}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        version,
                        name,
                        checksum,
                    )
                applied_now.append(name)
                log.info("migration applied", extra={"fields": {"schema": schema, "migration": name}})
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", lock_key)
    finally:
        await conn.close()
    return applied_now
