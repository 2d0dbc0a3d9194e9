"""Fired alerts as the consumer fetches them: a bad message in a batch goes to the dead-letter queue
while the rest of the batch becomes cases; the load new cases are shared by follows every case an
agent closes, batch after batch."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from libs import topology
from libs.bus import Bus
from reviewguard.events.v1 import events_pb2
from reviewguard.resolution.v1 import case_pb2, resolution_pb2
from services.resolution.service import ResolutionService
from tests.helpers import eventually
from tests.services.resolution.conftest import fired_alert, subjects


async def team_of_two(workflow: ResolutionService, tenant: str) -> None:
    team = await workflow.put_team(resolution_pb2.Team(tenant_id=tenant, name="DACH", markets=["DE"], timezone="Europe/Berlin",
                                                       work_start="00:00", work_end="23:59", work_days=[0, 1, 2, 3, 4, 5, 6]))
    for name in ("jonas", "mia"):
        await workflow.put_agent(resolution_pb2.Agent(tenant_id=tenant, team_id=team.id, name=name, languages=["de"], capacity=10))


async def dead_letter(bus: Bus, consumer: str) -> events_pb2.DeadLetter | None:
    info = await bus.jetstream.stream_info(topology.DEAD_LETTERS.name)
    for seq in range(info.state.first_seq, info.state.last_seq + 1) if info.state.messages else ():
        msg = await bus.jetstream.get_msg(topology.DEAD_LETTERS.name, seq)
        if msg.subject == topology.dead_letter_subject(consumer):
            return events_pb2.DeadLetter.FromString(msg.data)
    return None


async def test_one_bad_alert_goes_to_the_dead_letter_queue_and_the_rest_of_its_batch_opens_cases(workflow, bus: Bus) -> None:
    tenant = str(uuid.uuid4())
    await team_of_two(workflow, tenant)
    good = [fired_alert(tenant, summary=f"1★ review #{i}") for i in range(12)]
    bad = fired_alert(tenant)
    bad.message.alert.review_id = "not-a-review-id"
    for delivery in good[:6] + [bad] + good[6:]:
        await bus.publish(topology.ALERT_FIRED, delivery.message, msg_id=f"alert:{delivery.message.alert.id}")
    stop = asyncio.Event()
    tasks = bus.start_consumer(
        stream=topology.ALERTS.name, durable="resolution-batch-test", subject=topology.ALERT_FIRED,
        message_type=events_pb2.AlertFired, handler=workflow.handle_fired, stop=stop,
    )
    try:
        async def opened():
            cases, _ = await workflow.list(tenant, review_id="", status=0, page_size=100, page_token="")
            return cases if len(cases) == len(good) else None

        cases = await eventually(opened, timeout=30)
        letter = await eventually(lambda: dead_letter(bus, "resolution-batch-test"), timeout=30)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    assert sorted(c.alert_id for c in cases) == sorted(d.message.alert.id for d in good)
    assert letter.reason.startswith("poison:") and "alert.review_id" in letter.reason
    assert sorted(Counter(c.owner for c in cases).values()) == [6, 6]
    assert (await subjects(bus)).count("cases.opened") == len(good)


async def test_the_load_new_cases_are_shared_by_follows_the_cases_an_agent_closes(workflow) -> None:
    tenant = str(uuid.uuid4())
    await team_of_two(workflow, tenant)
    await workflow.handle_fired([fired_alert(tenant) for _ in range(6)])
    cases, _ = await workflow.list(tenant, review_id="", status=0, page_size=100, page_token="")
    assert sorted(Counter(c.owner for c in cases).values()) == [3, 3]
    for case in cases:
        if case.owner == "jonas":
            await workflow.transition(tenant, case.id, to_status=case_pb2.CASE_STATUS_RESOLVED,
                                      reason=case_pb2.RESOLUTION_REASON_NO_RESPONSE, actor="lena", note="")

    later = [fired_alert(tenant) for _ in range(3)]
    await workflow.handle_fired(later + later[:1])  # one redelivered inside the fetch: still one case
    owners = Counter()
    for delivery in later:
        (case,), _ = await workflow.list(tenant, review_id=delivery.message.alert.review_id, status=0, page_size=5, page_token="")
        owners[case.owner] += 1
    # NOTE: jonas closed his three, mia still holds hers: the next three all go to jonas.
    assert owners == {"jonas": 3}
    assert {a.name: a.open_cases for a in await workflow.list_agents(tenant)} == {"jonas": 3, "mia": 3}
