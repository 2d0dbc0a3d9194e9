"""The JetStream bus against a real NATS server: de-duplication, redelivery, dead letters, traces."""

from __future__ import annotations

import asyncio
import contextlib

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from libs import topology
from libs.bus import Bus, Delivery, LiveLane, PoisonMessage, _ConnectionLog
from libs.errors import require_uuid
from libs.telemetry import inject_headers
from reviewguard.events.v1 import events_pb2
from tests.helpers import eventually, make_review


@contextlib.asynccontextmanager
async def consuming(bus: Bus, durable: str, handler, **options):
    """Runs a consumer (and its dead-letter forwarder) for the duration of the block."""
    stop = asyncio.Event()
    tasks = bus.start_consumer(
        stream="REVIEWS", durable=durable, subject=topology.REVIEW_INGESTED,
        message_type=events_pb2.ReviewIngested, handler=handler, stop=stop, **options,
    )
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)


def ingested(external_id: str) -> events_pb2.ReviewIngested:
    review = make_review(external_id=external_id)
    review.id = f"id-{external_id}"
    return events_pb2.ReviewIngested(review=review)


async def dead_letters(bus: Bus, consumer: str) -> list[events_pb2.DeadLetter]:
    js = bus.jetstream
    info = await js.stream_info(topology.DEAD_LETTERS.name)
    letters = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        if info.state.messages == 0:
            break
        msg = await js.get_msg(topology.DEAD_LETTERS.name, seq)
        if msg.subject == topology.dead_letter_subject(consumer):
            letters.append(events_pb2.DeadLetter.FromString(msg.data))
    return letters


async def test_same_message_id_is_published_once(bus: Bus) -> None:
    event = ingested("a")
    assert await bus.publish(topology.REVIEW_INGESTED, event, msg_id="review:a:v1") is True
    assert await bus.publish(topology.REVIEW_INGESTED, event, msg_id="review:a:v1") is False
    info = await bus.jetstream.stream_info(topology.REVIEWS.name)
    assert info.state.messages == 1


async def test_ensure_streams_is_idempotent(bus: Bus) -> None:
    await bus.ensure_streams()
    await bus.ensure_streams()
    names = {s.config.name for s in await bus.jetstream.streams_info()}
    assert {s.name for s in topology.ALL_STREAMS} <= names


async def test_consumer_gets_every_message_and_resumes_after_restart(bus: Bus) -> None:
    seen: list[str] = []

    async def handler(batch: list[Delivery[events_pb2.ReviewIngested]]) -> None:
        seen.extend(d.message.review.external_id for d in batch)

    for i in range(5):
        await bus.publish(topology.REVIEW_INGESTED, ingested(f"r{i}"), msg_id=f"r{i}")
    async with consuming(bus, "t", handler):
        await eventually(lambda: asyncio.sleep(0, len(seen) == 5))
    # Published while nobody consumes: the durable consumer picks up where it stopped.
    for i in range(5, 8):
        await bus.publish(topology.REVIEW_INGESTED, ingested(f"r{i}"), msg_id=f"r{i}")
    async with consuming(bus, "t", handler):
        await eventually(lambda: asyncio.sleep(0, len(seen) == 8))
    assert seen == [f"r{i}" for i in range(8)]


async def test_failing_message_is_retried_then_dead_lettered_without_blocking_others(bus: Bus) -> None:
    handled: list[str] = []
    attempts: dict[str, int] = {}

    async def handler(batch: list[Delivery[events_pb2.ReviewIngested]]) -> None:
        for d in batch:
            key = d.message.review.external_id
            attempts[key] = attempts.get(key, 0) + 1
            if key == "bad":
                raise RuntimeError("downstream keeps failing for this one")
        handled.extend(d.message.review.external_id for d in batch)

    await bus.publish(topology.REVIEW_INGESTED, ingested("good1"), msg_id="good1")
    await bus.publish(topology.REVIEW_INGESTED, ingested("bad"), msg_id="bad")
    await bus.publish(topology.REVIEW_INGESTED, ingested("good2"), msg_id="good2")
    async with consuming(bus, "flaky", handler, max_deliver=3, ack_wait_seconds=5):
        letters = await eventually(lambda: dead_letters(bus, "flaky"), timeout=30)

    assert set(handled) == {"good1", "good2"}
    assert "bad" not in handled
    assert len(letters) == 1
    letter = letters[0]
    assert letter.reason == "max_deliveries"
    assert letter.deliveries == 3
    assert events_pb2.ReviewIngested.FromString(letter.data).review.external_id == "bad"
    assert letter.subject == topology.REVIEW_INGESTED


