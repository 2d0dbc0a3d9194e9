"""/v1/alerts: the tenant's alert history, newest first."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from reviewguard.alerting.v1 import alerting_pb2
from services.gateway.dependencies import BackendsDep, TenantDep
from services.gateway.schemas import AlertPage, AlertRead

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])


@router.get("", response_model=AlertPage)
async def list_alerts(
    tenant: TenantDep,
    backends: BackendsDep,
    review_id: uuid.UUID | None = None,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> AlertPage:
    response = await backends.alerting.ListAlerts(
        alerting_pb2.ListAlertsRequest(
            tenant_id=str(tenant), review_id=str(review_id) if review_id else "", page_size=page_size, page_token=page_token
        )
    )
    return AlertPage(
        alerts=[AlertRead.from_proto(a) for a in response.alerts], next_page_token=response.next_page_token or None
    )
