"""/v1/report-schedules: reports e-mailed after each week or month, with their PDF (and/or XLSX,
CSV) attached, through one of the tenant's email receivers (/v1/alert-receivers)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from reviewguard.reporting.v1 import reporting_pb2
from services.gateway.dependencies import BackendsDep, TenantDep
from services.gateway.edge import RequestModel
from services.gateway.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/v1/report-schedules", tags=["reports"], responses=ERROR_RESPONSES)

ReportKind = Literal["ratings", "aspects", "competitors", "drilldown", "product", "logistics", "service"]
Attachment = Literal["pdf", "xlsx", "csv"]


class ReportScheduleCreate(RequestModel):
    kind: ReportKind = Field(description="the report; product, logistics and service are the department reports")
    params: dict[str, Any] = Field(default_factory=dict, description='the report\'s own parameters, e.g. {"group_by": "marketplace"}')
    grain: Literal["week", "month"] = Field(description="each mail reports the week (Monday to Monday) or month just ended")
    formats: list[Attachment] = Field(default_factory=lambda: ["pdf"], min_length=1, max_length=3)
    receiver: str = Field(min_length=1, max_length=100, description="the name of one of the tenant's email receivers")
    recipients: list[str] = Field(min_length=1, max_length=50)
    time_zone: str = Field("", description="IANA zone of the send time and of the periods; the tenant's report time zone when left out")
    send_time: str = Field("08:00", pattern=r"^\d{2}:\d{2}$", description="local time, HH:MM")
    day: int = Field(1, ge=1, le=28, description="weekly: 1 (Monday) to 7; monthly: the day of the month, 1 to 28")


class ReportScheduleRead(BaseModel):
    id: str
    kind: ReportKind
    params: dict[str, Any]
    grain: Literal["week", "month"]
    formats: list[Attachment]
    receiver: str
    recipients: list[str]
    time_zone: str
    send_time: str
    day: int
    next_send_at: datetime
    created_at: datetime

    @classmethod
    def from_proto(cls, s: reporting_pb2.ReportSchedule) -> "ReportScheduleRead":
        return cls(
            id=s.id, kind=s.kind, params=json.loads(s.params_json or "{}"), grain=s.grain, formats=list(s.formats), receiver=s.receiver,
            recipients=list(s.recipients), time_zone=s.time_zone, send_time=s.send_time, day=s.day,
            next_send_at=s.next_send_at.ToDatetime(tzinfo=timezone.utc), created_at=s.created_at.ToDatetime(tzinfo=timezone.utc),
        )


class ReportSchedulePage(BaseModel):
    items: list[ReportScheduleRead]
    next_page_token: str | None


@router.post("", response_model=ReportScheduleRead, status_code=status.HTTP_201_CREATED)
async def create_report_schedule(body: ReportScheduleCreate, tenant: TenantDep, backends: BackendsDep) -> ReportScheduleRead:
    """Checks the schedule (its report is run once on the first period) and stores it; the first
    mail goes at the next send time."""
    created = await backends.reporting.CreateReportSchedule(reporting_pb2.ReportSchedule(
        tenant_id=str(tenant), kind=body.kind, params_json=json.dumps(body.params), grain=body.grain, formats=body.formats,
        receiver=body.receiver, recipients=body.recipients, time_zone=body.time_zone, send_time=body.send_time, day=body.day,
    ))
    return ReportScheduleRead.from_proto(created)


@router.get("", response_model=ReportSchedulePage)
async def list_report_schedules(
    tenant: TenantDep, backends: BackendsDep, page_size: Annotated[int, Query(ge=1, le=500)] = 50, page_token: str | None = None,
) -> ReportSchedulePage:
    """The tenant's schedules, newest first."""
    page = await backends.reporting.ListReportSchedules(
        reporting_pb2.ListReportSchedulesRequest(tenant_id=str(tenant), page_size=page_size, page_token=page_token or "")
    )
    return ReportSchedulePage(items=[ReportScheduleRead.from_proto(s) for s in page.items], next_page_token=page.next_page_token or None)


@router.delete("/{schedule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_report_schedule(schedule_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep) -> Response:
    """No more mails; a period already being sent still goes."""
    await backends.reporting.DeleteReportSchedule(reporting_pb2.DeleteReportScheduleRequest(tenant_id=str(tenant), id=str(schedule_id)))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
