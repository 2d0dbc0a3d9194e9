"""/v1/alerts and /v1/alert-policies: alert history and lifecycle, and the tenant's alerting policy."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from libs.errors import FieldViolation, InvalidArgument
from reviewguard.alerting.v1 import alert_pb2, alerting_pb2
from services.gateway.dependencies import BackendsDep, TenantDep
from services.gateway.edge import JsonObject
from services.gateway.schemas import ALERT_STATUS_BY_NAME, ERROR_RESPONSES, AlertAction, AlertPage, AlertRead

router = APIRouter(tags=["alerts"], responses=ERROR_RESPONSES)

AlertStatusName = Literal[tuple(ALERT_STATUS_BY_NAME)]  # type: ignore[valid-type]


@router.get("/v1/alerts", response_model=AlertPage)
async def list_alerts(
    tenant: TenantDep,
    backends: BackendsDep,
    review_id: uuid.UUID | None = None,
    rule: str = Query("", description="negative_review, rating_baseline, crisis, aspect_spike"),
    status: AlertStatusName | None = None,
    label: Annotated[list[str], Query(description="label matchers key=value, e.g. queue=manual_review")] = [],  # noqa: B006
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> AlertPage:
    """The alert history, newest first; `label=queue=manual_review` is the manual-review queue."""
    response = await backends.alerting.ListAlerts(
        alerting_pb2.ListAlertsRequest(
            tenant_id=str(tenant),
            review_id=str(review_id) if review_id else "",
            rule=rule,
            status=ALERT_STATUS_BY_NAME[status] if status else 0,
            labels=label,
            page_size=page_size,
            page_token=page_token,
        )
    )
    return AlertPage(
        items=[AlertRead.from_proto(a) for a in response.alerts], next_page_token=response.next_page_token or None
    )


@router.get("/v1/alerts/{alert_id}", response_model=AlertRead)
async def get_alert(alert_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep) -> AlertRead:
    alert = await backends.alerting.GetAlert(alerting_pb2.GetAlertRequest(tenant_id=str(tenant), alert_id=str(alert_id)))
    return AlertRead.from_proto(alert)


@router.post("/v1/alerts/{alert_id}/acknowledge", response_model=AlertRead)
async def acknowledge_alert(
    alert_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep, action: AlertAction = Body(default_factory=AlertAction)
) -> AlertRead:
    """Marks the alert seen; it stops escalating."""
    alert = await backends.alerting.AcknowledgeAlert(
        alerting_pb2.AlertActionRequest(tenant_id=str(tenant), alert_id=str(alert_id), actor=action.actor)
    )
    return AlertRead.from_proto(alert)


@router.post("/v1/alerts/{alert_id}/resolve", response_model=AlertRead)
async def resolve_alert(
    alert_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep, action: AlertAction = Body(default_factory=AlertAction)
) -> AlertRead:
    alert = await backends.alerting.ResolveAlert(
        alerting_pb2.AlertActionRequest(tenant_id=str(tenant), alert_id=str(alert_id), actor=action.actor)
    )
    return AlertRead.from_proto(alert)


class RuleStatusRead(BaseModel):
    """Whether a rule can judge yet for this tenant."""

    state: Literal["active", "partial", "insufficient_history"] = Field(
        description="trend rules stay silent on scopes without enough history; per-review rules are always active"
    )
    detail: str
    min_history_days: int | None = None
    min_history_reviews: int | None = None
    significance: float | None = Field(None, description="one-sided p-value a change must beat")
    ready_scopes: int | None = Field(None, description="scopes with enough history")
    waiting_scopes: list[str] = Field(default_factory=list, description="scopes still below it (first 100)")


class AlertPolicyRead(BaseModel):
    version: int
    policy: dict[str, Any]
    status: dict[str, RuleStatusRead] = Field(default_factory=dict, description="per rule: can it judge yet")


@router.get("/v1/alert-policies", response_model=AlertPolicyRead)
async def get_alert_policy(tenant: TenantDep, backends: BackendsDep) -> AlertPolicyRead:
    """The tenant's effective alerting policy (its settings over the SPEC's defaults) and each
    rule's status: "insufficient_history" while a trend rule has too little history to judge."""
    policy = await backends.alerting.GetPolicy(alerting_pb2.GetPolicyRequest(tenant_id=str(tenant)))
    body = json.loads(policy.policy_json)
    # NOTE: the status travels inside policy_json until the Policy message has a field for it.
    status = body.pop("status", {})
    return AlertPolicyRead(version=policy.version, policy=body, status=status)


class AlertPolicyStored(BaseModel):
    version: int
    policy: dict[str, Any]


@router.put("/v1/alert-policies", response_model=AlertPolicyStored)
async def put_alert_policy(
    tenant: TenantDep, backends: BackendsDep, policy: Annotated[JsonObject, Body(examples=[{"baseline": {"red_daily_drop": 0.6}}])]
) -> dict[str, Any]:
    """Replaces the policy; sections left out take their defaults. An invalid policy changes nothing (422)."""
    stored = await backends.alerting.PutPolicy(
        alerting_pb2.PutPolicyRequest(tenant_id=str(tenant), policy_json=json.dumps(policy))
    )
    return {"version": stored.version, "policy": json.loads(stored.policy_json)}


ALERTMANAGER_YAML = "application/yaml"
_CONFIG_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/plain", "application/json")
RoutingFormatName = Literal["alertmanager"]


