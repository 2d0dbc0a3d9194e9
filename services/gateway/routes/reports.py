"""/v1/reports/…: ratings, aspect heat maps, drill-down and competitors, as JSON, CSV or XLSX."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from libs.errors import FieldViolation, InvalidArgument
from reviewguard.reporting.v1 import reporting_pb2
from services.gateway.dependencies import BackendsDep, TenantDep
from services.gateway.routes.inbox import InboxReviewRead
from services.gateway.routes.report_exports import CSV_TYPE, XLSX_TYPE, table_response
from services.gateway.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=ERROR_RESPONSES)

Dimension = Literal["marketplace", "platform", "product_line", "store_id", "product_id"]
HeatmapDimension = Literal["marketplace", "platform", "product_line", "store_id", "product_id", "aspect"]
Grain = Literal["hour", "day", "week", "month"]
Format = Literal["json", "csv", "xlsx"]
_FILE = {"schema": {"type": "string", "format": "binary"}}
_FILES = {200: {"content": {CSV_TYPE: _FILE, XLSX_TYPE: _FILE}, "description": "the report (JSON, or a file with ?format=csv|xlsx)"}}

From = Annotated[str, Query(alias="from", description="a date (midnight in time_zone) or a date-time; inclusive")]
To = Annotated[str, Query(description="a date or a date-time; exclusive")]
TimeZone = Annotated[str, Query(description="IANA zone the periods are counted in, e.g. Europe/Berlin")]


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


def _instant(text: str, zone_name: str, field: str) -> datetime:
    """A date (its midnight in the zone) or a date-time (naive ones are read in the zone)."""
    try:
        zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(f"unknown time zone {zone_name!r}", [FieldViolation("time_zone", "an IANA zone")]) from None
    try:
        value = datetime.combine(date.fromisoformat(text), time()) if len(text) == 10 else datetime.fromisoformat(text)
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise InvalidArgument(f"{field} must be a date or an ISO 8601 date-time", [FieldViolation(field, "YYYY-MM-DD or ISO 8601")]) from None


def _window(starts: str, ends: str, grain: str, zone: str) -> reporting_pb2.ReportWindow:
    window = reporting_pb2.ReportWindow(grain=grain, time_zone=zone)
    window.starts_at.FromDatetime(_instant(starts, zone, "from"))
    window.ends_at.FromDatetime(_instant(ends, zone, "to"))
    return window


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


def _answer(name: str, fmt: str, table: reporting_pb2.ReportTable, grain: str, zone: str):
    report = ReportRead(keys=list(table.keys), grain=grain, time_zone=zone or "UTC", cells=_cells(table))
    if fmt == "json":
        return report
    header = ["period", *report.keys, "reviews", "negative", "mean_rating", "negative_share", "baseline_mean_rating", "alerts", "top_aspects"]
    rows = (
        [c.period, *(c.key[k] for k in report.keys), c.reviews, c.negative, c.mean_rating, c.negative_share,
         c.baseline_mean_rating, c.alerts, " ".join(c.top_aspects)]
        for c in report.cells
    )
    return table_response(name, fmt, header, rows)


@router.get("/ratings", response_model=ReportRead, responses=_FILES)
async def ratings_report(
    tenant: TenantDep, backends: BackendsDep, from_: From, to: To, group_by: Dimension = "marketplace", grain: Grain = "day",
    time_zone: TimeZone = "UTC", format: Format = "json",
):
    """Review count, mean rating and negative share per `group_by` value and period, with the
    28-day baseline before `from` and the alerts fired. Own listings only."""
    table = await backends.reporting.RatingsReport(
        reporting_pb2.RatingsReportRequest(tenant_id=str(tenant), window=_window(from_, to, grain, time_zone), group_by=group_by)
    )
    return _answer("ratings", format, table, grain, time_zone)


@router.get("/aspects", response_model=ReportRead, responses=_FILES)
async def aspects_report(
    tenant: TenantDep, backends: BackendsDep, from_: From, to: To, rows: HeatmapDimension = "product_id",
    cols: HeatmapDimension = "aspect", grain: Grain = "week", time_zone: TimeZone = "UTC", format: Format = "json",
):
    """A heat map: reviews and negative share per (rows value, cols value, period); one of rows and
    cols is `aspect` (e.g. rows=product_id&cols=aspect), the other a dimension."""
    table = await backends.reporting.AspectsReport(
        reporting_pb2.AspectsReportRequest(tenant_id=str(tenant), window=_window(from_, to, grain, time_zone), rows=rows, cols=cols)
    )
    return _answer("aspects", format, table, grain, time_zone)


@router.get("/competitors", response_model=ReportRead, responses=_FILES)
async def competitors_report(
    tenant: TenantDep, backends: BackendsDep, from_: From, to: To, group_by: Dimension | None = None, grain: Grain = "week",
    time_zone: TimeZone = "UTC", format: Format = "json",
):
    """Own against competitor listings per period: rating, negative share, top complaint aspects."""
    table = await backends.reporting.CompetitorsReport(
        reporting_pb2.CompetitorsReportRequest(
            tenant_id=str(tenant), window=_window(from_, to, grain, time_zone), group_by=group_by or ""
        )
    )
    return _answer("competitors", format, table, grain, time_zone)


@router.get("/drilldown", response_model=DrilldownRead, responses=_FILES)
async def drilldown(
    tenant: TenantDep, backends: BackendsDep, dimension: Dimension, value: str, from_: From, to: To,
    time_zone: TimeZone = "UTC", limit: Annotated[int, Query(ge=1, le=100)] = 5, format: Format = "json",
):
    """From one (dimension, value, period) of a report to its top aspects, top products and the
    most negative example reviews."""
    answer = await backends.reporting.Drilldown(
        reporting_pb2.DrilldownRequest(
            tenant_id=str(tenant), dimension=dimension, value=value, window=_window(from_, to, "day", time_zone), limit=limit
        )
    )
    read = DrilldownRead(
        reviews=answer.reviews, negative=answer.negative, mean_rating=answer.mean_rating if answer.HasField("mean_rating") else None,
        top_aspects=[CountRead(value=c.value, reviews=c.reviews, negative=c.negative) for c in answer.top_aspects],
        top_products=[CountRead(value=c.value, reviews=c.reviews, negative=c.negative) for c in answer.top_products],
        examples=[InboxReviewRead.from_proto(r) for r in answer.examples],
    )
    if format == "json":
        return read
    rows = [
        *(["aspect", c.value, c.reviews, c.negative, ""] for c in read.top_aspects),
        *(["product", c.value, c.reviews, c.negative, ""] for c in read.top_products),
        *(["example", r.id, 1, int(r.sentiment == "negative"), f"{r.rating}★ {r.title}: {r.body}"] for r in read.examples),
    ]
    return table_response("drilldown", format, ["section", "value", "reviews", "negative", "text"], rows)
