"""/v1/report-settings: the tenant's report time zone, used by every report that names no time_zone."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from reviewguard.reporting.v1 import reporting_pb2
from services.gateway.dependencies import BackendsDep, TenantDep
from services.gateway.edge import RequestModel
from services.gateway.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/v1/report-settings", tags=["reports"], responses=ERROR_RESPONSES)


class ReportSettingsUpdate(RequestModel):
    time_zone: str = Field(min_length=1, max_length=64, examples=["Asia/Kolkata"], description="IANA zone")


class ReportSettingsRead(BaseModel):
    time_zone: str = Field(description="IANA zone reports are counted in when a request names none; UTC until set")


@router.get("", response_model=ReportSettingsRead)
async def get_report_settings(tenant: TenantDep, backends: BackendsDep) -> ReportSettingsRead:
    stored = await backends.reporting.GetReportSettings(reporting_pb2.GetReportSettingsRequest(tenant_id=str(tenant)))
    return ReportSettingsRead(time_zone=stored.time_zone)


@router.put("", response_model=ReportSettingsRead)
async def put_report_settings(body: ReportSettingsUpdate, tenant: TenantDep, backends: BackendsDep) -> ReportSettingsRead:
    """Sets the tenant's report time zone; an unknown zone is a 422 naming time_zone, and nothing changes."""
    stored = await backends.reporting.PutReportSettings(reporting_pb2.ReportSettings(tenant_id=str(tenant), time_zone=body.time_zone))
    return ReportSettingsRead(time_zone=stored.time_zone)
