"""/v1/reports/departments/{product,logistics,service}: the weekly or monthly department reports,
as JSON, or as a CSV, XLSX or PDF file."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from reviewguard.reporting.v1 import reporting_pb2
from services.gateway.dependencies import BackendsDep, TenantDep
from services.gateway.routes.report_params import FILES, Dimension, Format, From, TimeZone, To, report_file, window

router = APIRouter(prefix="/departments")

DepartmentGrain = Literal["day", "week", "month"]


def _opt(message, name: str):
    return getattr(message, name) if message.HasField(name) else None


class PeriodCountRead(BaseModel):
    period: str
    complaints: int


class QuoteRead(BaseModel):
    review_id: str
    rating: int
    title: str
    body: str
    language: str
    marketplace: str


class DefectRead(BaseModel):
    aspect: str
    complaints: int = Field(description="negative reviews of the SKU that name the aspect")
    complaint_share: float = Field(description="complaints / the SKU's reviews")
    previous_complaints: int = Field(description="complaints in the window of the same length just before")
    trend: list[PeriodCountRead]
    quotes: list[QuoteRead]


class ProductDefectsRead(BaseModel):
    product_id: str
    reviews: int
    negative: int
    mean_rating: float | None
    defects: list[DefectRead]


class ProductReportRead(BaseModel):
    grain: DepartmentGrain
    time_zone: str
    products: list[ProductDefectsRead]


class LogisticsRowRead(BaseModel):
    period: str
    value: str
    reviews: int
    delay_complaints: int
    delay_rate: float
    damage_complaints: int
    damage_rate: float


class LogisticsReportRead(BaseModel):
    grain: DepartmentGrain
    time_zone: str
    group_by: str
    rows: list[LogisticsRowRead]


class ServiceRowRead(BaseModel):
    period: str = Field(description="the period the cases were opened in")
    cases: int
    responded: int
    mean_response_hours: float | None
    median_response_hours: float | None
    response_rate_24h: float
    sla_met_share: float
    compensation_usd: float = Field(description="accepted compensation offers, USD")
    ratings_raised: int = Field(description="cases whose review's rating rose since")
    mean_rating_change: float | None = Field(description="mean change in stars of the cases' reviews")


class ServiceReportRead(BaseModel):
    grain: DepartmentGrain
    time_zone: str
    rows: list[ServiceRowRead]


@router.get("/product", response_model=ProductReportRead, responses=FILES)
async def product_report(
    tenant: TenantDep, backends: BackendsDep, from_: From, to: To, grain: DepartmentGrain = "week", time_zone: TimeZone = "",
    limit: Annotated[int, Query(ge=1, le=100, description="SKUs, most complaints first")] = 10, format: Format = "json",
):
    """For the factory: the SKUs with the most complaints, each with its top 3 defects, their trend
    per period, the count in the window before, and the most negative quotes."""
    request = reporting_pb2.DepartmentReportRequest(
        tenant_id=str(tenant), window=await window(backends, tenant, from_, to, grain, time_zone), limit=limit
    )
    if format != "json":
        return await report_file(backends, format, product=request)
    answer = await backends.reporting.ProductReport(request)
    return ProductReportRead(grain=grain, time_zone=request.window.time_zone, products=[
        ProductDefectsRead(
            product_id=p.product_id, reviews=p.reviews, negative=p.negative, mean_rating=_opt(p, "mean_rating"),
            defects=[
                DefectRead(
                    aspect=d.aspect, complaints=d.complaints, complaint_share=d.complaint_share, previous_complaints=d.previous_complaints,
                    trend=[PeriodCountRead(period=t.period, complaints=t.complaints) for t in d.trend],
                    quotes=[QuoteRead(review_id=q.review_id, rating=q.rating, title=q.title, body=q.body, language=q.language,
                                      marketplace=q.marketplace) for q in d.quotes],
                )
                for d in p.defects
            ],
        )
        for p in answer.products
    ])


@router.get("/logistics", response_model=LogisticsReportRead, responses=FILES)
async def logistics_report(
    tenant: TenantDep, backends: BackendsDep, from_: From, to: To, group_by: Dimension = "marketplace", grain: DepartmentGrain = "week",
    time_zone: TimeZone = "", format: Format = "json",
):
    """For logistics: delay and damage complaints over reviews, per period and `group_by` value."""
    request = reporting_pb2.DepartmentReportRequest(
        tenant_id=str(tenant), window=await window(backends, tenant, from_, to, grain, time_zone), group_by=group_by
    )
    if format != "json":
        return await report_file(backends, format, logistics=request)
    answer = await backends.reporting.LogisticsReport(request)
    return LogisticsReportRead(grain=grain, time_zone=request.window.time_zone, group_by=answer.group_by, rows=[
        LogisticsRowRead(period=r.period, value=r.value, reviews=r.reviews, delay_complaints=r.delay_complaints, delay_rate=r.delay_rate,
                         damage_complaints=r.damage_complaints, damage_rate=r.damage_rate)
        for r in answer.rows
    ])


@router.get("/service", response_model=ServiceReportRead, responses=FILES)
async def service_report(
    tenant: TenantDep, backends: BackendsDep, from_: From, to: To, grain: DepartmentGrain = "week", time_zone: TimeZone = "",
    format: Format = "json",
):
    """For the CS lead: per period of opening, the cases' first-response times, 24 h response rate,
    SLA met, compensation accepted and how their reviews' ratings moved."""
    request = reporting_pb2.DepartmentReportRequest(
        tenant_id=str(tenant), window=await window(backends, tenant, from_, to, grain, time_zone)
    )
    if format != "json":
        return await report_file(backends, format, service=request)
    answer = await backends.reporting.ServiceReport(request)
    return ServiceReportRead(grain=grain, time_zone=request.window.time_zone, rows=[
        ServiceRowRead(
            period=r.period, cases=r.cases, responded=r.responded, mean_response_hours=_opt(r, "mean_response_hours"),
            median_response_hours=_opt(r, "median_response_hours"), response_rate_24h=r.response_rate_24h,
            sla_met_share=r.sla_met_share, compensation_usd=r.compensation_usd, ratings_raised=r.ratings_raised,
            mean_rating_change=_opt(r, "mean_rating_change"),
        )
        for r in answer.rows
    ])
