"""Report schedules: a report e-mailed after each week or month, for the period just ended, with
its PDF (and/or XLSX, CSV) attached, through one of the tenant's email receivers.

NOTE: exactly one mail per period, across restarts and replicas: the due period becomes a run row
keyed by (schedule, period) in the same transaction that moves the schedule on, and a replica
sends a run only after claiming it (SKIP LOCKED, with a lease a crashed claimer's run outlives).
A crash between the SMTP server's 250 and the run's `sent` is the one case that mails twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import zoneinfo
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import asyncpg
from pydantic import ValidationError

from libs import paging
from libs.crypto import SecretBox
from libs.errors import DomainError, FieldViolation, InvalidArgument, NotFound, Unavailable, violations_of
from libs.loops import run_every
from reviewguard.reporting.v1 import reporting_pb2
from services.alerting.notifications import repository as receivers_repository
from services.alerting.receivers.base import DeliveryError, PermanentError
from services.alerting.receivers.smtp import EmailConfig, EmailReceiver
from services.alerting.reporting import exports, report_settings
from services.alerting.reporting import schedules_repository as storage

log = logging.getLogger(__name__)

# kind → (its request message, the parameters it takes with their defaults)
KINDS: dict[str, tuple[type, dict]] = {
    "ratings": (reporting_pb2.RatingsReportRequest, {"group_by": "marketplace"}),
    "aspects": (reporting_pb2.AspectsReportRequest, {"rows": "product_id", "cols": "aspect"}),
    "competitors": (reporting_pb2.CompetitorsReportRequest, {"group_by": ""}),
    "drilldown": (reporting_pb2.DrilldownRequest, {"dimension": "marketplace", "value": "", "limit": 5}),
    "product": (reporting_pb2.DepartmentReportRequest, {"limit": 10}),
    "logistics": (reporting_pb2.DepartmentReportRequest, {"group_by": "marketplace"}),
    "service": (reporting_pb2.DepartmentReportRequest, {}),
}
GRAINS = ("week", "month")
ATTACHMENTS = ("pdf", "xlsx", "csv")
MAX_RECIPIENTS = 50
LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 8

Export = Callable[[reporting_pb2.ExportReportRequest], Awaitable[reporting_pb2.ReportFile]]


def next_send(after: datetime, grain: str, zone: str, send_time: time, day: int) -> datetime:
    """The first local send moment (weekday `day` 1–7, or day of month 1–28, at `send_time`) after `after`, in UTC."""
    z = zoneinfo.ZoneInfo(zone)
    local = after.astimezone(z).date()
    if grain == "week":
        d = local + timedelta(days=(day - 1 - local.weekday()) % 7)
    else:
        d = local.replace(day=day)
    while True:
        at = datetime.combine(d, send_time, z).astimezone(timezone.utc)
        if at > after:
            return at
        d = d + timedelta(days=7) if grain == "week" else (d.replace(day=1) + timedelta(days=32)).replace(day=day)


def reported_period(send_at: datetime, grain: str, zone: str) -> tuple[datetime, datetime]:
    """The whole local week (Monday to Monday) or month before the one `send_at` falls in, in UTC."""
    z = zoneinfo.ZoneInfo(zone)
    local = send_at.astimezone(z).date()
    if grain == "week":
        end = local - timedelta(days=local.weekday())
        start = end - timedelta(days=7)
    else:
        end = local.replace(day=1)
        start = (end - timedelta(days=1)).replace(day=1)
    return tuple(datetime.combine(d, time(), z).astimezone(timezone.utc) for d in (start, end))  # type: ignore[return-value]


def export_request(kind: str, tenant_id: str, params: dict, starts: datetime, ends: datetime, grain: str, zone: str, fmt: str):
    message, defaults = KINDS[kind]
    window = reporting_pb2.ReportWindow(grain="day" if kind == "drilldown" else grain, time_zone=zone)
    window.starts_at.FromDatetime(starts)
    window.ends_at.FromDatetime(ends)
    try:
        inner = message(tenant_id=tenant_id, window=window, **{**defaults, **params})
    except (TypeError, ValueError):
        bad = next((k for k, v in params.items() if type(v) is not type(defaults[k])), next(iter(params), ""))
        raise InvalidArgument("a report parameter has the wrong type", [FieldViolation(f"params.{bad}", f"a {type(defaults.get(bad, '')).__name__}")]) from None
    return reporting_pb2.ExportReportRequest(format=fmt, **{kind: inner})


def _refuse(field: str, message: str) -> InvalidArgument:
    return InvalidArgument(message, [FieldViolation(field, message)])


def _view(row) -> reporting_pb2.ReportSchedule:
    view = reporting_pb2.ReportSchedule(
        id=str(row["id"]), tenant_id=str(row["tenant_id"]), kind=row["kind"], params_json=json.dumps(row["params"]) if not isinstance(row["params"], str) else row["params"],
        grain=row["grain"], formats=row["formats"], receiver=row["receiver"], recipients=row["recipients"],
        time_zone=row["time_zone"], send_time=row["send_time"].strftime("%H:%M"), day=row["day"],
    )
    view.next_send_at.FromDatetime(row["next_send_at"])
    view.created_at.FromDatetime(row["created_at"])
    return view


class ReportSchedules:
    def __init__(self, *, pool: asyncpg.Pool, box: SecretBox | None, export: Export, clock: Callable[[], datetime], batch: int = 20) -> None:
        self._pool = pool
        self._box = box
        self._export = export
        self._clock = clock
        self._batch = batch

    async def _email_config(self, conn, tenant_id: uuid.UUID, receiver: str, recipients: list[str]) -> EmailConfig:
        if self._box is None:
            raise Unavailable("no encryption key configured; receivers cannot be read")
        stored = await receivers_repository.get_receiver(conn, tenant_id, receiver)
        if stored is None or stored["kind"] != "email":
            raise _refuse("receiver", "the name of one of the tenant's email receivers")
        try:
            return EmailConfig.model_validate({**self._box.open(stored["config"]), "name": receiver, "to": recipients})
        except ValidationError as error:
            fields = [v.field for v in violations_of(error)]
            field = next((f.replace("to", "recipients", 1) for f in fields if f.startswith("to")), "receiver")
            raise _refuse(field, "an email address such as ops@example.com") from None

    async def create(self, s: reporting_pb2.ReportSchedule) -> reporting_pb2.ReportSchedule:
        """Checks everything (the report itself on its first period) and stores the schedule."""
        tenant = uuid.UUID(s.tenant_id)
        if s.kind not in KINDS:
            raise _refuse("kind", f"one of {', '.join(KINDS)}")
        try:
            params = json.loads(s.params_json or "{}")
        except ValueError:
            raise _refuse("params", "a JSON object") from None
        if not isinstance(params, dict):
            raise _refuse("params", "a JSON object")
        for key in params:
            if key not in KINDS[s.kind][1]:
                raise _refuse(f"params.{key}", f"{s.kind} takes {', '.join(KINDS[s.kind][1]) or 'no parameters'}")
        if s.grain not in GRAINS:
            raise _refuse("grain", "week or month")
        formats = list(dict.fromkeys(s.formats)) or ["pdf"]
        if any(f not in ATTACHMENTS for f in formats):
            raise _refuse("formats", "pdf, xlsx and/or csv")
        try:
            zoneinfo.ZoneInfo(s.time_zone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise _refuse("time_zone", "an IANA zone") from None
        try:
            send_time = time.fromisoformat(s.send_time or "08:00")
        except ValueError:
            raise _refuse("send_time", "HH:MM") from None
        day = s.day or 1
        if not 1 <= day <= (7 if s.grain == "week" else 28):
            raise _refuse("day", "1 (Monday) to 7" if s.grain == "week" else "1 to 28")
        if not 1 <= len(s.recipients) <= MAX_RECIPIENTS:
            raise _refuse("recipients", f"1 to {MAX_RECIPIENTS} addresses")
        zone = s.time_zone or await report_settings.time_zone(self._pool, tenant)
        now = self._clock()
        first = next_send(now, s.grain, zone, send_time.replace(second=0, microsecond=0), day)
        starts, ends = reported_period(first, s.grain, zone)
        async with self._pool.acquire() as conn:
            await self._email_config(conn, tenant, s.receiver, list(s.recipients))
        try:
            # NOTE: a dry run of the report on its first period: any bad parameter is refused now.
            await self._export(export_request(s.kind, s.tenant_id, params, starts, ends, s.grain, zone, "csv"))
        except InvalidArgument as error:
            known = KINDS[s.kind][1]
            raise InvalidArgument(error.message, [
                FieldViolation(f"params.{v.field}" if v.field in known else v.field, v.description) for v in error.violations
            ]) from None
        row = {
            "id": uuid.uuid4(), "tenant_id": tenant, "kind": s.kind, "params": params, "grain": s.grain, "formats": formats,
            "receiver": s.receiver, "recipients": list(s.recipients), "time_zone": zone, "send_time": send_time, "day": day,
            "next_send_at": first, "created_at": now,
        }
        async with self._pool.acquire() as conn:
            return _view(await storage.create(conn, row))

    async def list(self, tenant_id: uuid.UUID, page_size: int, page_token: str) -> tuple[list, str]:
        after = paging.decode(page_token)
        async with self._pool.acquire() as conn:
            rows = await storage.page(conn, tenant_id, after=after, limit=page_size + 1)
        items, token = paging.page(rows, page_size, key=lambda r: (r["created_at"], r["id"]))
        return [_view(r) for r in items], token

    async def delete(self, tenant_id: uuid.UUID, schedule_id: uuid.UUID) -> None:
        async with self._pool.acquire() as conn:
            if not await storage.delete(conn, tenant_id, schedule_id):
                raise NotFound(f"report schedule {schedule_id} not found")

    async def tick(self) -> int:
        """Turns due send times into runs, then claims and sends runs; returns how many were sent."""
        now = self._clock()
        async with self._pool.acquire() as conn:
            async with conn.transaction():
                for s in await storage.lock_due(conn, now, self._batch):
                    starts, ends = reported_period(s["next_send_at"], s["grain"], s["time_zone"])
                    await storage.add_run(conn, s, starts, ends, now)
                    await storage.set_next(conn, s["id"], next_send(s["next_send_at"], s["grain"], s["time_zone"], s["send_time"], s["day"]))
            claimed = await storage.claim_runs(conn, now, now + LEASE, self._batch)
        sent = 0
        for run in claimed:
            sent += await self._send(run, now)
        return sent

    async def _send(self, run, now: datetime) -> int:
        status, error, retry_at = "sent", "", None
        try:
            async with self._pool.acquire() as conn:
                config = await self._email_config(conn, run["tenant_id"], run["receiver"], list(run["recipients"]))
            params = run["params"] if isinstance(run["params"], dict) else json.loads(run["params"])
            files = [
                await self._export(export_request(run["kind"], str(run["tenant_id"]), params, run["period_start"], run["period_end"],
                                                  run["grain"], run["time_zone"], fmt))
                for fmt in run["formats"]
            ]
            await EmailReceiver(config).send_mail(report_mail(run, files))
        except (InvalidArgument, NotFound, PermanentError) as failure:
            status, error = "failed", str(failure)
        except (DeliveryError, DomainError, OSError) as failure:
            status, error = "pending", str(failure)
            retry_at = now + timedelta(minutes=2 ** min(run["attempts"], 6))
            if run["attempts"] >= MAX_ATTEMPTS:
                status = "failed"
        if status != "sent":
            log.warning("report schedule %s, period %s: %s (%s)", run["id"], run["period_start"], status, error)
        async with self._pool.acquire() as conn:
            await storage.finish_run(conn, run["id"], run["period_start"], status=status, error=error[:300], next_attempt_at=retry_at,
                                     sent_at=now if status == "sent" else None)
        return int(status == "sent")

    async def run(self, stop: asyncio.Event, interval_seconds: float) -> None:
        """Ticks every `interval_seconds` until `stop`."""
        # NOTE: a failed tick loses nothing: its runs stay claimed (their lease runs out) or pending.
        await run_every(self.tick, interval_seconds=interval_seconds, stop=stop, name="report schedule tick")


def report_mail(run, files: list[reporting_pb2.ReportFile]) -> EmailMessage:
    """The mail of one period: a short text and the report's files (From and To set by the receiver)."""
    period = exports.window_text(run["period_start"], run["period_end"], run["grain"], run["time_zone"])
    title = exports.TITLES[run["kind"]]
    mail = EmailMessage()
    mail["Subject"] = f"ReviewGuard report: {title} · {period}"
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = make_msgid(domain="reviewguard.invalid")
    mail["X-ReviewGuard-Report-Schedule"] = str(run["id"])
    mail.set_content(f"{title}\n{period}\n\nAttached: {', '.join(f.filename for f in files)}\n")
    for f in files:
        maintype, subtype = f.media_type.split(";")[0].split("/")
        mail.add_attachment(f.content, maintype=maintype, subtype=subtype, filename=f.filename)
    return mail


__all__ = ["ReportSchedules", "next_send", "reported_period"]
