"""Cases follow the state machine with a full audit trail, published as cases.* events; assignment by
market, language and skill, balanced by load, within working hours, reassigned when the owner is away."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest

from libs.errors import InvalidArgument
from reviewguard.resolution.v1 import case_pb2, resolution_pb2
from services.resolution.cases.service import TransitionNotAllowed
from tests.services.resolution.conftest import open_case, subjects

S = case_pb2
TENANT = str(uuid.uuid4())


async def move(workflow, case_id: str, status: int, reason: int = 0, note: str = ""):
    return await workflow.transition(TENANT, case_id, to_status=status, reason=reason, actor="lena@kettle.example", note=note)


async def test_main_path_to_resolution_with_audit_trail_and_events(workflow, bus) -> None:
    case = await open_case(workflow, TENANT)
    assert case.status == S.CASE_STATUS_NEW and case.platform == "amazon" and case.language == "de"
    for status in (S.CASE_STATUS_ASSIGNED, S.CASE_STATUS_CONTACTED, S.CASE_STATUS_AWAITING_CUSTOMER, S.CASE_STATUS_COMPENSATION_OFFERED):
        case = await move(workflow, case.id, status)
    resolved = await move(workflow, case.id, S.CASE_STATUS_RESOLVED, S.RESOLUTION_REASON_CUSTOMER_SATISFIED, note="Ersatz angekommen, Kundin zufrieden")
    assert resolved.status == S.CASE_STATUS_RESOLVED
    assert resolved.resolution_reason == S.RESOLUTION_REASON_CUSTOMER_SATISFIED
    assert resolved.HasField("resolved_at") and resolved.HasField("first_response_at")

    events = await workflow.list_events(TENANT, case.id)
    assert [e.kind for e in events] == ["opened"] + ["transition"] * 5
    assert [(e.from_status, e.to_status) for e in events[1:]] == [
        (S.CASE_STATUS_NEW, S.CASE_STATUS_ASSIGNED),
        (S.CASE_STATUS_ASSIGNED, S.CASE_STATUS_CONTACTED),
        (S.CASE_STATUS_CONTACTED, S.CASE_STATUS_AWAITING_CUSTOMER),
        (S.CASE_STATUS_AWAITING_CUSTOMER, S.CASE_STATUS_COMPENSATION_OFFERED),
        (S.CASE_STATUS_COMPENSATION_OFFERED, S.CASE_STATUS_RESOLVED),
    ]
    assert json.loads(events[-1].detail_json) == {"note": "Ersatz angekommen, Kundin zufrieden", "reason": "customer_satisfied"}
    assert events[-1].actor == "lena@kettle.example"
    # NOTE: one cases.opened, then one cases.updated per transition, each published once.
    assert await subjects(bus) == ["cases.opened"] + ["cases.updated"] * 5
    assert await workflow.publish_pending() == 0


async def test_forbidden_moves_are_refused_and_change_nothing(workflow) -> None:
    case = await open_case(workflow, TENANT)
    with pytest.raises(TransitionNotAllowed) as refused:
        await move(workflow, case.id, S.CASE_STATUS_COMPENSATION_OFFERED)
    assert "new to compensation_offered" in refused.value.message and "assigned" in refused.value.message
    await move(workflow, case.id, S.CASE_STATUS_ASSIGNED)
    with pytest.raises(InvalidArgument, match="needs a reason"):
        await move(workflow, case.id, S.CASE_STATUS_RESOLVED)
    with pytest.raises(InvalidArgument, match="only given when resolving"):
        await move(workflow, case.id, S.CASE_STATUS_CONTACTED, S.RESOLUTION_REASON_NO_RESPONSE)
    await move(workflow, case.id, S.CASE_STATUS_RESOLVED, S.RESOLUTION_REASON_NO_RESPONSE)
    with pytest.raises(TransitionNotAllowed, match="none \\(final\\)"):
        await move(workflow, case.id, S.CASE_STATUS_CONTACTED)
    assert (await workflow.get(TENANT, case.id)).status == S.CASE_STATUS_RESOLVED
    assert len(await workflow.list_events(TENANT, case.id)) == 3


async def test_appeal_rejected_goes_back_to_the_buyer_and_escalation_is_always_open(workflow) -> None:
    case = await open_case(workflow, TENANT)
    for status in (S.CASE_STATUS_ASSIGNED, S.CASE_STATUS_APPEALED, S.CASE_STATUS_APPEAL_REJECTED, S.CASE_STATUS_CONTACTED, S.CASE_STATUS_ESCALATED):
        case = await move(workflow, case.id, status)
    assert case.status == S.CASE_STATUS_ESCALATED
    other = await open_case(workflow, TENANT)
    for status in (S.CASE_STATUS_ASSIGNED, S.CASE_STATUS_APPEALED, S.CASE_STATUS_APPEAL_ACCEPTED):
        other = await move(workflow, other.id, status)
    assert other.HasField("resolved_at")
    with pytest.raises(TransitionNotAllowed):
        await move(workflow, other.id, S.CASE_STATUS_ESCALATED)


async def teams_and_agents(workflow) -> dict[str, str]:
    """A Berlin team for DACH, a New York team that covers DE in the European evening, a Tokyo team."""
    dach = await workflow.put_team(resolution_pb2.Team(tenant_id=TENANT, name="DACH", markets=["DE", "AT"], timezone="Europe/Berlin"))
    evening = await workflow.put_team(
        resolution_pb2.Team(tenant_id=TENANT, name="Americas", markets=["US", "DE"], timezone="America/New_York", work_start="09:00", work_end="17:00")
    )
    japan = await workflow.put_team(resolution_pb2.Team(tenant_id=TENANT, name="Japan", markets=["JP"], timezone="Asia/Tokyo"))
    ids = {}
    for name, team, languages, skills in (
        ("jonas", dach.id, ["de", "en"], ["damaged", "quality"]),
        ("mia", dach.id, ["de"], ["delay"]),
        ("ben", dach.id, ["en"], []),
        ("sam", evening.id, ["en", "de"], []),
        ("yuki", japan.id, ["ja", "en"], []),
    ):
        agent = await workflow.put_agent(resolution_pb2.Agent(tenant_id=TENANT, team_id=team, name=name, languages=languages, skills=skills, capacity=10))
        ids[name] = agent.id
    return ids


async def test_assignment_by_market_language_skill_and_load(workflow, clock) -> None:
    agents = await teams_and_agents(workflow)
    damaged = await open_case(workflow, TENANT)
    await workflow.update_case(TENANT, damaged.id, language="", issue_type="damaged", customer_id="", order_id="", platform="", actor="")
    assert (await workflow.assign(TENANT, damaged.id)).owner == "jonas"

    # Cases without an issue type: German speakers of DACH share them by load.
    owners = [(await open_case(workflow, TENANT)).owner for _ in range(4)]
    assert set(owners) == {"jonas", "mia"}
    listed = {a.name: a.open_cases for a in await workflow.list_agents(TENANT)}
    assert listed["ben"] == 0, "an English-only agent gets no German case while German speakers are free"
    assert abs(listed["jonas"] - listed["mia"]) <= 1

    japanese = await open_case(workflow, TENANT, marketplace="JP", fired_at=datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc))
    assert japanese.owner == "yuki" and japanese.language == "ja" and japanese.status == S.CASE_STATUS_ASSIGNED
    events = await workflow.list_events(TENANT, japanese.id)
    assert events[-1].kind == "assigned" and json.loads(events[-1].detail_json)["team"] == "Japan"


async def test_outside_working_hours_the_team_at_work_takes_it_and_holidays_count(workflow, clock) -> None:
    await teams_and_agents(workflow)
    # 20:00 in Berlin is 14:00 in New York: the Americas team is at work.
    clock.now = datetime(2026, 11, 23, 19, 0, tzinfo=timezone.utc)
    evening = await open_case(workflow, TENANT, fired_at=clock.now)
    assert evening.owner == "sam"
    assert json.loads((await workflow.list_events(TENANT, evening.id))[-1].detail_json)["on_shift"] is True
    # Saturday 03:00 Berlin: nobody works; the team that opens first (DACH, Monday 09:00 Berlin) owns it.
    clock.now = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)
    weekend = await open_case(workflow, TENANT, fired_at=clock.now)
    assert weekend.owner in {"jonas", "mia"}
    detail = json.loads((await workflow.list_events(TENANT, weekend.id))[-1].detail_json)
    assert detail["on_shift"] is False and detail["team"] == "DACH"
    # Easter Monday 16:00 in Berlin is a German holiday, a working day in New York (10:00).
    clock.now = datetime(2026, 4, 6, 14, 0, tzinfo=timezone.utc)
    easter = await open_case(workflow, TENANT, fired_at=clock.now)
    assert easter.owner == "sam"


async def test_an_away_owner_loses_open_cases_to_a_colleague(workflow, clock) -> None:
    agents = await teams_and_agents(workflow)
    first = await open_case(workflow, TENANT)
    owner = first.owner
    second_owner = "mia" if owner == "jonas" else "jonas"
    done = await open_case(workflow, TENANT)
    await move(workflow, done.id, S.CASE_STATUS_RESOLVED, S.RESOLUTION_REASON_NO_RESPONSE)
    await workflow.set_away(TENANT, agents[owner], away=True)
    moved = await workflow.get(TENANT, first.id)
    assert moved.owner == second_owner
    events = await workflow.list_events(TENANT, first.id)
    assert events[-1].kind == "reassigned"
    assert json.loads(events[-1].detail_json)["previous_owner"] == owner
    assert (await workflow.get(TENANT, done.id)).owner == done.owner, "a resolved case keeps its owner"
    back = await workflow.set_away(TENANT, agents[owner], away=False)
    assert back.away is False and back.open_cases == 0
    # Cases opened before any team existed are picked up by the scheduled round.
    other_tenant = str(uuid.uuid4())
    waiting = await open_case(workflow, other_tenant)
    assert waiting.status == S.CASE_STATUS_NEW
    team = await workflow.put_team(resolution_pb2.Team(tenant_id=other_tenant, name="DE", markets=["DE"], timezone="Europe/Berlin"))
    await workflow.put_agent(resolution_pb2.Agent(tenant_id=other_tenant, team_id=team.id, name="ola", languages=["de"]))
    await workflow.tick(now=clock.now)
    assert (await workflow.get(other_tenant, waiting.id)).owner == "ola"


async def test_team_and_agent_input_is_validated(workflow) -> None:
    with pytest.raises(InvalidArgument) as bad:
        await workflow.put_team(resolution_pb2.Team(tenant_id=TENANT, name="X", markets=["ZZ"], timezone="Mars/Base", work_start="18:00", work_end="09:00"))
    assert {v.field for v in bad.value.violations} == {"markets[0]", "timezone", "work_end"}