@router.get(
    "/v1/alert-policies/routing",
    response_class=PlainTextResponse,
    responses={200: {
        # NOTE: YAML text; its schema is the document it parses to (what a YAML-aware client sees).
        "content": {ALERTMANAGER_YAML: {"schema": {
            "type": "object", "required": ["route"],
            "properties": {"route": {"type": "object"}, "inhibit_rules": {"type": "array"}, "time_intervals": {"type": "array"},
                           "receivers": {"type": "array"}},
        }}},
        "description": "an Alertmanager config (YAML); the policy's version in `ETag`",
    }},
)
async def export_routing(
    tenant: TenantDep, backends: BackendsDep,
    format: Annotated[RoutingFormatName, Query(description="the config dialect; Alertmanager's is the one spoken")] = "alertmanager",  # noqa: A002
) -> PlainTextResponse:
    """The effective routing (route tree, inhibit rules incl. the SPEC's built-ins, time intervals)
    as an Alertmanager config; `receivers` lists the ReviewGuard receivers it names. The policy's
    version is in the `ETag` header."""
    exported = await backends.alerting.ExportRouting(
        alerting_pb2.ExportRoutingRequest(tenant_id=str(tenant), format=alerting_pb2.ROUTING_FORMAT_ALERTMANAGER)
    )
    return PlainTextResponse(exported.config, media_type=ALERTMANAGER_YAML, headers={"ETag": f'"{exported.version}"'})


@router.put(
    "/v1/alert-policies/routing",
    response_model=AlertPolicyRead,
    openapi_extra={"requestBody": {"required": True, "content": {t: {"schema": {"type": "string"}} for t in (ALERTMANAGER_YAML, "application/json")}}},
)
async def import_routing(
    request: Request, tenant: TenantDep, backends: BackendsDep,
    format: Annotated[RoutingFormatName, Query(description="the config dialect; Alertmanager's is the one spoken")] = "alertmanager",  # noqa: A002
) -> AlertPolicyRead:
    """Replaces the policy's routing with an Alertmanager config (its `route`, `inhibit_rules`,
    `time_intervals`; `global`, `templates`, `receivers` are ignored), pasted as YAML or JSON.
    Receivers are matched by name to the tenant's ReviewGuard receivers, which must exist. An invalid
    config is a 422 naming the path, and nothing changes; the rest of the policy is kept."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in _CONFIG_TYPES:
        raise InvalidArgument("send the config as YAML or JSON", [FieldViolation("content-type", ", ".join(_CONFIG_TYPES))])
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgument("the config is not UTF-8", [FieldViolation("body", "UTF-8 text")]) from None
    stored = await backends.alerting.ImportRouting(
        alerting_pb2.ImportRoutingRequest(tenant_id=str(tenant), format=alerting_pb2.ROUTING_FORMAT_ALERTMANAGER, config=text)
    )
    body = json.loads(stored.policy_json)
    body.pop("status", None)
    return AlertPolicyRead(version=stored.version, policy=body)


class BacklogItemRead(BaseModel):
    """A history review that would have alerted had it been news; it paged no one."""

    review_id: uuid.UUID
    platform: str
    marketplace: str
    product_id: str
    rating: int
    posted_at: datetime
    severity: str = Field(description="the grade it would have had as news: normal, high, critical")
    summary: str
    reasons: list[str]
    labels: dict[str, str]


class BacklogPage(BaseModel):
    items: list[BacklogItemRead]
    next_page_token: str | None = Field(description="null on the last page")


class BacklogPromotion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    review_ids: list[uuid.UUID] = Field(min_length=1, max_length=500, description="backlog reviews to turn into alerts")
    actor: str = Field(default="", max_length=200, description="who decided, kept in each alert's history")


class PromotedAlerts(BaseModel):
    alerts: list[AlertRead] = Field(description="one per review, in the order asked")


@router.get("/v1/backlog", response_model=BacklogPage)
async def list_backlog(
    tenant: TenantDep, backends: BackendsDep,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50, page_token: str = "",
) -> BacklogPage:
    """History (imports unless marked live, backfills, reviews posted long before they were
    captured) that would have alerted as news, newest first. It fed baselines and reports but opened
    no alert or case and notified no one; promote what deserves a case."""
    page = await backends.alerting.ListBacklog(
        alerting_pb2.ListBacklogRequest(tenant_id=str(tenant), page_size=page_size, page_token=page_token)
    )
    return BacklogPage(
        items=[
            BacklogItemRead(
                review_id=i.review_id, platform=i.platform, marketplace=i.marketplace, product_id=i.product_id,
                rating=i.rating, posted_at=i.posted_at.ToDatetime(tzinfo=timezone.utc),
                severity=alert_pb2.Severity.Name(i.severity).removeprefix("SEVERITY_").lower(), summary=i.summary,
                reasons=list(i.reasons), labels=dict(i.labels),
            )  # fmt: skip
            for i in page.items
        ],
        next_page_token=page.next_page_token or None,
    )


@router.post("/v1/backlog/promote", response_model=PromotedAlerts)
async def promote_backlog(tenant: TenantDep, backends: BackendsDep, promotion: BacklogPromotion) -> PromotedAlerts:
    """Turns backlog reviews into alerts now (routed, notified, and opened as cases like any), in
    bulk; all or nothing: an id not in the backlog is a 422 naming it. Promoting again is harmless."""
    promoted = await backends.alerting.PromoteBacklog(
        alerting_pb2.PromoteBacklogRequest(tenant_id=str(tenant), review_ids=[str(r) for r in promotion.review_ids], actor=promotion.actor)
    )
    return PromotedAlerts(alerts=[AlertRead.from_proto(a) for a in promoted.alerts])
