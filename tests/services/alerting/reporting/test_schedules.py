"""Report schedules against a real local SMTP server (aiosmtpd) and PostgreSQL: each period's mail
arrives once, with its attachments, whatever the replicas, restarts and transient failures."""

from __future__ import annotations

import asyncio
import io
import uuid
import zoneinfo
from datetime import datetime, time, timedelta, timezone

import openpyxl
import pytest

from libs.crypto import SecretBox
from libs.errors import InvalidArgument
from reviewguard.reporting.v1 import reporting_pb2
from services.alerting.notifications import repository as receivers_repository
from services.alerting.reporting.grpc_api import ReportingServicer
from services.alerting.reporting.models import PageTokens
from services.alerting.reporting.schedules import next_send, reported_period
from services.alerting.reporting.service import ReportingService
from tests.services.alerting.receivers.test_smtp import email_config, mailbox, smtp_server  # noqa: F401 - fixtures
from tests.services.alerting.reporting.conftest import analyzed, delivery
from tests.services.alerting.reporting.pdf_text import pdf_text

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

TENANT = str(uuid.uuid4())
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
CUP = "保温杯-500ml"
CREATED = datetime(2026, 10, 28, 12, tzinfo=timezone.utc)  # a Wednesday
# NOTE: Monday 2 November 08:00 in Berlin is 07:00 UTC (summer time ended on 25 October).
FIRST_SEND = datetime(2026, 11, 2, 7, tzinfo=timezone.utc)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock(CREATED)


@pytest.fixture
def box() -> SecretBox:
    return SecretBox([SecretBox.new_key()])


def replica(pool, box, clock) -> ReportingServicer:
    """One alerting replica's Reporting service (each its own objects, the database shared)."""
    return ReportingServicer(ReportingService(pool=pool, page_tokens=PageTokens(b"k"), clock=clock), box=box)


@pytest.fixture
async def seeded(pool, box, smtp_server):  # noqa: F811 - the imported fixture
    config = {k: v for k, v in email_config(smtp_server).items() if k != "name"}
    async with pool.acquire() as conn:
        await receivers_repository.put_receiver(conn, uuid.UUID(TENANT), "mail", kind="email", sealed=box.seal(config), quiet_hours=None)
    service = ReportingService(pool=pool, page_tokens=PageTokens(b"k"))
    # NOTE: the week reported first is 26 October – 2 November; three damaged-cup complaints in it, one the week after.
    week = datetime(2026, 10, 26, 9, tzinfo=BERLIN)
    await service.handle_analyzed([
        delivery(analyzed(TENANT, posted_at=at, rating=1, product_id=CUP, aspects=["damaged"], title="盖子漏水", body="箱が潰れて"))
        for at in (week, week + timedelta(days=2), week + timedelta(days=6), week + timedelta(days=8))
    ])


def schedule(**fields) -> reporting_pb2.ReportSchedule:
    return reporting_pb2.ReportSchedule(**{
        "tenant_id": TENANT, "kind": "product", "params_json": '{"limit": 5}', "grain": "week", "formats": ["pdf", "xlsx"],
        "receiver": "mail", "recipients": ["CS Lead <cs-lead@seller.example>"], "time_zone": "Europe/Berlin", "send_time": "08:00",
        "day": 1, **fields,
    })


async def test_two_replicas_send_each_weekly_report_once_with_its_pdf_and_xlsx(pool, box, clock, seeded, mailbox):  # noqa: F811
    a, b = replica(pool, box, clock), replica(pool, box, clock)
    created = await a.CreateReportSchedule(schedule(), None)
    assert created.next_send_at.ToDatetime(tzinfo=timezone.utc) == FIRST_SEND

    clock.at = FIRST_SEND - timedelta(minutes=1)
    assert await asyncio.gather(a.schedules.tick(), b.schedules.tick()) == [0, 0] and mailbox.messages == []
    clock.at = FIRST_SEND + timedelta(seconds=30)
    sent = await asyncio.gather(a.schedules.tick(), b.schedules.tick(), a.schedules.tick())
    assert sum(sent) == 1 and len(mailbox.messages) == 1
    # NOTE: a restarted replica (new objects) finds nothing left to send for the period.
    assert await replica(pool, box, clock).schedules.tick() == 0 and len(mailbox.messages) == 1

    _, rcpt, message = mailbox.messages[0]
    assert rcpt == ["cs-lead@seller.example"] and "2026-10-26 00:00 – 2026-11-02 00:00 Europe/Berlin" in message["Subject"]
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert set(files) == {"product.pdf", "product.xlsx"}
    lines = pdf_text(files["product.pdf"]).splitlines()
    assert lines[lines.index(f"{CUP} · damaged") + 1] == "3 / 0"
    sheet = openpyxl.load_workbook(io.BytesIO(files["product.xlsx"])).active
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))][:6] == [CUP, 3, 3, 1, "damaged", 3]

    clock.at = FIRST_SEND + timedelta(days=7, minutes=1)
    assert sum(await asyncio.gather(a.schedules.tick(), b.schedules.tick())) == 1 and len(mailbox.messages) == 2
    second = {p.get_filename(): p.get_content() for p in mailbox.messages[1][2].iter_attachments()}
    lines = pdf_text(second["product.pdf"]).splitlines()
    assert lines[lines.index(f"{CUP} · damaged") + 1] == "1 / 1"


