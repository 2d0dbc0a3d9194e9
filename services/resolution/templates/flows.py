"""Use case of a reply: render the case's template variant (remedy from its offers) or take the text,
check it against the platform's rules, store it, and count it as the case's first response."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import asyncpg

from libs.errors import FieldViolation, InvalidArgument
from services.resolution import repository
from services.resolution.cases import flows as cases
from services.resolution.cases.models import ASSIGNED, BEFORE_CONTACT, CONTACTED, FINAL, NEW, status_name
from services.resolution.compensation import flows as compensation
from services.resolution.compliance.service import Checker
from services.resolution.context import Context
from services.resolution.templates import repository as replies_repository
from services.resolution.templates import service as templates


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
    variant: str, actor: str,
) -> asyncpg.Record:
    """Sends a reply on a case, rendered from the case's A/B variant of a template or given as text.

    Every reply passes the platform's compliance check first; a reply is the case's first
    response and moves a case not yet contacted to "contacted".
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
        now = ctx.clock()
        stored = await replies_repository.add(
            conn, tenant_id=tenant, case_id=case, text=text, scenario=used_scenario, language=used_language or row["language"],
            variant=used_variant, actor=actor, sent_at=now,
        )
        await repository.add_event(
            conn, tenant_id=tenant, case_id=case, kind="reply_sent", at=now, from_status=row["status"], to_status=row["status"],
            actor=actor, detail={"reply_id": str(stored["id"]), "scenario": used_scenario, "variant": used_variant},
        )
        if row["status"] in BEFORE_CONTACT:
            if row["status"] == NEW:
                row = await cases.assign_one(conn, row, now=now, actor="system") or row
            if row["status"] == NEW:
                row = await cases.move(ctx, conn, row, to=ASSIGNED, actor=actor, note="answered before assignment")
            await cases.move(ctx, conn, row, to=CONTACTED, actor=actor)
        elif row["first_response_at"] is None:
            await repository.update(conn, case, first_response_at=now, updated_at=now)
    return stored
