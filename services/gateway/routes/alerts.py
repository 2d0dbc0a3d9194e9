"""/v1/alerts and /v1/alert-policies: alert history and lifecycle, and the tenant's alerting policy."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from reviewguard.alerting.v1 import alerting_pb2
from services.gateway.dependencies import BackendsDep, TenantDep
from services.gateway.edge import JsonObject
from services.gateway.schemas import ALERT_STATUS_BY_NAME, AlertAction, AlertPage, AlertRead

router = APIRouter(tags=["alerts"])

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
        alerts=[AlertRead.from_proto(a) for a in response.alerts], next_page_token=response.next_page_token or None
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


@router.put("/v1/alert-policies")
async def put_alert_policy(
    tenant: TenantDep, backends: BackendsDep, policy: Annotated[JsonObject, Body(examples=[{"baseline": {"red_daily_drop": 0.6}}])]
) -> dict[str, Any]:
    """Replaces the policy; sections left out take their defaults. An invalid policy changes nothing (422)."""
    stored = await backends.alerting.PutPolicy(
        alerting_pb2.PutPolicyRequest(tenant_id=str(tenant), policy_json=json.dumps(policy))
    )
    return {"version": stored.version, "policy": json.loads(stored.policy_json)}
