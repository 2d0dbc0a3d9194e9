"""SQL of the evidence chain: rows are only ever inserted (a trigger refuses UPDATE and DELETE)."""

from __future__ import annotations

import json
import uuid

import asyncpg

from services.resolution.evidence.models import ChainLink, EvidenceChain, EvidenceItem, EvidenceKind
from services.resolution.evidence.service import canonical_json


def _item(row: asyncpg.Record) -> EvidenceItem:
    raw = bytes(row["content"])
    # NOTE: JSON content is stored as its canonical text, so re-hashing a stored row reproduces
    # the hash exactly unless someone changed the row.
    try:
        content = json.loads(raw.decode("utf-8")) if row["content_type"] == "json" else raw
    except (UnicodeDecodeError, ValueError):
        content = raw
    return EvidenceItem(
        kind=EvidenceKind(row["kind"]),
        content=content,
        captured_at=row["captured_at"],
        source=row["source"],
        description=row["description"],
        metadata=json.loads(row["metadata"]),
    )


def to_link(row: asyncpg.Record) -> ChainLink:
    return ChainLink(
        index=row["idx"],
        item=_item(row),
        item_hash=row["item_sha256"],
        prev_hash=row["prev_sha256"],
        appended_at=row["appended_at"],
        link_hash=row["link_sha256"],
    )


async def load(conn: asyncpg.Connection, tenant_id: uuid.UUID, case_id: uuid.UUID) -> tuple[EvidenceChain, list[asyncpg.Record]]:
    """The case's chain in stored order (by idx, then insertion), and its rows."""
    rows = await conn.fetch(
        "SELECT * FROM evidence_items WHERE tenant_id = $1 AND case_id = $2 ORDER BY idx, appended_at", tenant_id, case_id
    )
    return EvidenceChain(links=tuple(to_link(r) for r in rows)), list(rows)


async def insert(conn: asyncpg.Connection, *, tenant_id: uuid.UUID, case_id: uuid.UUID, link: ChainLink) -> asyncpg.Record:
    item = link.item
    is_bytes = isinstance(item.content, (bytes, bytearray))
    return await conn.fetchrow(
        """INSERT INTO evidence_items (tenant_id, case_id, idx, kind, content_type, content, captured_at, source, description,
                                       metadata, item_sha256, prev_sha256, appended_at, link_sha256)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14) RETURNING *""",
        tenant_id, case_id, link.index, str(item.kind), "bytes" if is_bytes else "json",
        bytes(item.content) if is_bytes else canonical_json(item.content), item.captured_at, item.source, item.description,
        json.dumps(dict(item.metadata)), link.item_hash, link.prev_hash, link.appended_at, link.link_hash,
    )