async def test_undecodable_and_poison_messages_go_to_the_dead_letter_stream_at_once(bus: Bus) -> None:
    handled: list[str] = []

    async def handler(batch: list[Delivery[events_pb2.ReviewIngested]]) -> None:
        for d in batch:
            if d.message.review.external_id == "poison":
                raise PoisonMessage("tenant does not exist")
        handled.extend(d.message.review.external_id for d in batch)

    await bus.jetstream.publish(topology.REVIEW_INGESTED, b"\xff\xff not a protobuf", headers={"Nats-Msg-Id": "junk"})
    await bus.publish(topology.REVIEW_INGESTED, ingested("poison"), msg_id="poison")
    await bus.publish(topology.REVIEW_INGESTED, ingested("fine"), msg_id="fine")
    async with consuming(bus, "strict", handler):
        letters = await eventually(lambda: _two(bus))
    assert handled == ["fine"]
    reasons = sorted(letter.reason.split(":")[0] for letter in letters)
    assert reasons == ["poison", "undecodable"]
    assert all(letter.deliveries == 1 for letter in letters)


async def _two(bus: Bus):
    letters = await dead_letters(bus, "strict")
    return letters if len(letters) == 2 else None


async def test_trace_context_travels_in_message_headers(bus: Bus) -> None:
    provider = TracerProvider()
    tracer = provider.get_tracer("test")
    received: list[Delivery] = []

    async def handler(batch):
        received.extend(batch)

    with tracer.start_as_current_span("gateway-request") as span:
        trace_id = span.get_span_context().trace_id
        await bus.publish(topology.REVIEW_INGESTED, ingested("t"), msg_id="t", headers=inject_headers())
    async with consuming(bus, "traced", handler):
        await eventually(lambda: asyncio.sleep(0, bool(received)))
    with tracer.start_as_current_span("consumer", context=received[0].context) as child:
        assert child.get_span_context().trace_id == trace_id
    assert trace.get_current_span().get_span_context().trace_id != trace_id


async def test_a_message_that_fails_validation_goes_to_the_dead_letter_stream_without_retries(bus: Bus) -> None:
    async def handler(batch: list[Delivery[events_pb2.ReviewIngested]]) -> None:
        for d in batch:
            require_uuid(d.message.review.tenant_id, field="tenant_id")

    event = ingested("bad-tenant")
    event.review.tenant_id = "not-a-uuid"
    await bus.publish(topology.REVIEW_INGESTED, event, msg_id="bad-tenant")
    async with consuming(bus, "validating", handler):
        [letter] = await eventually(lambda: _letters(bus, "validating"))  # noqa: PLW0108
    assert letter.reason.startswith("poison:") and "tenant_id" in letter.reason
    assert letter.deliveries == 1


async def _letters(bus: Bus, consumer: str):
    return await dead_letters(bus, consumer) or None


async def test_history_is_served_only_while_the_live_lane_is_idle(bus: Bus) -> None:
    """A tenant's 600-review import must not queue in front of another tenant's fresh review."""
    served: list[str] = []
    live_published_at: list[int] = []

    async def handler(batch: list[Delivery[events_pb2.ReviewIngested]]) -> None:
        served.extend(d.message.review.external_id for d in batch)
        await asyncio.sleep(0.05)  # NOTE: a history batch takes real work; live must not wait for the rest

    for i in range(600):
        await bus.publish(topology.REVIEW_INGESTED_HISTORY, ingested(f"import-{i}"), msg_id=f"import-{i}")
    lane = LiveLane()
    stop = asyncio.Event()
    tasks = bus.start_consumer(
        stream="REVIEWS", durable="lanes", subject=topology.REVIEW_INGESTED, message_type=events_pb2.ReviewIngested,
        handler=handler, stop=stop, batch=32, live_lane=lane,
    ) + bus.start_consumer(
        stream="REVIEWS", durable="lanes-history", subject=topology.REVIEW_INGESTED_HISTORY,
        message_type=events_pb2.ReviewIngested, handler=handler, stop=stop, batch=32, yields_to=lane,
    )
    try:
        await eventually(_until(lambda: len(served) >= 64))  # the import is draining
        live_published_at.append(len(served))
        await bus.publish(topology.REVIEW_INGESTED, ingested("fresh-1-star"), msg_id="fresh")
        await eventually(_until(lambda: "fresh-1-star" in served))
        position = served.index("fresh-1-star")
        await eventually(_until(lambda: len(served) >= 601), timeout=60)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    # NOTE: at most the history batch in hand when it arrived (32) was served before the fresh review.
    assert position - live_published_at[0] <= 32 + 1
    assert position < 200  # far ahead of the remaining ~530 history reviews
    assert sorted(served) == sorted([f"import-{i}" for i in range(600)] + ["fresh-1-star"])  # history still drains, once each


def _until(condition):
    async def check():
        return condition()

    return check


async def test_each_connection_logs_its_own_outage(caplog) -> None:
    first, second = _ConnectionLog(), _ConnectionLog()
    with caplog.at_level("WARNING", logger="libs.bus"):
        await first.error(OSError("refused"))
        await first.error(OSError("refused"))  # the same outage: one line
        await second.error(OSError("refused"))  # another connection's outage is its own line
        await first.reconnected()
        await first.error(OSError("refused"))  # a new outage
    assert [r.getMessage() for r in caplog.records].count("NATS connection error; reconnecting") == 3
