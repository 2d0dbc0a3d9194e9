"""Use cases of replies: render the case's template variant (remedy from its offers) or take the text,
check it against the platform's rules, store it, and count it as the case's first response; the A/B
outcome of each variant (a follow-on of the case's moves) and its statistics."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

import asyncpg

from libs.errors import FieldViolation, InvalidArgument
from reviewguard.resolution.v1 import case_pb2
from services.resolution import repository
from services.resolution.assignment import flows as assignment
from services.resolution.cases import flows as cases
from services.resolution.cases.models import ASSIGNED, AWAITING_CUSTOMER, BEFORE_CONTACT, CONTACTED, FINAL, NEW, OUTCOME_BY_REASON, RESOLVED, status_name
from services.resolution.compensation import flows as compensation
from services.resolution.compliance.models import CheckResult
from services.resolution.compliance.service import Checker
from services.resolution.context import Context
from services.resolution.publishing import flows as publishing
from services.resolution.publishing import models as publishing_models
from services.resolution.templates import repository as replies_repository
from services.resolution.templates import service as templates
from services.resolution.templates.models import Outcome, Scenario, VariantStats

NO_RESPONSE = OUTCOME_BY_REASON[case_pb2.RESOLUTION_REASON_NO_RESPONSE]


def require_compliant(checker: Checker, text: str, platform: str, *, field: str = "text") -> None:
    """Refuses a text that breaks the platform's rules, naming each phrase and rule."""
    result = checker.check(text=text, platform=platform)
    if not result.passed:
        first = result.violations[0]
        raise InvalidArgument(
            f"not sent: {first.phrase!r} breaks rule {first.rule_id} on {result.platform}",
            [FieldViolation(field, f"{v.phrase!r} breaks {v.rule_id}: {v.explanation}") for v in result.violations],
        )


async def send_reply(
    ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID, text: str, scenario: str, language: str, placeholders: Mapping[str, str],
    variant: str, actor: str, publish: bool = False, private: bool = False,
) -> asyncpg.Record:
    """Sends a reply on a case, rendered from the case's A/B variant of a template or given as text.

    Every reply passes the platform's compliance check first; a reply is the case's first
    response and moves a case not yet contacted to "contacted". With `publish` it also goes to the
    platform (publishing.flows.start): a reply the platform cannot take (too long) is refused first.
    """
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await cases.locked(conn, tenant, case)
        if row["status"] in FINAL:
            raise InvalidArgument(f"case is {status_name(row['status'])}; no more replies")
        if not row["platform"]:
            raise InvalidArgument("the case has no platform to check the reply against", [FieldViolation("platform", "set it on the case")])
        used_scenario = used_language = used_variant = ""
        if scenario:
            reply_language = templates.resolve_language(language or row["language"] or "en")
            rendered = templates.render(
                library=ctx.toolkit.templates, scenario=scenario, language=reply_language, case_id=str(case), context=dict(placeholders),
                variant=variant or None, remedy=await compensation.remedy_of(conn, case, language=reply_language),
            )
            text, used_scenario, used_language, used_variant = rendered.text, str(rendered.scenario), rendered.language, rendered.variant
        elif not text.strip():
            raise InvalidArgument("give the reply text or a scenario to render", [FieldViolation("text", "required without scenario")])
        require_compliant(ctx.toolkit.checker, text, row["platform"])
        if publish:
            # NOTE: only a reply to publish must fit the platform's limit; one kept here may be longer.
            publishing_models.require_fits(row["platform"], text, private=private)
        elif private:
            raise InvalidArgument("a private reply is one to publish", [FieldViolation("private", "needs publish true")])
        now = ctx.clock()
        stored = await replies_repository.add(
            conn, tenant_id=tenant, case_id=case, text=text, scenario=used_scenario, language=used_language or row["language"],
            variant=used_variant, actor=actor, sent_at=now,
        )
        await repository.add_event(
            conn, tenant_id=tenant, case_id=case, kind="reply_sent", at=now, from_status=row["status"], to_status=row["status"],
            actor=actor, detail={"reply_id": str(stored["id"]), "scenario": used_scenario, "variant": used_variant},
        )
        if publish:
            # NOTE: only a reply that passed the compliance check above reaches the outbox.
            stored = await publishing.start(conn, case=row, reply=stored, private=private)
        if row["status"] in BEFORE_CONTACT:
            if row["status"] == NEW:
                row = await assignment.assign_one(conn, row, now=now, actor="system") or row
            if row["status"] == NEW:
                row = await cases.move(ctx, conn, row, to=ASSIGNED, actor=actor, note="answered before assignment")
            await cases.move(ctx, conn, row, to=CONTACTED, actor=actor)
        elif row["first_response_at"] is None:
            await repository.update(conn, case, first_response_at=now, updated_at=now)
    return stored


def check_compliance(ctx: Context, *, text: str, platform: str) -> CheckResult:
    """The platform's rules a draft breaks, without sending anything."""
    if not text.strip():
        raise InvalidArgument("text is required", [FieldViolation("text", "required")])
    return ctx.toolkit.checker.check(text=text, platform=platform)


async def list_replies(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID) -> list[asyncpg.Record]:
    async with ctx.pool.acquire() as conn:
        await cases.require(conn, tenant, case)
        return await replies_repository.list_for_case(conn, tenant, case)


async def variant_stats(ctx: Context, *, tenant: uuid.UUID, scenario: str, language: str) -> list[VariantStats]:
    """Response and resolution rates of each template variant over the cases it was sent in."""
    async with ctx.pool.acquire() as conn:
        rows = await replies_repository.variant_rows(conn, tenant, scenario=scenario, language=language)
    outcomes = [
        Outcome(case_id=str(r["case_id"]), scenario=Scenario(r["scenario"]), language=r["language"], variant=r["variant"],
                responded=r["responded"], resolved=r["resolved"])
        for r in rows
    ]
    return list(templates.variant_stats(outcomes=outcomes).values())


async def record_outcome(conn: asyncpg.Connection, *, case: uuid.UUID, from_status: int, to_status: int, reason: str, at: datetime) -> None:
    """The A/B outcome a move of the case gives the replies sent on it up to then (follow-on of a transition).

    Leaving "awaiting customer" other than for "no response" means the buyer answered; resolving
    with the buyer satisfied or the review updated counts as a success.
    """
    no_response = reason == NO_RESPONSE
    if from_status == AWAITING_CUSTOMER and not (to_status == RESOLVED and no_response):
        await replies_repository.mark_outcome(conn, case, responded=True, sent_until=at)
    if to_status == RESOLVED and not no_response:
        await replies_repository.mark_outcome(conn, case, resolved=True, sent_until=at)