async def test_a_refused_mail_is_retried_later_and_still_sent_once(pool, box, clock, seeded, mailbox):  # noqa: F811
    a = replica(pool, box, clock)
    created = await a.CreateReportSchedule(schedule(formats=["csv"], kind="logistics", params_json=""), None)
    mailbox.data_replies.append("451 4.3.0 try again later")
    clock.at = FIRST_SEND
    assert await a.schedules.tick() == 0 and mailbox.messages == []
    assert await a.schedules.tick() == 0, "retried before its backoff"
    clock.at = FIRST_SEND + timedelta(minutes=5)
    assert await a.schedules.tick() == 1 and await a.schedules.tick() == 0
    assert [p.get_filename() for p in mailbox.messages[0][2].iter_attachments()] == ["logistics.csv"]
    listed = await a.ListReportSchedules(reporting_pb2.ListReportSchedulesRequest(tenant_id=TENANT), None)
    assert [s.id for s in listed.items] == [created.id]
    await a.DeleteReportSchedule(reporting_pb2.DeleteReportScheduleRequest(tenant_id=TENANT, id=created.id), None)
    clock.at = FIRST_SEND + timedelta(days=7, minutes=1)
    assert await a.schedules.tick() == 0 and len(mailbox.messages) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "weather"}, "kind"), ({"params_json": '{"colour": "red"}'}, "params.colour"),
        ({"kind": "logistics", "params_json": '{"group_by": "colour"}'}, "params.group_by"),
        ({"params_json": '{"limit": "ten"}'}, "params.limit"), ({"grain": "day"}, "grain"), ({"formats": ["docx"]}, "formats"),
        ({"day": 8}, "day"), ({"send_time": "25:00"}, "send_time"), ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"receiver": "nobody"}, "receiver"), ({"recipients": ["not an address"]}, "recipients"), ({"recipients": []}, "recipients"),
    ],
)
async def test_bad_schedules_are_refused_naming_the_field_and_nothing_is_stored(pool, box, clock, seeded, fields, field):
    a = replica(pool, box, clock)
    with pytest.raises(InvalidArgument) as refused:
        await a.CreateReportSchedule(schedule(**fields), None)
    assert refused.value.violations[0].field == field
    assert not (await a.ListReportSchedules(reporting_pb2.ListReportSchedulesRequest(tenant_id=TENANT), None)).items


def test_send_times_and_periods_follow_the_local_calendar_across_dst():
    # NOTE: expected instants written out from the calendar: Berlin is UTC+2 until 25 October 03:00, then UTC+1.
    monday_8 = time(8)
    assert next_send(datetime(2026, 10, 19, 6, 0, tzinfo=timezone.utc), "week", "Europe/Berlin", monday_8, 1) == datetime(2026, 10, 26, 7, tzinfo=timezone.utc)
    assert next_send(datetime(2026, 10, 19, 5, 59, tzinfo=timezone.utc), "week", "Europe/Berlin", monday_8, 1) == datetime(2026, 10, 19, 6, tzinfo=timezone.utc)
    assert next_send(datetime(2026, 10, 31, tzinfo=timezone.utc), "month", "Asia/Tokyo", time(9), 1) == datetime(2026, 11, 1, 0, tzinfo=timezone.utc)
    assert reported_period(datetime(2026, 10, 26, 7, tzinfo=timezone.utc), "week", "Europe/Berlin") == (
        datetime(2026, 10, 18, 22, tzinfo=timezone.utc), datetime(2026, 10, 25, 23, tzinfo=timezone.utc))
    assert reported_period(datetime(2026, 11, 1, 0, tzinfo=timezone.utc), "month", "Asia/Tokyo") == (
        datetime(2026, 9, 30, 15, tzinfo=timezone.utc), datetime(2026, 10, 31, 15, tzinfo=timezone.utc))
