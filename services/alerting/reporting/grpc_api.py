"""gRPC adapter of the Reporting service: checks and translates requests, then calls the service."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

from libs import paging
from libs.crypto import SecretBox
from libs.errors import FieldViolation, InvalidArgument, require_uuid
from reviewguard.reporting.v1 import reporting_pb2, reporting_pb2_grpc
from reviewguard.resolution.v1 import case_pb2
from services.alerting.reporting import exports, report_settings
from services.alerting.reporting.models import BOUND_STEP, DIMENSIONS, HEATMAP_DIMENSIONS, SENTIMENTS, SORTS, Window, require_dimension
from services.alerting.reporting.schedules import ReportSchedules
from services.alerting.reporting.service import ReportingService, case_status_name

CASE_STATUSES = tuple(case_status_name(v) for v in case_pb2.CaseStatus.values() if v)
RISK_CATEGORIES = ("any", "safety", "fraud", "legal", "health", "damage")
MAX_DRILLDOWN_LIMIT = 100


def _one_of(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value and value not in allowed:
        raise InvalidArgument(f"{field} must be one of {', '.join(allowed)}", [FieldViolation(field, f"one of {', '.join(allowed)}")])
    return value


def _checked_window(window: reporting_pb2.ReportWindow, default_zone: str) -> Window:
    starts = window.starts_at.ToDatetime(tzinfo=timezone.utc) if window.HasField("starts_at") else None
    ends = window.ends_at.ToDatetime(tzinfo=timezone.utc) if window.HasField("ends_at") else None
    for name, value in (("from", starts), ("to", ends)):
        # NOTE: any zone's midnight is on a quarter hour; finer bounds would be a timestamp no report means.
        if value is not None and (value - datetime(2000, 1, 1, tzinfo=timezone.utc)) % BOUND_STEP:
            raise InvalidArgument(f"{name} must be on a quarter hour", [FieldViolation(name, "a multiple of 15 minutes")])
    return Window.checked(starts, ends, window.grain, window.time_zone or default_zone)


class ReportingServicer(reporting_pb2_grpc.ReportingServicer):
    def __init__(self, service: ReportingService, *, box: SecretBox | None = None) -> None:
        self._service = service
        # NOTE: a schedule's mails are exported through ExportReport, so they are checked and
        # written exactly as the API's downloads.
        self.schedules = ReportSchedules(
            pool=service.pool, box=box, export=lambda request: self.ExportReport(request, None), clock=service.clock
        )

    async def _window(self, tenant: uuid.UUID, window: reporting_pb2.ReportWindow) -> Window:
        """The checked window; with no zone named, in the tenant's stored zone."""
        return _checked_window(window, window.time_zone or await report_settings.time_zone(self._service.pool, tenant))

    async def SearchReviews(self, request: reporting_pb2.SearchReviewsRequest, context) -> reporting_pb2.SearchReviewsResponse:
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        for field in ("rating_gte", "rating_lte"):
            if not 0 <= getattr(request, field) <= 5:
                raise InvalidArgument(f"{field} must be 1 to 5", [FieldViolation(field, "1 to 5")])
        sort = _one_of(request.sort, tuple(SORTS), "sort") or "-posted_at"
        filters = {
            **{f: sorted(getattr(request, f)) for f in ("platform", "marketplace", "store_id", "product_id", "product_line", "language")},
            "rating_gte": request.rating_gte, "rating_lte": request.rating_lte,
            "sentiment": _one_of(request.sentiment, SENTIMENTS, "sentiment"),
            "aspect": request.aspect, "risk": _one_of(request.risk, RISK_CATEGORIES, "risk"),
            "case_status": _one_of(request.case_status, CASE_STATUSES, "case_status"), "q": request.q,
            **{f: getattr(request, f) if request.HasField(f) else None for f in ("malicious", "competitor", "has_case")},
            **{
                f: getattr(request, f).ToDatetime(tzinfo=timezone.utc) if request.HasField(f) else None
                for f in ("posted_from", "posted_to")
            },
        }
        items, token = await self._service.search(
            tenant, filters, sort=sort, page_size=paging.page_size(request.page_size), page_token=request.page_token
        )
        return reporting_pb2.SearchReviewsResponse(items=items, next_page_token=token)

    async def RatingsReport(self, request: reporting_pb2.RatingsReportRequest, context) -> reporting_pb2.ReportTable:
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        group_by = require_dimension(request.group_by, field="group_by")
        return await self._service.ratings(tenant, await self._window(tenant, request.window), group_by)

    async def AspectsReport(self, request: reporting_pb2.AspectsReportRequest, context) -> reporting_pb2.ReportTable:
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        rows = require_dimension(request.rows, field="rows", allowed=HEATMAP_DIMENSIONS)
        cols = require_dimension(request.cols, field="cols", allowed=HEATMAP_DIMENSIONS)
        if (rows == "aspect") == (cols == "aspect"):
            # NOTE: the rollups hold one dimension at a time beside the aspect.
            raise InvalidArgument("one of rows and cols must be aspect", [FieldViolation("cols", "aspect when rows is not")])
        return await self._service.aspects(tenant, await self._window(tenant, request.window), rows, cols)

    async def CompetitorsReport(self, request: reporting_pb2.CompetitorsReportRequest, context) -> reporting_pb2.ReportTable:
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        group_by = require_dimension(request.group_by, field="group_by") if request.group_by else ""
        return await self._service.competitors(tenant, await self._window(tenant, request.window), group_by)

    async def Drilldown(self, request: reporting_pb2.DrilldownRequest, context) -> reporting_pb2.DrilldownResponse:
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        dimension = require_dimension(request.dimension, field="dimension", allowed=DIMENSIONS)
        if not 0 <= request.limit <= MAX_DRILLDOWN_LIMIT:
            raise InvalidArgument(f"limit must be 1 to {MAX_DRILLDOWN_LIMIT}", [FieldViolation("limit", f"1 to {MAX_DRILLDOWN_LIMIT}")])
        return await self._service.drilldown(tenant, await self._window(tenant, request.window), dimension, request.value, request.limit or 5)

    async def _department_window(self, request: reporting_pb2.DepartmentReportRequest) -> tuple[uuid.UUID, Window]:
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        w = await self._window(tenant, request.window)
        if w.grain == "hour":
            raise InvalidArgument("a department report is by day, week or month", [FieldViolation("grain", "day, week or month")])
        return tenant, w

    async def ProductReport(self, request: reporting_pb2.DepartmentReportRequest, context) -> reporting_pb2.ProductReportResponse:
        tenant, w = await self._department_window(request)
        if not 0 <= request.limit <= MAX_DRILLDOWN_LIMIT:
            raise InvalidArgument(f"limit must be 1 to {MAX_DRILLDOWN_LIMIT}", [FieldViolation("limit", f"1 to {MAX_DRILLDOWN_LIMIT}")])
        return await self._service.departments.product(tenant, w, request.limit)

    async def LogisticsReport(self, request: reporting_pb2.DepartmentReportRequest, context) -> reporting_pb2.LogisticsReportResponse:
        tenant, w = await self._department_window(request)
        group_by = require_dimension(request.group_by or "marketplace", field="group_by")
        return await self._service.departments.logistics(tenant, w, group_by)

    async def ServiceReport(self, request: reporting_pb2.DepartmentReportRequest, context) -> reporting_pb2.ServiceReportResponse:
        tenant, w = await self._department_window(request)
        return await self._service.departments.service(tenant, w)

    async def ExportReport(self, request: reporting_pb2.ExportReportRequest, context) -> reporting_pb2.ReportFile:
        kind = request.WhichOneof("report")
        if kind is None:
            raise InvalidArgument("a report to export is required", [FieldViolation("report", f"one of {', '.join(exports.KINDS)}")])
        if request.format not in exports.FORMATS:
            raise InvalidArgument("format must be csv, xlsx or pdf", [FieldViolation("format", "csv, xlsx or pdf")])
        inner = getattr(request, kind)
        handler = {
            "ratings": self.RatingsReport, "aspects": self.AspectsReport, "competitors": self.CompetitorsReport,
            "drilldown": self.Drilldown, "product": self.ProductReport, "logistics": self.LogisticsReport,
            "service": self.ServiceReport,
        }[kind]
        answer = await handler(inner, context)
        w = inner.window
        zone = w.time_zone or await report_settings.time_zone(self._service.pool, require_uuid(inner.tenant_id, field="tenant_id"))
        subtitle = exports.window_text(w.starts_at.ToDatetime(tzinfo=timezone.utc), w.ends_at.ToDatetime(tzinfo=timezone.utc), w.grain, zone)
        table = exports.report_table(kind, answer, subtitle)
        # NOTE: writing a PDF or a workbook is CPU work; off the event loop, which serves other calls.
        return await asyncio.to_thread(exports.render, table, request.format, self._service.pdf)

    async def CreateReportSchedule(self, request: reporting_pb2.ReportSchedule, context) -> reporting_pb2.ReportSchedule:
        require_uuid(request.tenant_id, field="tenant_id")
        return await self.schedules.create(request)

    async def ListReportSchedules(self, request: reporting_pb2.ListReportSchedulesRequest, context) -> reporting_pb2.ListReportSchedulesResponse:
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        items, token = await self.schedules.list(tenant, paging.page_size(request.page_size), request.page_token)
        return reporting_pb2.ListReportSchedulesResponse(items=items, next_page_token=token)

    async def DeleteReportSchedule(self, request: reporting_pb2.DeleteReportScheduleRequest, context) -> reporting_pb2.DeleteReportScheduleResponse:
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        await self.schedules.delete(tenant, require_uuid(request.id, field="id"))
        return reporting_pb2.DeleteReportScheduleResponse()

    async def GetReportSettings(self, request: reporting_pb2.GetReportSettingsRequest, context) -> reporting_pb2.ReportSettings:
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        return reporting_pb2.ReportSettings(tenant_id=str(tenant), time_zone=await report_settings.time_zone(self._service.pool, tenant))

    async def PutReportSettings(self, request: reporting_pb2.ReportSettings, context) -> reporting_pb2.ReportSettings:
        tenant = require_uuid(request.tenant_id, field="tenant_id")
        zone = await report_settings.put_time_zone(self._service.pool, tenant, request.time_zone)
        return reporting_pb2.ReportSettings(tenant_id=str(tenant), time_zone=zone)
