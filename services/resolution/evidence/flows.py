"""Use cases of a case's evidence: append to its chain, list and verify it, and hand out the whole pack as a ZIP."""

from __future__ import annotations

import json
import uuid
from datetime import timezone

import asyncpg

from libs.errors import FieldViolation, InvalidArgument
from reviewguard.resolution.v1 import resolution_pb2
from services.resolution import repository
from services.resolution.appeals import repository as appeals_repository
from services.resolution.cases import flows as cases
from services.resolution.context import Context
from services.resolution.evidence import pack
from services.resolution.evidence import repository as evidence_repository
from services.resolution.evidence import service as evidence
from services.resolution.evidence.models import EvidenceItem, EvidenceKind, VerificationResult


def item_of(request: resolution_pb2.AddEvidenceRequest, *, now) -> EvidenceItem:
    """The evidence item a request describes; every bad field named."""
    try:
        kind = EvidenceKind(request.kind)
    except ValueError:
        raise InvalidArgument(f"unknown evidence kind {request.kind!r}", [FieldViolation("kind", ", ".join(k.value for k in EvidenceKind))]) from None
    if bool(request.content_json) == bool(request.content_bytes):
        raise InvalidArgument("give exactly one of content_json and content_bytes", [FieldViolation("content", "exactly one")])
    if request.content_json:
        try:
            content = json.loads(request.content_json)
        except ValueError:
            raise InvalidArgument("content_json is not JSON", [FieldViolation("content_json", "not JSON")]) from None
    else:
        content = bytes(request.content_bytes)
    if not request.source.strip():
        raise InvalidArgument("source is required", [FieldViolation("source", "where the evidence comes from")])
    captured = request.captured_at.ToDatetime(tzinfo=timezone.utc) if request.HasField("captured_at") else now
    return EvidenceItem(kind=kind, content=content, captured_at=captured, source=request.source, description=request.description,
                        metadata=dict(request.metadata))


async def add_evidence(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID, request: resolution_pb2.AddEvidenceRequest) -> asyncpg.Record:
    """Appends an item to the case's chain, hashed and linked to the previous one."""
    now = ctx.clock()
    item = item_of(request, now=now)
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await cases.locked(conn, tenant, case)
        chain, _ = await evidence_repository.load(conn, tenant, case)
        link = evidence.append(chain, item, now).links[-1]
        stored = await evidence_repository.insert(conn, tenant_id=tenant, case_id=case, link=link)
        await repository.add_event(
            conn, tenant_id=tenant, case_id=case, kind="evidence_added", at=now, from_status=row["status"], to_status=row["status"],
            detail={"index": link.index, "kind": str(item.kind), "sha256": link.item_hash},
        )
    return stored


async def evidence_pack(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID) -> tuple[str, bytes]:
    """The case's evidence pack as (file name, ZIP bytes): letters, items, chain, verification, manifest."""
    async with ctx.pool.acquire() as conn:
        await cases.require(conn, tenant, case)
        chain, _ = await evidence_repository.load(conn, tenant, case)
        letters = await appeals_repository.letters_of(conn, tenant, case)
    data = pack.build_pack(
        case_id=str(case), chain=chain, verification=evidence.verify(chain), letters=[(r["language"], r["letter"]) for r in letters],
        generated_at=ctx.clock(),
    )
    return f"evidence-{case}.zip", data


async def list_evidence(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID) -> list[asyncpg.Record]:
    async with ctx.pool.acquire() as conn:
        await cases.require(conn, tenant, case)
        _, rows = await evidence_repository.load(conn, tenant, case)
    return rows


async def verify_evidence(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID) -> VerificationResult:
    """Recomputes every stored hash: the chain is intact, or the first broken link is named."""
    async with ctx.pool.acquire() as conn:
        await cases.require(conn, tenant, case)
        chain, _ = await evidence_repository.load(conn, tenant, case)
    return evidence.verify(chain)
