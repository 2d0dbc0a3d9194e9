"""Use case of an appeal: check the platform's clauses against the facts and the evidence chain, file
the letter under the best one (platform ids, the policy in the letter's language), move the case."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from libs.errors import FieldViolation, InvalidArgument
from services.resolution.appeals import repository as appeals_repository
from services.resolution.appeals import service as appeals
from services.resolution.appeals.models import CaseStatus, ReviewFacts
from services.resolution.cases import flows as cases
from services.resolution.cases.models import APPEALED, AWAITING_CUSTOMER, COMPENSATION_OFFERED
from services.resolution.cases.service import check_transition
from services.resolution.context import Context
from services.resolution.evidence import repository as evidence_repository

KNOWN_FACTS = frozenset(f for f in ReviewFacts.__dataclass_fields__ if f not in ("platform", "marketplace"))


async def file_appeal(
    ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID, facts: Sequence[str], actions: Sequence[str], seller_name: str,
    product_name: str, language: str, actor: str,
) -> asyncpg.Record:
    """Checks eligibility against the platform's clauses and files the letter under the best one."""
    unknown = [f for f in facts if f not in KNOWN_FACTS]
    if unknown:
        raise InvalidArgument(f"unknown facts: {', '.join(unknown)}", [FieldViolation("facts", f"known: {', '.join(sorted(KNOWN_FACTS))}")])
    book = ctx.toolkit.appeals
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await cases.locked(conn, tenant, case)
        check_transition(current=row["status"], target=APPEALED, reason=0)
        review = ReviewFacts(platform=row["platform"], marketplace=row["marketplace"], **{f: True for f in facts})
        chain, _ = await evidence_repository.load(conn, tenant, case)
        refs = appeals.evidence_refs(chain)
        eligibility = appeals.assess(book=book, facts=review, evidence_kinds=[r.kind for r in refs])
        if not eligibility.eligible:
            applicable = [f for f in eligibility.findings if f.applies]
            why = (
                f"clause {applicable[0].clause.id} still needs evidence: {', '.join(applicable[0].missing_evidence)}"
                if applicable else "no clause of the platform's policy applies to these facts"
            )
            raise InvalidArgument(
                f"not eligible for an appeal: {why}",
                [FieldViolation(f"clauses.{f.clause.id}", "; ".join(
                    [*(f"fact {x} not established" for x in f.missing_facts), *(f"evidence {x} missing" for x in f.missing_evidence)]))
                 for f in eligibility.findings],
            )
        status = CaseStatus.REMEDY_OFFERED if row["status"] in (COMPENSATION_OFFERED, AWAITING_CUSTOMER) else CaseStatus.IN_PROGRESS
        # NOTE: the letter cites the platform's ids (review id, ASIN), never ours; a product name
        # given by the agent is followed by the ASIN, else the ASIN stands for the product.
        letter = appeals.draft_letter(
            book=book, finding=eligibility.best, facts=review, review_id=row["review_external_id"],
            product_id=row["product_id"] if product_name else "", product_name=product_name or row["product_id"],
            order_id=row["order_id"] or "-", seller_name=seller_name or "Customer Care", actions=list(actions), status=status,
            evidence=refs, language=language or None,
        )
        stored = await appeals_repository.add(
            conn, tenant_id=tenant, case_id=case, clause_id=letter.clause_id, language=letter.language, letter=letter.text,
            findings=[{"clause_id": f.clause.id, "title": f.clause.title, "applies": f.applies, "ready": f.ready,
                       "missing_facts": list(f.missing_facts), "missing_evidence": list(f.missing_evidence)} for f in eligibility.findings],
            filed_at=ctx.clock(),
        )
        await cases.move(ctx, conn, row, to=APPEALED, actor=actor, detail={"appeal_id": str(stored["id"]), "clause_id": letter.clause_id})
    return stored
