"""Parameters every report route shares (window, grain, zone, format) and the file download."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timezone
from typing import Annotated, Literal

from fastapi import Query
from fastapi.responses import Response

from libs.errors import FieldViolation, InvalidArgument
from reviewguard.reporting.v1 import reporting_pb2

Dimension = Literal["marketplace", "platform", "product_line", "store_id", "product_id", "carrier"]
HeatmapDimension = Literal["marketplace", "platform", "product_line", "store_id", "product_id", "carrier", "aspect"]
Grain = Literal["hour", "day", "week", "month"]
Format = Literal["json", "csv", "xlsx", "pdf"]
_FILE = {"schema": {"type": "string", "format": "binary"}}
FILES = {
    200: {
        "content": {t: _FILE for t in ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf")},
        "description": "the report (JSON, or a file with ?format=csv|xlsx|pdf)",
    }
}

From = Annotated[str, Query(alias="from", description="a date (midnight in time_zone) or a date-time; inclusive")]
To = Annotated[str, Query(description="a date or a date-time; exclusive")]
TimeZone = Annotated[str, Query(
    description="IANA zone the periods are counted in, e.g. Europe/Berlin or Asia/Kolkata; the tenant's (PUT /v1/report-settings) when left out",
)]


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


async def window(backends, tenant, starts: str, ends: str, grain: str, zone: str) -> reporting_pb2.ReportWindow:
    """The report window; with no zone named, in the tenant's stored one (dates are its midnights)."""
    if not zone:
        settings = await backends.reporting.GetReportSettings(reporting_pb2.GetReportSettingsRequest(tenant_id=str(tenant)))
        zone = settings.time_zone
    w = reporting_pb2.ReportWindow(grain=grain, time_zone=zone)
    w.starts_at.FromDatetime(_instant(starts, zone, "from"))
    w.ends_at.FromDatetime(_instant(ends, zone, "to"))
    return w


async def report_file(backends, fmt: str, **report) -> Response:
    """The report named by the one keyword (ratings=…, product=…) as a file the Reporting service writes."""
    file = await backends.reporting.ExportReport(reporting_pb2.ExportReportRequest(format=fmt, **report))
    return Response(
        file.content, media_type=file.media_type, headers={"Content-Disposition": f'attachment; filename="{file.filename}"'}
    )
