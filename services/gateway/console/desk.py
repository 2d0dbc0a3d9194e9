"""The case desk: my and my team's cases with their SLA, one case's page, replies checked as typed,
transitions, assignment and resolving."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import grpc
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from libs import paging
from libs.errors import DomainError, domain_to_http, grpc_to_http
from services.gateway.console.access import Viewer, acting_viewer, current_viewer, teams_of
from services.gateway.console.errors import ConsoleRoute
from services.gateway.dependencies import Backends, PageRequest, get_backends
from services.gateway.routes import alerts as alert_routes
from services.gateway.routes import cases as case_routes
from services.gateway.routes import resolution as resolution_routes
from services.gateway.routes import reviews as review_routes
from services.gateway.routes.resolution_schemas import (
    REASON_BY_NAME, ComplianceCheck, OfferCreate, RecommendationCreate, ReplyCreate, TransitionCreate,
)
from services.gateway.schemas import CASE_STATUS_BY_NAME

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
BackendsDep = Annotated[Backends, Depends(get_backends)]
ViewerDep = Annotated[Viewer, Depends(current_viewer)]
ActingDep = Annotated[Viewer, Depends(acting_viewer)]
SCENARIOS = ("damaged", "delay", "quality", "wrong_item", "service", "description_mismatch")
REPLY_LANGUAGES = ("en", "de", "fr", "es", "it", "ja", "zh")
ISSUES = ("damaged", "quality", "wrong_item", "minor")
_OPEN = {"new", "assigned", "contacted", "awaiting_customer", "compensation_offered", "appealed", "appeal_rejected", "escalated"}


def _is_mine(viewer: Viewer, owner: str | None) -> bool:
    """A case is mine when its owner (the resolution service's agent name) is my email or its local part."""
    email = viewer.signed_in.email
    return owner is not None and owner.lower() in (email, email.split("@")[0])


@router.get("/cases")
async def desk(
    request: Request, viewer: ViewerDep, backends: BackendsDep, view: Literal["mine", "team", "all"] = "team",
    status: Literal[tuple(CASE_STATUS_BY_NAME)] | None = None,  # type: ignore[valid-type]
) -> Response:  # fmt: skip
    viewer.require("GET", "/v1/cases")
    teams = await teams_of(viewer, backends)
    markets = viewer.team_markets(teams)
    page = await case_routes.list_cases(
        tenant=viewer.tenant, backends=backends, markets=markets, review_id=None, status=status, page_size=200, page_token=""
    )
    cases = page.items
    if view == "mine":
        cases = [c for c in cases if _is_mine(viewer, c.owner)]
    elif status is None:
        cases = [c for c in cases if c.status in _OPEN]
    return request.app.state.console.render(request, "desk.html", formats=viewer.formats, viewer=viewer, cases=cases, view=view,
                                            status=status, statuses=list(CASE_STATUS_BY_NAME))  # fmt: skip


async def _case_page(request: Request, viewer: Viewer, backends: Backends, case_id: uuid.UUID, *, status_code: int = 200,
                     error: str = "", draft: str = "", recommendation: dict | None = None, asked: dict | None = None) -> Response:  # fmt: skip
    viewer.require("GET", "/v1/cases/{case_id}")
    case = await case_routes.get_case(case_id=case_id, tenant=viewer.tenant, backends=backends)
    viewer.require_market(await teams_of(viewer, backends), case.marketplace)
    # NOTE: a case's events, replies and offers are few (README, "Paging"): its page shows one page of each.
    whole = PageRequest(paging.MAX_PAGE_SIZE)
    events = (await case_routes.case_events(case_id=case_id, tenant=viewer.tenant, backends=backends, page=whole)).items
    replies = (await case_routes.list_replies(case_id=case_id, tenant=viewer.tenant, backends=backends, page=whole)).items
    offers = (await case_routes.list_offers(case_id=case_id, tenant=viewer.tenant, backends=backends, page=whole))["items"]
    review = None
    if case.review_id:
        review = await review_routes.get_review(review_id=uuid.UUID(case.review_id), tenant=viewer.tenant, backends=backends)
    alert = None
    if case.alert_id and viewer.may("GET", "/v1/alerts/{alert_id}"):
        alert = await alert_routes.get_alert(alert_id=uuid.UUID(case.alert_id), tenant=viewer.tenant, backends=backends)
    due = case.first_response_due_at if case.first_response_at is None else case.due_at
    return request.app.state.console.render(
        request, "case.html", status_code=status_code, formats=viewer.formats, viewer=viewer, case=case, events=events, replies=replies,
        review=review, alert=alert, due=due if case.resolved_at is None else None, error=error, draft=draft,
        statuses=list(CASE_STATUS_BY_NAME), reasons=list(REASON_BY_NAME), scenarios=SCENARIOS, reply_languages=REPLY_LANGUAGES,
        may_act=viewer.may("POST", "/v1/cases/{case_id}/replies"), offers=offers, recommendation=recommendation, asked=asked or {},
        issues=ISSUES,
    )  # fmt: skip


@router.get("/cases/{case_id}")
async def case_page(request: Request, case_id: uuid.UUID, viewer: ViewerDep, backends: BackendsDep) -> Response:
    return await _case_page(request, viewer, backends, case_id)


async def _acting_on(viewer: Viewer, backends: Backends, case_id: uuid.UUID, api_route: str):
    """The case, once the viewer may take this action on it (the rule table, then the team's markets)."""
    viewer.require("POST", api_route)
    case = await case_routes.get_case(case_id=case_id, tenant=viewer.tenant, backends=backends)
    viewer.require_market(await teams_of(viewer, backends), case.marketplace)
    return case


def _refusal(error: Exception) -> tuple[int, str] | None:
    """(status, message) of a refusal the person can fix (bad input, a move the state machine forbids)."""
    if isinstance(error, grpc.aio.AioRpcError):
        code, body, _ = grpc_to_http(error)
    elif isinstance(error, DomainError):
        code, body, _ = domain_to_http(error)
    else:
        return None
    return (code, body.get("detail", "")) if code in (409, 422) else None


@router.post("/cases/{case_id}/compliance")
async def compliance(
    request: Request, case_id: uuid.UUID, viewer: ActingDep, backends: BackendsDep, text: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:  # fmt: skip
    """The composer's check as one types: the forbidden phrases, with their rule and why (a fragment)."""
    case = await _acting_on(viewer, backends, case_id, "/v1/compliance/check")
    result = None
    if text.strip():
        result = await resolution_routes.check_compliance(body=ComplianceCheck(text=text, platform=case.platform), tenant=viewer.tenant,
                                                          backends=backends)  # fmt: skip
    return request.app.state.console.render(request, "_compliance.html", formats=viewer.formats, result=result, empty=not text.strip())


@router.post("/cases/{case_id}/reply")
async def reply(
    request: Request, case_id: uuid.UUID, viewer: ActingDep, backends: BackendsDep, text: Annotated[str, Form(max_length=10_000)] = "",
    scenario: Annotated[str, Form(max_length=50)] = "", language: Annotated[str, Form(max_length=10)] = "",
    buyer_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    """Sends the typed reply, or the scenario's template; the resolution service refuses forbidden wording (422)."""
    case = await _acting_on(viewer, backends, case_id, "/v1/cases/{case_id}/replies")
    if scenario:
        body = ReplyCreate(scenario=scenario, language=language or case.language, actor=viewer.signed_in.email,
                           placeholders={"buyer_name": buyer_name, "product_name": case.product_id, "order_id": case.order_id or "",
                                         "seller_name": ""})  # fmt: skip
    else:
        body = ReplyCreate(text=text, actor=viewer.signed_in.email)
    try:
        await case_routes.send_reply(case_id=case_id, body=body, tenant=viewer.tenant, backends=backends)
    except (grpc.aio.AioRpcError, DomainError) as error:
        if (refused := _refusal(error)) is None:
            raise
        return await _case_page(request, viewer, backends, case_id, status_code=refused[0], error=refused[1], draft=text)
    return RedirectResponse(f"/cases/{case_id}#replies", status_code=303)


@router.post("/cases/{case_id}/transition")
async def transition(
    request: Request, case_id: uuid.UUID, viewer: ActingDep, backends: BackendsDep, status: Annotated[str, Form(max_length=50)],
    reason: Annotated[str, Form(max_length=50)] = "", note: Annotated[str, Form(max_length=5000)] = "",
) -> Response:  # fmt: skip
    await _acting_on(viewer, backends, case_id, "/v1/cases/{case_id}/transitions")
    try:
        body = TransitionCreate(status=status, reason=reason or None, note=note, actor=viewer.signed_in.email)
        await case_routes.transition_case(case_id=case_id, body=body, tenant=viewer.tenant, backends=backends)
    except (grpc.aio.AioRpcError, DomainError) as error:
        if (refused := _refusal(error)) is None:
            raise
        return await _case_page(request, viewer, backends, case_id, status_code=refused[0], error=refused[1])
    except ValueError as error:  # pydantic: a reason that is not one of REASON_BY_NAME
        return await _case_page(request, viewer, backends, case_id, status_code=422, error=f"reason: {error}")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/assign")
async def assign(case_id: uuid.UUID, viewer: ActingDep, backends: BackendsDep) -> Response:
    await _acting_on(viewer, backends, case_id, "/v1/cases/{case_id}/assign")
    await case_routes.assign_case(case_id=case_id, tenant=viewer.tenant, backends=backends)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/cases/{case_id}/evidence-pack")
async def evidence_pack(case_id: uuid.UUID, viewer: ViewerDep, backends: BackendsDep) -> Response:
    """The case's evidence pack (ZIP), as the API's route writes it."""
    viewer.require("GET", "/v1/cases/{case_id}/evidence/pack")
    case = await case_routes.get_case(case_id=case_id, tenant=viewer.tenant, backends=backends)
    viewer.require_market(await teams_of(viewer, backends), case.marketplace)
    return await case_routes.evidence_pack(case_id=case_id, tenant=viewer.tenant, backends=backends)


@router.post("/cases/{case_id}/compensation")
async def recommend(
    request: Request, case_id: uuid.UUID, viewer: ActingDep, backends: BackendsDep, issue: Annotated[str, Form(max_length=20)],
    order_value: Annotated[str, Form(max_length=20)] = "", currency: Annotated[str, Form(max_length=3)] = "",
    usd_rate: Annotated[str, Form(max_length=20)] = "",
) -> Response:  # fmt: skip
    """The compensation ladder's recommendation, with each candidate's total and the cap it is held to."""
    await _acting_on(viewer, backends, case_id, "/v1/cases/{case_id}/compensation/recommendation")
    asked = {"issue": issue, "order_value": order_value, "currency": currency.upper(), "usd_rate": usd_rate}
    try:
        body = RecommendationCreate(**asked)
        recommendation = await case_routes.recommend_compensation(case_id=case_id, body=body, tenant=viewer.tenant, backends=backends)
    except (grpc.aio.AioRpcError, DomainError) as error:
        if (refused := _refusal(error)) is None:
            raise
        return await _case_page(request, viewer, backends, case_id, status_code=refused[0], error=refused[1], asked=asked)
    except ValueError as error:  # pydantic: an issue that is not one of ISSUES
        return await _case_page(request, viewer, backends, case_id, status_code=422, error=f"issue: {error}", asked=asked)
    return await _case_page(request, viewer, backends, case_id, recommendation=recommendation, asked=asked)


@router.post("/cases/{case_id}/offers")
async def offer(
    request: Request, case_id: uuid.UUID, viewer: ActingDep, backends: BackendsDep, option: Annotated[str, Form(max_length=50)],
    cost: Annotated[str, Form(max_length=20)], currency: Annotated[str, Form(max_length=3)], usd_rate: Annotated[str, Form(max_length=20)] = "",
) -> Response:  # fmt: skip
    """Records the chosen offer; the resolution service refuses one over the cap (422, naming it)."""
    await _acting_on(viewer, backends, case_id, "/v1/cases/{case_id}/offers")
    try:
        body = OfferCreate(option=option, cost=cost, currency=currency, usd_rate=usd_rate, actor=viewer.signed_in.email)
        await case_routes.record_offer(case_id=case_id, body=body, tenant=viewer.tenant, backends=backends)
    except (grpc.aio.AioRpcError, DomainError) as error:
        if (refused := _refusal(error)) is None:
            raise
        return await _case_page(request, viewer, backends, case_id, status_code=refused[0], error=refused[1])
    return RedirectResponse(f"/cases/{case_id}#offers", status_code=303)
