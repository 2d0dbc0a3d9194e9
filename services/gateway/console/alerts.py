"""Alerts: the list (by status), acknowledge and resolve from the page."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.gateway.console.access import Viewer, acting_viewer, current_viewer, teams_of
from services.gateway.console.errors import ConsoleRoute
from services.gateway.dependencies import Backends, get_backends
from services.gateway.routes import alerts as alert_routes
from services.gateway.schemas import ALERT_STATUS_BY_NAME, AlertAction

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
BackendsDep = Annotated[Backends, Depends(get_backends)]


@router.get("/alerts")
async def alerts_page(
    request: Request, viewer: Annotated[Viewer, Depends(current_viewer)], backends: BackendsDep,
    status: Literal[tuple(ALERT_STATUS_BY_NAME)] | None = None,  # type: ignore[valid-type]
) -> Response:  # fmt: skip
    viewer.require("GET", "/v1/alerts")
    page = await alert_routes.list_alerts(tenant=viewer.tenant, backends=backends, review_id=None, rule="", status=status, label=[],
                                          page_size=100, page_token="")  # fmt: skip
    markets = viewer.team_markets(await teams_of(viewer, backends))
    alerts = [a for a in page.items if markets is None or not a.marketplace or a.marketplace.upper() in markets]
    return request.app.state.console.render(request, "alerts.html", formats=viewer.formats, viewer=viewer, alerts=alerts, status=status,
                                            statuses=list(ALERT_STATUS_BY_NAME), may_act=viewer.may("POST", "/v1/alerts/{alert_id}/acknowledge"))  # fmt: skip


async def _act(viewer: Viewer, backends: Backends, alert_id: uuid.UUID, action: str) -> Response:
    viewer.require("POST", f"/v1/alerts/{{alert_id}}/{action}")
    alert = await alert_routes.get_alert(alert_id=alert_id, tenant=viewer.tenant, backends=backends)
    if alert.marketplace:
        viewer.require_market(await teams_of(viewer, backends), alert.marketplace)
    act = alert_routes.acknowledge_alert if action == "acknowledge" else alert_routes.resolve_alert
    await act(alert_id=alert_id, tenant=viewer.tenant, backends=backends, action=AlertAction(actor=viewer.signed_in.email))
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(alert_id: uuid.UUID, viewer: Annotated[Viewer, Depends(acting_viewer)], backends: BackendsDep) -> Response:
    return await _act(viewer, backends, alert_id, "acknowledge")


@router.post("/alerts/{alert_id}/resolve")
async def resolve(alert_id: uuid.UUID, viewer: Annotated[Viewer, Depends(acting_viewer)], backends: BackendsDep) -> Response:
    return await _act(viewer, backends, alert_id, "resolve")
