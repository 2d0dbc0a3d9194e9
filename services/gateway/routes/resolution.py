"""Resolution outside single cases: teams and agents, policy, KPIs, compliance, templates, orders and review
requests, the knowledge base."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import AwareDatetime

from libs import paging
from reviewguard.resolution.v1 import resolution_pb2
from services.gateway.dependencies import BackendsDep, PageDep, TenantDep
from services.gateway.schemas import ERROR_RESPONSES
from services.gateway.routes.resolution_schemas import (
    AgentPage,
    AgentPut,
    AgentRead,
    AwayUpdate,
    ComplianceCheck,
    ComplianceResult,
    KnowledgePage,
    KpisRead,
    OrderBatch,
    OrdersAccepted,
    RatingChange,
    RatingChangeRecorded,
    ResolutionPolicyRead,
    ReviewRequestPage,
    TeamPage,
    TeamPut,
    TeamRead,
    VariantStatsPage,
    as_dict,
)

router = APIRouter(tags=["resolution"], responses=ERROR_RESPONSES)

# The most matches the resolution service answers for one knowledge search.
KNOWLEDGE_MATCHES = 200


@router.put("/v1/teams", status_code=200, response_model=TeamRead, response_model_exclude_unset=True)
async def put_team(body: TeamPut, tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """Creates or replaces (by name) a regional team: its markets, time zone and working hours."""
    team = await backends.resolution.PutTeam(resolution_pb2.Team(tenant_id=str(tenant), **body.model_dump()))
    return as_dict(team)


@router.get("/v1/teams", response_model=TeamPage, response_model_exclude_unset=True)
async def list_teams(tenant: TenantDep, backends: BackendsDep, page: PageDep) -> dict[str, Any]:
    response = await backends.resolution.ListTeams(resolution_pb2.ListTeamsRequest(tenant_id=str(tenant)))
    items, next_token = page.of(response.teams)
    return {"items": [as_dict(t) for t in items], "next_page_token": next_token}


@router.put("/v1/agents", response_model=AgentRead, response_model_exclude_unset=True)
async def put_agent(body: AgentPut, tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """Creates or replaces (by name) an agent with languages, skills and capacity."""
    agent = await backends.resolution.PutAgent(resolution_pb2.Agent(tenant_id=str(tenant), **body.model_dump()))
    return as_dict(agent)


@router.get("/v1/agents", response_model=AgentPage, response_model_exclude_unset=True)
async def list_agents(tenant: TenantDep, backends: BackendsDep, page: PageDep) -> dict[str, Any]:
    response = await backends.resolution.ListAgents(resolution_pb2.ListAgentsRequest(tenant_id=str(tenant)))
    items, next_token = page.of(response.agents)
    return {"items": [as_dict(a) for a in items], "next_page_token": next_token}


@router.post("/v1/agents/{agent_id}/away", response_model=AgentRead, response_model_exclude_unset=True)
async def set_agent_away(agent_id: uuid.UUID, body: AwayUpdate, tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """Marks an agent away (their open cases are reassigned at once) or back."""
    agent = await backends.resolution.SetAgentAway(
        resolution_pb2.SetAgentAwayRequest(tenant_id=str(tenant), agent_id=str(agent_id), away=body.away)
    )
    return as_dict(agent)


@router.get("/v1/resolution-policy", response_model=ResolutionPolicyRead)
async def get_policy(tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """The tenant's SLA hours and clock, warning lead and compensation approval threshold."""
    policy = await backends.resolution.GetPolicy(resolution_pb2.GetPolicyRequest(tenant_id=str(tenant)))
    return {"version": policy.version, "policy": json.loads(policy.policy_json)}


@router.put("/v1/resolution-policy", response_model=ResolutionPolicyRead)
async def put_policy(
    tenant: TenantDep, backends: BackendsDep, policy: Annotated[dict[str, Any], Body(examples=[{"sla_clock": "business", "approval_threshold_usd": 150}])]
) -> dict[str, Any]:
    """Replaces the policy; fields left out take the defaults; an invalid one changes nothing (422)."""
    stored = await backends.resolution.PutPolicy(resolution_pb2.PutPolicyRequest(tenant_id=str(tenant), policy_json=json.dumps(policy)))
    return {"version": stored.version, "policy": json.loads(stored.policy_json)}


