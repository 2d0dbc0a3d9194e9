"""Use cases of the knowledge base: remember a handled case (a follow-on of its final move), search."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from libs.errors import FieldViolation, InvalidArgument
from services.resolution.context import Context
from services.resolution.knowledge import repository as knowledge_repository
from services.resolution.knowledge import service as knowledge


async def remember(conn: asyncpg.Connection, row: asyncpg.Record, *, outcome: str, at: datetime) -> None:
    """Adds a handled case to the knowledge base (again: an entry is replaced, never doubled)."""
    notes, replies, letters = await knowledge_repository.case_texts(conn, row["id"])
    await knowledge_repository.upsert(
        conn, tenant_id=row["tenant_id"], case_id=row["id"], issue_type=row["issue_type"], marketplace=row["marketplace"].upper(),
        region=knowledge.region_of(row["marketplace"]) if row["marketplace"] else "OTHER", outcome=outcome, platform=row["platform"],
        language=row["language"], text=knowledge.entry_text(summary=row["summary"], replies=replies, notes=notes, appeal_letters=letters),
        resolved_at=at,
    )


async def search(
    ctx: Context, *, tenant: uuid.UUID, query: str, issue_type: str, region: str, outcome: str, limit: int
) -> list[asyncpg.Record]:
    """The tenant's handled cases that match, best first (20 unless `limit` says otherwise)."""
    if limit < 0 or limit > 200:
        raise InvalidArgument("limit must be 1 to 200", [FieldViolation("limit", "1 to 200")])
    async with ctx.pool.acquire() as conn:
        return await knowledge_repository.search(
            conn, tenant, query=query.strip(), issue_type=issue_type, region=region.upper(), outcome=outcome, limit=limit or 20
        )
