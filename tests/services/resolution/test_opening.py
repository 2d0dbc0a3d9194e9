"""A fetched batch of fired alerts becomes cases in one go: every case once, the new ones assigned by load
as if one by one, the trail in order, nothing new on redelivery; a history alert opens no case."""

from __future__ import annotations

import json
import uuid
from collections import Counter

from reviewguard.resolution.v1 import case_pb2, resolution_pb2
from services.resolution.service import ResolutionService
from services.resolution.sla import SlaPolicy
from tests.services.resolution.conftest import fired_alert, subjects


async def test_a_batch_of_alerts_opens_assigns_and_announces_each_case_once(workflow, bus) -> None:
    acme, globex = str(uuid.uuid4()), str(uuid.uuid4())
    team = await workflow.put_team(resolution_pb2.Team(tenant_id=acme, name="DACH", markets=["DE"], timezone="Europe/Berlin",
                                                       work_start="00:00", work_end="23:59", work_days=[0, 1, 2, 3, 4, 5, 6]))
    for name in ("jonas", "mia", "lena"):
        await workflow.put_agent(resolution_pb2.Agent(tenant_id=acme, team_id=team.id, name=name, languages=["de"], capacity=30))
    batch = [fired_alert(acme if i % 3 else globex, summary=f"1★ review #{i}") for i in range(64)]
    await workflow.handle_fired(batch + batch[:3])  # three redelivered inside the same fetch
    await workflow.handle_fired(batch[:40])  # redelivery of part of the batch

    acme_cases, _ = await workflow.list(acme, review_id="", status=0, page_size=500, page_token="")
    globex_cases, _ = await workflow.list(globex, review_id="", status=0, page_size=500, page_token="")
    assert (len(acme_cases), len(globex_cases)) == (42, 22)
    assert {c.alert_id for c in acme_cases + globex_cases} == {d.message.alert.id for d in batch}
    # NOTE: 42 cases over three agents of equal capacity: the load is spread as evenly as one by one.
    assert sorted(Counter(c.owner for c in acme_cases).values()) == [14, 14, 14]
    assert all(c.status == case_pb2.CASE_STATUS_ASSIGNED for c in acme_cases)
    assert all(c.status == case_pb2.CASE_STATUS_NEW and not c.owner for c in globex_cases)  # globex has no team
    for case in acme_cases:
        assert [e.kind for e in await workflow.list_events(acme, case.id)] == ["opened", "assigned"]
    announced = await subjects(bus)
    assert announced.count("cases.opened") == 64 and announced.count("cases.updated") == 42
    assert await workflow.publish_pending() == 0


async def test_an_alert_about_history_or_a_case_sla_opens_no_case(workflow) -> None:
    tenant = str(uuid.uuid4())
    history = fired_alert(tenant)
    history.message.alert.labels["history"] = "true"
    sla = fired_alert(tenant)
    sla.message.alert.rule = "case_sla"
    live = fired_alert(tenant)
    await workflow.handle_fired([history, sla, live])
    cases, _ = await workflow.list(tenant, review_id="", status=0, page_size=10, page_token="")
    assert [c.alert_id for c in cases] == [live.message.alert.id]


async def test_case_links_use_the_configured_public_address(pool, bus, clock, toolkit) -> None:
    service = ResolutionService(pool=pool, sla=SlaPolicy(), bus=bus, clock=clock, toolkit=toolkit,
                                public_base_url="https://reviews.kettle.example/")
    tenant = str(uuid.uuid4())
    await service.handle_fired([fired_alert(tenant)])
    (case,), _ = await service.list(tenant, review_id="", status=0, page_size=5, page_token="")
    (opened,) = await service.list_events(tenant, case.id)
    assert json.loads(opened.detail_json)["url"] == f"https://reviews.kettle.example/v1/cases/{case.id}"