@router.get("/v1/kpis", response_model=KpisRead)
async def get_kpis(
    tenant: TenantDep, backends: BackendsDep, since: AwareDatetime | None = None, until: AwareDatetime | None = None
) -> dict[str, Any]:
    """24 h response rate (target ≥ 95%), median first response, resolution rate and rating recovery of cases opened in [since, until)."""
    request = resolution_pb2.GetKpisRequest(tenant_id=str(tenant))
    if since is not None:
        request.since.FromDatetime(since)
    if until is not None:
        request.until.FromDatetime(until)
    kpis = as_dict(await backends.resolution.GetKpis(request))
    # NOTE: a rate over nothing is "no data", not a perfect score: null, with the reason in `no_data`.
    no_data = []
    if not kpis["response_eligible"]:
        kpis["response_rate_24h"] = kpis["response_rate_met"] = None
        no_data.append("response_rate_24h")
    if not kpis["cases"]:
        kpis["resolution_rate"] = None
        no_data.append("resolution_rate")
    if not kpis["responded_within_24h"] and not kpis["median_first_response_seconds"]:
        kpis["median_first_response_seconds"] = None
        no_data.append("median_first_response_seconds")
    if not kpis["reviews_handled"]:
        kpis["rating_recovery_rate"] = None
        no_data.append("rating_recovery_rate")
    kpis["no_data"] = no_data
    met = kpis["response_rate_met"]
    kpis["status"] = "no data" if met is None else "met" if met else "missed"
    return kpis


@router.post("/v1/rating-changes", response_model=RatingChangeRecorded, response_model_exclude_unset=True)
async def record_rating_change(body: RatingChange, tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """Records a review's rating change by hand (ingest's `reviews.updated` events record them too)."""
    request = resolution_pb2.RecordRatingChangeRequest(
        tenant_id=str(tenant), review_id=body.review_id, old_rating=body.old_rating, new_rating=body.new_rating
    )
    if body.changed_at is not None:
        request.changed_at.FromDatetime(body.changed_at)
    return as_dict(await backends.resolution.RecordRatingChange(request))


@router.post("/v1/compliance/check", response_model=ComplianceResult, response_model_exclude_unset=True)
async def check_compliance(body: ComplianceCheck, tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """Every phrase the platform forbids in `text`, each with its rule, position and reason."""
    result = await backends.resolution.CheckCompliance(resolution_pb2.CheckComplianceRequest(text=body.text, platform=body.platform))
    return as_dict(result)


@router.get("/v1/templates/stats", response_model=VariantStatsPage, response_model_exclude_unset=True)
async def template_stats(tenant: TenantDep, backends: BackendsDep, page: PageDep, scenario: str = "", language: str = "") -> dict[str, Any]:
    """A/B results: per template variant, the cases it was sent in and how many responded and resolved."""
    response = await backends.resolution.GetVariantStats(
        resolution_pb2.GetVariantStatsRequest(tenant_id=str(tenant), scenario=scenario, language=language)
    )
    items, next_token = page.of(response.variants)
    return {"items": [as_dict(v) for v in items], "next_page_token": next_token}


@router.post("/v1/orders", status_code=202, response_model=OrdersAccepted, response_model_exclude_unset=True)
async def submit_orders(body: OrderBatch, tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """Delivered orders; each new one gets a review request scheduled (3–5 / 7–10 days, holidays, quiet hours)."""
    request = resolution_pb2.SubmitOrdersRequest(tenant_id=str(tenant))
    for order in body.orders:
        data = order.model_dump(exclude={"delivered_at"})
        message = request.orders.add(**data)
        message.delivered_at.FromDatetime(order.delivered_at)
    return as_dict(await backends.resolution.SubmitOrders(request))


@router.get("/v1/review-requests", response_model=ReviewRequestPage, response_model_exclude_unset=True)
async def list_review_requests(
    tenant: TenantDep,
    backends: BackendsDep,
    page: PageDep,
    status: Literal[
        "scheduled", "sending", "sent", "refused", "failed", "manual", "skipped_open_case", "skipped_negative_review", "blocked_compliance"
    ] | None = None,
) -> dict[str, Any]:
    """By send time, soonest first."""
    response = await backends.resolution.ListReviewRequests(
        resolution_pb2.ListReviewRequestsRequest(tenant_id=str(tenant), status=status or "")
    )
    items, next_token = page.of(response.requests)
    return {"items": [as_dict(r) for r in items], "next_page_token": next_token}


@router.get("/v1/knowledge", response_model=KnowledgePage, response_model_exclude_unset=True)
async def search_knowledge(
    tenant: TenantDep,
    backends: BackendsDep,
    page: PageDep,
    q: str = "",
    type: str = Query("", description="issue type, e.g. damaged"),
    region: str = Query("", description="marketplace (DE) or region (EU, NA, APAC)"),
    outcome: str = Query("", description="review_updated, customer_satisfied, no_response, appeal_accepted"),
) -> dict[str, Any]:
    """Handled cases, best match first; a search reaches its best KNOWLEDGE_MATCHES matches (pages of them)."""
    # NOTE: the service answers the best N; a page asks for the matches up to its own end, and one more.
    wanted = min(paging.window_end(page.size, page.token), KNOWLEDGE_MATCHES)
    response = await backends.resolution.SearchKnowledge(
        resolution_pb2.SearchKnowledgeRequest(tenant_id=str(tenant), query=q, issue_type=type, region=region, outcome=outcome, limit=wanted)
    )
    items, next_token = page.of(response.entries)
    return {"items": [as_dict(e) for e in items], "next_page_token": next_token}
