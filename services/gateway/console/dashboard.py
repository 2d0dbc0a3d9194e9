"""Dashboards: the reporting API's counts and rating trend at a glance, with CSV/XLSX/PDF export."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.gateway.console.access import Viewer, current_viewer
from services.gateway.console.errors import ConsoleRoute
from services.gateway.dependencies import Backends, get_backends
from services.gateway.routes import reports as report_routes
from services.gateway.routes import resolution as resolution_routes
from services.gateway.routes.report_params import Dimension

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
BackendsDep = Annotated[Backends, Depends(get_backends)]
ViewerDep = Annotated[Viewer, Depends(current_viewer)]
Grain = Literal["day", "week", "month"]


@dataclass(frozen=True)
class Point:
    period: str
    reviews: int
    mean_rating: float | None


def trend(cells) -> list[Point]:
    """One point per period over every key: the review-weighted mean rating."""
    by_period: dict[str, list[tuple[int, float | None]]] = {}
    for cell in cells:
        by_period.setdefault(cell.period, []).append((cell.reviews, cell.mean_rating))
    points = []
    for period in sorted(by_period):
        rated = [(n, m) for n, m in by_period[period] if m is not None and n]
        total = sum(n for n, _ in by_period[period])
        mean = sum(n * m for n, m in rated) / sum(n for n, _ in rated) if rated else None
        points.append(Point(period=period, reviews=total, mean_rating=mean))
    return points


def svg_path(points: list[Point], width: int = 640, height: int = 200, pad: int = 24) -> list[tuple[float, float, Point]]:
    """Chart coordinates of each rated point: x by period, y by rating on a fixed 1..5 scale."""
    if not points:
        return []
    step = (width - 2 * pad) / max(1, len(points) - 1)
    return [
        (round(pad + i * step, 1), round(height - pad - (p.mean_rating - 1) / 4 * (height - 2 * pad), 1), p)
        for i, p in enumerate(points) if p.mean_rating is not None
    ]  # fmt: skip


def _window(starts: date | None, ends: date | None, zone: str) -> tuple[str, str]:
    today = datetime.now(tz=zoneinfo.ZoneInfo(zone)).date()
    ends = ends or today + timedelta(days=1)
    return (starts or ends - timedelta(days=30)).isoformat(), ends.isoformat()


@router.get("/dashboard")
async def dashboard(
    request: Request, viewer: ViewerDep, backends: BackendsDep, from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None, grain: Grain = "day", group_by: Dimension = "marketplace",
) -> Response:  # fmt: skip
    viewer.require("GET", "/v1/reports/ratings")
    zone = viewer.formats.zone.key
    starts, ends = _window(from_, to, zone)
    report = await report_routes.ratings_report(tenant=viewer.tenant, backends=backends, from_=starts, to=ends, group_by=group_by,
                                                grain=grain, time_zone=zone, format="json")  # fmt: skip
    reviews = sum(c.reviews for c in report.cells)
    negative = sum(c.negative for c in report.cells)
    rated = [(c.reviews, c.mean_rating) for c in report.cells if c.mean_rating is not None and c.reviews]
    mean = sum(n * m for n, m in rated) / sum(n for n, _ in rated) if rated else None
    by_key: dict[str, list[int]] = {}
    for cell in report.cells:
        totals = by_key.setdefault(", ".join(cell.key.values()), [0, 0])
        totals[0] += cell.reviews
        totals[1] += cell.negative
    kpis = None
    if viewer.may("GET", "/v1/kpis"):
        kpis = await resolution_routes.get_kpis(tenant=viewer.tenant, backends=backends, since=None, until=None)
    points = trend(report.cells)
    query = f"from={starts}&to={ends}&grain={grain}&group_by={group_by}"
    return request.app.state.console.render(
        request, "dashboard.html", formats=viewer.formats, viewer=viewer, reviews=reviews, negative=negative, mean=mean, kpis=kpis,
        by_key=sorted(by_key.items(), key=lambda kv: -kv[1][0]), chart=svg_path(points), points=points, starts=starts, ends=ends,
        grain=grain, group_by=group_by, query=query, dimensions=Dimension.__args__,
    )  # fmt: skip


@router.get("/dashboard/export")
async def export(
    viewer: ViewerDep, backends: BackendsDep, format: Literal["csv", "xlsx", "pdf"], from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None, grain: Grain = "day", group_by: Dimension = "marketplace",
) -> Response:  # fmt: skip
    """The ratings report as a file, written by the Reporting service through the API's own route."""
    viewer.require("GET", "/v1/reports/ratings")
    zone = viewer.formats.zone.key
    starts, ends = _window(from_, to, zone)
    return await report_routes.ratings_report(tenant=viewer.tenant, backends=backends, from_=starts, to=ends, group_by=group_by,
                                              grain=grain, time_zone=zone, format=format)  # fmt: skip
