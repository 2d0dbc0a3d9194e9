"""SLA as tenant policy on business calendars, warnings and breaches on the bus, and the KPIs."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from libs import topology
from libs.bus import Delivery
from libs.errors import InvalidArgument
from libs.telemetry import extract_context
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import review_pb2
from reviewguard.resolution.v1 import case_pb2
from tests.services.resolution.conftest import MONDAY_9_UTC, open_case, subjects

TENANT = str(uuid.uuid4())
BERLIN = timezone(timedelta(hours=1))


def utc(ts) -> datetime:
    return ts.ToDatetime(tzinfo=timezone.utc)


async def test_business_clock_skips_nights_weekends_and_the_markets_holidays(workflow) -> None:
    version, policy = await workflow.put_policy(TENANT, json.dumps({"sla_clock": "business", "sla_warning_minutes": 30}))
    assert version == 1 and policy["sla_high_hours"] == 6.0 and policy["sla_clock"] == "business"
    # Friday 16:00 in Berlin: 2 h on Friday, 4 h on Monday.
    friday = datetime(2026, 11, 27, 16, 0, tzinfo=BERLIN)
    case = await open_case(workflow, TENANT, fired_at=friday)
    assert utc(case.due_at) == datetime(2026, 11, 30, 13, 0, tzinfo=BERLIN)
    # 24 working hours: Fri 2 + Mon 9 + Tue 9 + Wed 4.
    assert utc(case.first_response_due_at) == datetime(2026, 12, 2, 13, 0, tzinfo=BERLIN)
    # Thursday 24 December 15:00 (Christmas Eve is a working day): 3 h, then 25–26 December are public
    # holidays and 27 a Sunday, so the other 9 h of a normal case fall on Monday 28.
    christmas = await open_case(workflow, TENANT, severity=alert_pb2.SEVERITY_NORMAL, fired_at=datetime(2026, 12, 24, 15, 0, tzinfo=BERLIN))
    assert utc(christmas.due_at) == datetime(2026, 12, 28, 18, 0, tzinfo=BERLIN)
    # Japan's calendar for a JP case: Monday 23 November 2026 is Labour Thanksgiving Day there.
    japan = await open_case(workflow, TENANT, marketplace="JP", fired_at=datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc))
    assert utc(japan.due_at) == datetime(2026, 11, 24, 15, 0, tzinfo=timezone(timedelta(hours=9)))
    # Another tenant keeps the default wall clock.
    other = await open_case(workflow, str(uuid.uuid4()), fired_at=friday)
    assert utc(other.due_at) == friday + timedelta(hours=6)


async def test_policy_is_validated_field_by_field(workflow) -> None:
    with pytest.raises(InvalidArgument) as bad:
        await workflow.put_policy(TENANT, json.dumps({"sla_high_hours": -1, "sla_clock": "lunar", "bogus": 1}))
    assert {v.field for v in bad.value.violations} == {"sla_high_hours", "sla_clock", "bogus"}
    assert (await workflow.get_policy(TENANT))[0] == 0


async def test_warnings_then_breaches_are_published_once_each(workflow, bus, clock) -> None:
    case = await open_case(workflow, TENANT)  # high, opened Monday 09:00 UTC: due 15:00, first response due Tuesday 09:00
    assert await workflow.run_sla_checks(now=MONDAY_9_UTC + timedelta(hours=4, minutes=59)) == 0
    assert await workflow.run_sla_checks(now=MONDAY_9_UTC + timedelta(hours=5)) == 1
    assert await workflow.run_sla_checks(now=MONDAY_9_UTC + timedelta(hours=5, minutes=30)) == 0
    assert await workflow.run_sla_checks(now=MONDAY_9_UTC + timedelta(hours=6)) == 1
    assert await workflow.run_sla_checks(now=MONDAY_9_UTC + timedelta(hours=23)) == 1  # first-response warning
    clock.now = MONDAY_9_UTC + timedelta(hours=23, minutes=30)
    await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_ASSIGNED, reason=0, actor="", note="")
    await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_CONTACTED, reason=0, actor="", note="")
    # Answered in time: no first-response breach; the resolution breach was announced already.
    assert await workflow.run_sla_checks(now=MONDAY_9_UTC + timedelta(hours=30)) == 0
    sla = [s for s in await subjects(bus) if s.startswith("cases.sla")]
    assert sla == ["cases.sla_warning", "cases.sla_breached", "cases.sla_warning"]
    info = await bus.jetstream.stream_info(topology.CASES.name)
    notices = []
    for seq in range(1, info.state.last_seq + 1):
        msg = await bus.jetstream.get_msg(topology.CASES.name, seq)
        if msg.subject.startswith("cases.sla"):
            notices.append(events_pb2.CaseSlaNotice.FromString(msg.data))
    assert [(n.sla, n.stage) for n in notices] == [("resolution", "warning"), ("resolution", "breached"), ("first_response", "warning")]
    assert notices[1].case.id == case.id and notices[1].noticed_at_unix_ms == int((MONDAY_9_UTC + timedelta(hours=6)).timestamp() * 1000)
    kinds = [e.kind for e in await workflow.list_events(TENANT, case.id)]
    assert kinds.count("sla_warning") == 2 and kinds.count("sla_breached") == 1


def review_updated(tenant: str, review_id: str, old: int, new: int, at: datetime) -> Delivery:
    event = events_pb2.ReviewUpdated(review=review_pb2.Review(id=review_id, tenant_id=tenant), old_rating=old, new_rating=new, changed_fields=["rating"])
    event.changed_at.FromDatetime(at)
    return Delivery(message=event, subject="reviews.updated", headers={}, context=extract_context({}), deliveries=1, stream_sequence=0, raw=None)


async def test_kpis_response_rate_median_resolution_and_rating_recovery(workflow, clock) -> None:
    cases = [await open_case(workflow, TENANT, fired_at=MONDAY_9_UTC + timedelta(minutes=i)) for i in range(20)]
    # 19 answered after 1 h, 2 h, … 19 h; the last one after 30 h.
    for i, case in enumerate(cases):
        clock.now = MONDAY_9_UTC + timedelta(minutes=i) + timedelta(hours=i + 1 if i < 19 else 30)
        await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_ASSIGNED, reason=0, actor="", note="")
        await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_CONTACTED, reason=0, actor="", note="")
    for case in cases[:10]:
        await workflow.transition(TENANT, case.id, to_status=case_pb2.CASE_STATUS_RESOLVED,
                                  reason=case_pb2.RESOLUTION_REASON_REVIEW_UPDATED, actor="", note="")
    changed = MONDAY_9_UTC + timedelta(days=2)
    # Ratings rose on four handled reviews: two reported by ingest's events (one twice), two by the RPC.
    await workflow.handle_review_updated([review_updated(TENANT, cases[0].review_id, 1, 4, changed)] * 2)
    await workflow.handle_review_updated([review_updated(TENANT, cases[1].review_id, 2, 5, changed)])
    assert await workflow.record_rating_change(TENANT, cases[2].review_id, old_rating=1, new_rating=3, changed_at=changed)
    assert await workflow.record_rating_change(TENANT, cases[3].review_id, old_rating=1, new_rating=5, changed_at=changed)
    assert not await workflow.record_rating_change(TENANT, cases[3].review_id, old_rating=1, new_rating=5, changed_at=changed)
    # A drop and a change before the case opened do not count.
    await workflow.record_rating_change(TENANT, cases[4].review_id, old_rating=2, new_rating=1, changed_at=changed)
    await workflow.record_rating_change(TENANT, cases[5].review_id, old_rating=1, new_rating=5, changed_at=MONDAY_9_UTC - timedelta(days=1))
    report = await workflow.kpis(TENANT, since=MONDAY_9_UTC - timedelta(days=1), until=MONDAY_9_UTC + timedelta(days=1))
    assert (report.cases, report.response_eligible, report.responded_within_24h) == (20, 20, 19)
    assert report.response_rate_24h == pytest.approx(0.95) and report.response_rate_met and report.response_rate_target == 0.95
    assert report.median_first_response_seconds == pytest.approx(10.5 * 3600)
    assert (report.resolved, report.resolution_rate) == (10, 0.5)
    assert (report.reviews_handled, report.ratings_recovered, report.rating_recovery_rate) == (20, 4, 0.2)
    events = await workflow.list_events(TENANT, cases[0].id)
    assert [json.loads(e.detail_json) for e in events if e.kind == "rating_changed"] == [{"old_rating": 1, "new_rating": 4}]


async def test_a_case_still_inside_its_first_day_does_not_lower_the_rate(workflow, clock) -> None:
    answered = await open_case(workflow, TENANT)
    await open_case(workflow, TENANT, fired_at=MONDAY_9_UTC + timedelta(hours=1))
    clock.now = MONDAY_9_UTC + timedelta(hours=3)
    await workflow.transition(TENANT, answered.id, to_status=case_pb2.CASE_STATUS_ASSIGNED, reason=0, actor="", note="")
    await workflow.transition(TENANT, answered.id, to_status=case_pb2.CASE_STATUS_CONTACTED, reason=0, actor="", note="")
    report = await workflow.kpis(TENANT, since=None, until=None)
    assert (report.cases, report.response_eligible, report.response_rate_24h) == (2, 1, 1.0)
    clock.now = MONDAY_9_UTC + timedelta(hours=26)
    report = await workflow.kpis(TENANT, since=MONDAY_9_UTC - timedelta(hours=1), until=clock.now)
    assert (report.response_eligible, report.response_rate_24h, report.response_rate_met) == (2, 0.5, False)
