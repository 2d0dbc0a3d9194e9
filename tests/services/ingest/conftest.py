"""Ingest fixtures: a migrated schema in a fresh database, and the service over it."""

from __future__ import annotations

import asyncpg
import pytest

from libs import db
from services.ingest.app import MIGRATIONS, SCHEMA
from services.ingest.models import Limits
from services.ingest.service import IngestService


@pytest.fixture
async def ingest_pool(database_url: str):
    await db.migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    created = await db.create_pool(database_url, schema=SCHEMA)
    yield created
    await created.close()


@pytest.fixture
def ingest(ingest_pool: asyncpg.Pool) -> IngestService:
    return IngestService(pool=ingest_pool, limits=Limits(max_title_chars=500, max_body_chars=20_000), max_batch=500)


async def outbox_events(pool: asyncpg.Pool, subject: str) -> list[bytes]:
    async with pool.acquire() as conn:
        return [r["payload"] for r in await conn.fetch("SELECT payload FROM outbox WHERE subject = $1 ORDER BY id", subject)]
