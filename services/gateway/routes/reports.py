"""/v1/reports/…: ratings, aspect heat maps, drill-down, competitors and the department reports, as
JSON, or as a CSV, XLSX or PDF file that the Reporting service writes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from reviewguard.reporting.v1 import reporting_pb2
from services.gateway.dependencies import BackendsDep, TenantDep
from services.gateway.routes import report_departments, report_schedules, report_settings
from services.gateway.routes.inbox import InboxReviewRead
from services.gateway.routes.report_params import (
    FILES, Dimension, Format, From, Grain, HeatmapDimension, TimeZone, To, report_file, window,
)
from services.gateway.schemas import ERROR_RESPONSES

reports_router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=ERROR_RESPONSES)

class ReportCellRead(BaseModel):
    period: str = Field(description="start of the period, ISO 8601 with the zone's offset")
    key: dict[str, str]
    reviews: int
    negative: int
    mean_rating: float | None
    negative_share: float
    baseline_mean_rating: float | None = Field(None, description="mean over the 28 days before `from`")
    alerts: int = Field(0, description="alerts fired for this key in this period")
    top_aspects: list[str] = Field(default_factory=list)


class ReportRead(BaseModel):
    keys: list[str]
    grain: Grain
    time_zone: str
    cells: list[ReportCellRead]


class CountRead(BaseModel):
    value: str
    reviews: int
    negative: int


class DrilldownRead(BaseModel):
    reviews: int
    negative: int
    mean_rating: float | None
    top_aspects: list[CountRead]
    top_products: list[CountRead]
    examples: list[InboxReviewRead]


def _cells(table: reporting_pb2.ReportTable) -> list[ReportCellRead]:
    return [
        ReportCellRead(
            period=c.period, key=dict(zip(table.keys, c.key)), reviews=c.reviews, negative=c.negative,
            mean_rating=c.mean_rating if c.HasField("mean_rating") else None, negative_share=c.negative_share,
            baseline_mean_rating=c.baseline_mean_rating if c.HasField("baseline_mean_rating") else None,
            alerts=c.alerts, top_aspects=list(c.top_aspects),
        )
        for c in table.cells
    ]


def _answer(table: reporting_pb2.ReportTable, grain: str, zone: str) -> ReportRead:
    return ReportRead(keys=list(table.keys), grain=grain, time_zone=zone or "UTC", cells=_cells(table))


@reports_router.get("/ratings", response_model=ReportRead, responses=FILES)
async def ratings_report(
    tenant: TenantDep, backends: BackendsDep, from_: From, to: To, group_by: Dimension = "marketplace", grain: Grain = "day",
    time_zone: TimeZone = "", format: Format = "json",
):
    """Review count, mean rating and negative share per `group_by` value and period, with the
    28-day baseline before `from` and the alerts fired. Own listings only."""
    request = reporting_pb2.RatingsReportRequest(
        tenant_id=str(tenant), window=await window(backends, tenant, from_, to, grain, time_zone), group_by=group_by
    )
    if format != "json":
        return await report_file(backends, format, ratings=request)
    return _answer(await backends.reporting.RatingsReport(request), grain, request.window.time_zone)


@reports_router.get("/aspects", response_model=ReportRead, responses=FILES)
async def aspects_report(
    tenant: TenantDep, backends: BackendsDep, from_: From, to: To, rows: HeatmapDimension = "product_id",
    cols: HeatmapDimension = "aspect", grain: Grain = "week", time_zone: TimeZone = "", format: Format = "json",
):
    """A heat map: reviews and negative share per (rows value, cols value, period); one of rows and
    cols is `aspect` (e.g. rows=product_id&cols=aspect), the other a dimension."""
    request = reporting_pb2.AspectsReportRequest(
        tenant_id=str(tenant), window=await window(backends, tenant, from_, to, grain, time_zone), rows=rows, cols=cols
    )
    if format != "json":
        return await report_file(backends, format, aspects=request)
    return _answer(await backends.reporting.AspectsReport(request), grain, request.window.time_zone)


@reports_router.get("/competitors", response_model=ReportRead, responses=FILES)
async def competitors_report(
    tenant: TenantDep, backends: BackendsDep, from_: From, to: To, group_by: Dimension | None = None, grain: Grain = "week",
    time_zone: TimeZone = "", format: Format = "json",
):
    """Own against competitor listings per period: rating, negative share, top complaint aspects."""
    request = reporting_pb2.CompetitorsReportRequest(
        tenant_id=str(tenant), window=await window(backends, tenant, from_, to, grain, time_zone), group_by=group_by or ""
    )
    if format != "json":
        return await report_file(backends, format, competitors=request)
    return _answer(await backends.reporting.CompetitorsReport(request), grain, request.window.time_zone)


@reports_router.get("/drilldown", response_model=DrilldownRead, responses=FILES)
async def drilldown(
    tenant: TenantDep, backends: BackendsDep, dimension: Dimension, value: str, from_: From, to: To,
    time_zone: TimeZone = "", limit: Annotated[int, Query(ge=1, le=100)] = 5, format: Format = "json",
):
    """From one (dimension, value, period) of a report to its top aspects, top products and the
    most negative example reviews."""
    request = reporting_pb2.DrilldownRequest(
        tenant_id=str(tenant), dimension=dimension, value=value, limit=limit,
        window=await window(backends, tenant, from_, to, "day", time_zone),
    )
    if format != "json":
        return await report_file(backends, format, drilldown=request)
    answer = await backends.reporting.Drilldown(request)
    return DrilldownRead(
        reviews=answer.reviews, negative=answer.negative, mean_rating=answer.mean_rating if answer.HasField("mean_rating") else None,
        top_aspects=[CountRead(value=c.value, reviews=c.reviews, negative=c.negative) for c in answer.top_aspects],
        top_products=[CountRead(value=c.value, reviews=c.reviews, negative=c.negative) for c in answer.top_products],
        examples=[InboxReviewRead.from_proto(r) for r in answer.examples],
    )


reports_router.include_router(report_departments.router)
# NOTE: one router for every report path (/v1/reports/…, /v1/report-schedules), which the app includes.
router = APIRouter()
router.include_router(reports_router)
router.include_router(report_schedules.router)
router.include_router(report_settings.router)
