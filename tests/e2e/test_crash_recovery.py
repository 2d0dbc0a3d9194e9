"""Nothing accepted is lost or doubled when a service dies mid-way; poison goes to the DLQ."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import nats

from libs import topology
from reviewguard.events.v1 import events_pb2
from services.launcher import LocalSystem
from tests.e2e.workload import BATCHES, PER_BATCH, batch, counts, duplicates
from tests.helpers import eventually


async def test_killing_nlp_mid_flight_loses_and_doubles_nothing(system: LocalSystem, api_keys, base_url) -> None:
    headers = {"Authorization": f"Bearer {api_keys['acme']}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as api:
        for n in range(BATCHES):
            response = await api.post("/v1/reviews", json={"reviews": batch(n)})
            assert response.status_code == 202
            if n == 2:
                system.kill_service("nlp")  # SIGKILL while it works through the first batches
    total = BATCHES * PER_BATCH
    assert (await counts(system.dsn))["reviews"] == total
    await asyncio.sleep(1.0)
    system.start_service("nlp")

    async def settled():
        c = await counts(system.dsn)
        # NOTE: every 1–2★ review alerts; others may too (risk terms, a high negative score).
        return c if c["analyses"] == total and c["alerts"] >= c["low_rated"] and c["cases"] == c["alerts"] else None

    final = await eventually(settled, timeout=120, interval=0.5)
    assert final["reanalysed"] == 0, "a review was analysed twice"
    assert await duplicates(system.dsn) == {"alerts": 0, "cases": 0}


async def test_undecodable_event_is_dead_lettered_and_the_rest_flow_on(system: LocalSystem, api_keys, base_url) -> None:
    nc = await nats.connect(system.nats_url)
    js = nc.jetstream()
    await js.publish(topology.REVIEW_INGESTED, b"\x08\x96\x01 garbage", headers={"Nats-Msg-Id": f"junk-{uuid.uuid4()}"})
    headers = {"Authorization": f"Bearer {api_keys['acme']}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as api:
        review = batch(99)[0]
        review_id = (await api.post("/v1/reviews", json={"reviews": [review]})).json()["ids"][0]

        async def analysed():
            return (await api.get(f"/v1/reviews/{review_id}")).json()["analysis"]

        await eventually(analysed, timeout=30)

    async def letter():
        try:
            msg = await js.get_msg(topology.DEAD_LETTERS.name, subject=topology.dead_letter_subject("nlp"), next=False)
        except nats.js.errors.NotFoundError:
            return None
        return events_pb2.DeadLetter.FromString(msg.data)

    dead = await eventually(letter, timeout=30)
    assert dead.subject == topology.REVIEW_INGESTED and dead.reason.startswith("undecodable")
    await nc.close()
