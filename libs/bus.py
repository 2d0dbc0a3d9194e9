"""The NATS JetStream bus: idempotent streams, de-duplicated publishing, durable pull consumers.

Delivery is at least once: a handler must be idempotent. A message whose handler fails is
redelivered with a growing delay; after `max_deliver` attempts JetStream stops and announces it,
and the DeadLetterForwarder moves it to `dlq.<consumer>` so it never blocks the rest. A message
that cannot even be decoded is sent to the DLQ at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import nats
from google.protobuf.message import DecodeError, Message
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import api
from nats.js.errors import APIError, BadRequestError, NoStreamResponseError, NotFoundError, ServerError, ServiceUnavailableError
from opentelemetry import context as otel_context
from opentelemetry import trace
from tenacity import AsyncRetrying, retry_if_exception, retry_if_exception_type, stop_after_delay, wait_exponential

from libs import topology
from libs.errors import InvalidArgument, is_dependency_outage
from libs.loops import run_every
from libs.metrics import Metrics
from libs.telemetry import extract_context, inject_headers
from reviewguard.events.v1 import events_pb2

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

M = TypeVar("M", bound=Message)
T = TypeVar("T")

# Codes JetStream answers when a stream exists with another configuration.
_STREAM_NAME_IN_USE = 10058


def servers_of(url: str | Sequence[str]) -> list[str]:
    """The servers of a NATS URL: one, or a cluster's comma-separated list ("nats://a:4222,nats://b:4222")."""
    parts = url.split(",") if isinstance(url, str) else list(url)
    servers = [part.strip() for part in parts if part.strip()]
    if not servers:
        raise ValueError("no NATS server given (NATS_URL is empty)")
    return servers


async def _fetch(sub, batch: int) -> list[Msg] | None:
    """A pull consumer's next batch: [] when none came within a second; None, after a short pause,
    while the connection or the consumer's leader is away (the caller simply fetches again)."""
    try:
        return await sub.fetch(batch, timeout=1.0)
    except (NatsTimeoutError, asyncio.TimeoutError):
        return []
    except (nats.errors.ConnectionClosedError, nats.errors.ConnectionReconnectingError):
        pass
    except APIError as error:
        # NOTE: the consumer's leader is being elected (a node died, or the R3 consumer was just
        # made): wait for the new one.
        if not unavailable_for_now(error):
            raise
    await asyncio.sleep(0.5)
    return None


def unavailable_for_now(error: BaseException) -> bool:
    """Whether a failed JetStream request is worth retrying: the cluster is between leaders or the
    client between servers, rather than the request being wrong."""
    if isinstance(error, (NatsTimeoutError, asyncio.TimeoutError, NoStreamResponseError, nats.errors.NoRespondersError)):
        return True
    if isinstance(error, (nats.errors.ConnectionReconnectingError, nats.errors.StaleConnectionError, nats.errors.OutboundBufferLimitError)):
        return True
    # NOTE: 503 is "JetStream not (yet) available" / "no stream or consumer leader": a node died or
    # an R3 stream or consumer was just made, and the nodes are electing; 500 covers the odd
    # "leadership changed" mid-request. A fetch's 503 status carries no code, hence the classes.
    return isinstance(error, (ServiceUnavailableError, ServerError)) or (isinstance(error, APIError) and error.code in (500, 503))


class PoisonMessage(Exception):
    """Raised by a handler for a message that can never succeed: it goes to the DLQ at once."""


@dataclass
class Delivery(Generic[M]):
    """One decoded message handed to a handler, with the trace context it carried."""

    message: M
    subject: str
    headers: dict[str, str]
    context: otel_context.Context
    deliveries: int
    stream_sequence: int
    raw: Msg = field(repr=False)


Handler = Callable[[Sequence[Delivery[M]]], Awaitable[None]]


class LiveLane:
    """Whether a live consumer has work in hand, for the history consumer that yields to it.

    NOTE: history (imports, backfills) and live reviews travel on separate subjects and durables.
    The live consumer marks the lane busy while it holds a full batch and idle once a fetch comes
    back short or empty; the history consumer fetches only while the lane is idle. A fresh review
    therefore waits behind at most the one history batch being handled, however long the
    history backlog is, and the backlog still drains whenever live traffic pauses.
    """

    def __init__(self) -> None:
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def idle(self) -> bool:
        return self._idle.is_set()

    def mark_busy(self) -> None:
        self._idle.clear()

    def mark_idle(self) -> None:
        self._idle.set()

    async def wait_idle(self, stop: asyncio.Event, poll_seconds: float = 1.0) -> bool:
        """Waits until the lane is idle; False when `stop` was set first."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._idle.wait(), timeout=poll_seconds)
                return True
            except TimeoutError:
                continue
        return False


class Bus:
    """A connected JetStream client. Created in a wiring root, closed there with `close`."""

    def __init__(
        self,
        nc: NatsClient,
        *,
        duplicate_window_seconds: float,
        stream_replicas: int = 1,
        publish_retry_seconds: float = 10.0,
        metrics: Metrics | None = None,
    ) -> None:
        self._nc = nc
        self._js = nc.jetstream()
        self._duplicate_window = duplicate_window_seconds
        self._stream_replicas = stream_replicas
        self._publish_retry_seconds = publish_retry_seconds
        self._metrics = BusMetrics(metrics) if metrics is not None else None
        # (stream, durable) of every consumer this client runs, for the lag sampler.
        self._consumers: list[tuple[str, str]] = []

    @classmethod
    async def connect(
        cls,
        url: str | Sequence[str],
        *,
        name: str,
        duplicate_window_seconds: float = 600.0,
        connect_timeout: float = 30.0,
        stream_replicas: int = 1,
        publish_retry_seconds: float = 10.0,
        metrics: Metrics | None = None,
    ) -> "Bus":
        """Connects, retrying until `connect_timeout`; later disconnects reconnect forever.

        `url` is one server or a cluster's servers (a list, or one comma-separated string): the
        client connects to any of them and, when that one goes away, reconnects to another
        (the servers a cluster announces are added to the list as well).
        """
        servers = servers_of(url)
        async for attempt in AsyncRetrying(
            stop=stop_after_delay(connect_timeout),
            wait=wait_exponential(multiplier=0.1, max=2.0),
            retry=retry_if_exception_type((OSError, nats.errors.NoServersError, asyncio.TimeoutError)),
            reraise=True,
        ):
            with attempt:
                # NOTE: one log per connection: its "down" flag is this connection's outage, not another's.
                events = _ConnectionLog()
                nc = await nats.connect(
                    servers=servers,
                    name=f"reviewguard-{name}",
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                    allow_reconnect=True,
                    # NOTE: without these nats-py logs a full traceback on every reconnect attempt.
                    error_cb=events.error,
                    disconnected_cb=events.disconnected,
                    reconnected_cb=events.reconnected,
                )
        return cls(
            nc,
            duplicate_window_seconds=duplicate_window_seconds,
            stream_replicas=stream_replicas,
            publish_retry_seconds=publish_retry_seconds,
            metrics=metrics,
        )

    async def _while_unavailable(self, call: Callable[[], Awaitable[T]]) -> T:
        """Runs a JetStream request, retrying with backoff for `publish_retry_seconds` while the
        cluster cannot answer it (see unavailable_for_now)."""
        # NOTE: the first try skips tenacity: building its retry state for every publish halved an
        # outbox relay's throughput (3.5k against 7.8k publishes/s), and almost every call succeeds.
        try:
            return await call()
        except Exception as error:  # noqa: BLE001 - only the retryable kind goes on
            if not unavailable_for_now(error) or self._publish_retry_seconds <= 0:
                raise
        async for attempt in AsyncRetrying(
            stop=stop_after_delay(self._publish_retry_seconds),
            wait=wait_exponential(multiplier=0.05, max=1.0),
            retry=retry_if_exception(unavailable_for_now),
            reraise=True,
        ):
            with attempt:
                return await call()
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def connected(self) -> bool:
        return self._nc.is_connected

    async def ensure_streams_when_ready(self, stop: asyncio.Event, *, retry_seconds: float = 1.0) -> None:
        """`ensure_streams`, retried until JetStream answers or `stop`: a service that starts before
        NATS (or while its cluster elects a leader) waits here instead of failing."""
        while not stop.is_set():
            try:
                await self.ensure_streams()
                return
            except Exception:  # noqa: BLE001 - JetStream not ready yet
                log.warning("cannot declare streams yet; retrying", exc_info=True)
                await asyncio.sleep(retry_seconds)

    async def ensure_streams(self, specs: Sequence[topology.StreamSpec] = topology.ALL_STREAMS) -> None:
        """Creates each stream, or brings an existing one to this configuration.

        Every stream gets `stream_replicas` copies (its consumers inherit them); an existing
        stream with fewer (R1 made on one node, then the cluster grew) is scaled up in place.
        """
        for spec in specs:
            config = api.StreamConfig(
                name=spec.name,
                subjects=list(spec.subjects),
                retention=api.RetentionPolicy.LIMITS,
                storage=api.StorageType.FILE,
                max_age=spec.max_age_days * 86400,
                duplicate_window=self._duplicate_window,
                num_replicas=self._stream_replicas,
            )
            try:
                await self._while_unavailable(lambda config=config: self._js.add_stream(config))
            except BadRequestError as error:
                if error.err_code != _STREAM_NAME_IN_USE:
                    raise
                await self._while_unavailable(lambda config=config: self._js.update_stream(config))

    async def publish(
        self, subject: str, message: Message, *, msg_id: str, headers: dict[str, str] | None = None, timeout: float = 5.0
    ) -> bool:
        """Publishes once per `msg_id` within the duplicate window; False when it was a duplicate.

        The trace context is taken from `headers` when given (an outbox row publishing for the
        request that wrote it), else from the current span.
        """
        return await self.publish_bytes(subject, message.SerializeToString(), msg_id=msg_id, headers=headers, timeout=timeout)

    async def publish_bytes(
        self, subject: str, payload: bytes, *, msg_id: str, headers: dict[str, str] | None = None, timeout: float = 5.0
    ) -> bool:
        """`publish` for a payload serialised earlier (an outbox row).

        NOTE: a publish that JetStream cannot take right now (a stream leader being elected, the
        client reconnecting to another node) is retried with backoff for `publish_retry_seconds`;
        the Nats-Msg-Id makes that safe. A retry of a publish whose ack was lost reports a duplicate.
        """
        # NOTE: the publish span continues the context the headers carry (the request that wrote an
        # outbox row), else the current one, and the message carries the publish span on.
        parent = extract_context(headers) if headers else None
        with tracer.start_as_current_span(f"publish {subject}", context=parent, kind=trace.SpanKind.PRODUCER) as span:
            span.set_attribute("messaging.system", "nats")
            span.set_attribute("messaging.destination.name", subject)
            span.set_attribute("messaging.message.id", msg_id)
            all_headers = inject_headers({k: v for k, v in (headers or {}).items() if k not in ("traceparent", "tracestate")})
            all_headers["Nats-Msg-Id"] = msg_id
            try:
                ack = await self._while_unavailable(lambda: self._js.publish(subject, payload, headers=all_headers, timeout=timeout))
            except Exception:
                if self._metrics is not None:
                    self._metrics.published.labels(subject, "failed").inc()
                raise
            span.set_attribute("messaging.nats.duplicate", ack.duplicate)
        if self._metrics is not None:
            self._metrics.published.labels(subject, "duplicate" if ack.duplicate else "new").inc()
        return not ack.duplicate

    async def consume(
        self,
        *,
        stream: str,
        durable: str,
        subject: str,
        message_type: type[M],
        handler: Handler[M],
        stop: asyncio.Event,
        batch: int = 64,
        max_deliver: int = 5,
        ack_wait_seconds: float = 30.0,
        live_lane: LiveLane | None = None,
        yields_to: LiveLane | None = None,
    ) -> None:
        """Runs a durable pull consumer until `stop` is set.

        The handler gets a batch; if it raises, each message is retried alone so that one bad
        message does not hold back the others; failures are nak'ed with a growing delay.
        A live consumer reports to `live_lane`; a history consumer fetches only while the lane
        it `yields_to` is idle (see LiveLane).
        """
        config = api.ConsumerConfig(
            durable_name=durable,
            ack_policy=api.AckPolicy.EXPLICIT,
            deliver_policy=api.DeliverPolicy.ALL,
            max_deliver=max_deliver,
            ack_wait=ack_wait_seconds,
            filter_subject=subject,
            max_ack_pending=max(1000, batch * 4),
        )
        sub = await self._while_unavailable(
            lambda: self._js.pull_subscribe(subject, durable=durable, stream=stream, config=config)
        )
        self._consumers.append((stream, durable))
        log.info("consumer started", extra={"fields": {"stream": stream, "durable": durable, "subject": subject}})
        try:
            while not stop.is_set():
                if yields_to is not None and not await yields_to.wait_idle(stop):
                    break
                msgs = await _fetch(sub, batch)
                if not msgs:
                    # NOTE: only a fetch that found nothing says the lane is idle, not a bus away.
                    if msgs is not None and live_lane is not None:
                        live_lane.mark_idle()
                    continue
                if live_lane is not None:
                    live_lane.mark_busy()
                try:
                    await self._dispatch(msgs, durable=durable, message_type=message_type, handler=handler, stop=stop)
                finally:
                    if live_lane is not None and len(msgs) < batch:
                        live_lane.mark_idle()
        finally:
            try:
                await sub.unsubscribe()
            except Exception:  # noqa: BLE001 - best effort on shutdown
                pass

    def start_consumer(
        self,
        *,
        stream: str,
        durable: str,
        subject: str,
        message_type: type[M],
        handler: Handler[M],
        stop: asyncio.Event,
        batch: int = 64,
        max_deliver: int = 5,
        ack_wait_seconds: float = 30.0,
        live_lane: LiveLane | None = None,
        yields_to: LiveLane | None = None,
    ) -> list[asyncio.Task]:
        """Starts `consume` and the dead-letter forwarder for the same consumer, as tasks."""
        return [
            asyncio.create_task(
                self.consume(
                    stream=stream,
                    durable=durable,
                    subject=subject,
                    message_type=message_type,
                    handler=handler,
                    stop=stop,
                    batch=batch,
                    max_deliver=max_deliver,
                    ack_wait_seconds=ack_wait_seconds,
                    live_lane=live_lane,
                    yields_to=yields_to,
                ),
                name=f"consume-{durable}",
            ),
            asyncio.create_task(
                self.forward_dead_letters(stream=stream, consumer=durable, stop=stop), name=f"dlq-forward-{durable}"
            ),
        ]

    async def _dispatch(
        self, msgs: list[Msg], *, durable: str, message_type: type[M], handler: Handler[M], stop: asyncio.Event | None = None
    ) -> None:
        deliveries: list[Delivery[M]] = []
        for msg in msgs:
            try:
                decoded = message_type.FromString(msg.data)
            except DecodeError as error:
                await self.dead_letter(msg, consumer=durable, reason=f"undecodable: {error}")
                continue
            headers = dict(msg.headers or {})
            deliveries.append(
                Delivery(
                    message=decoded,
                    subject=msg.subject,
                    headers=headers,
                    context=extract_context(headers),
                    deliveries=msg.metadata.num_delivered,
                    stream_sequence=msg.metadata.sequence.stream,
                    raw=msg,
                )
            )
        if not deliveries:
            return
        # NOTE: one span per batch, continuing the trace of its first message (a single review's
        # trace runs unbroken from the gateway through each consumer) and linking the others.
        others = (trace.get_current_span(d.context).get_span_context() for d in deliveries[1:])
        links = [trace.Link(c) for c in others if c.is_valid]
        with tracer.start_as_current_span(
            f"consume {durable}", context=deliveries[0].context, kind=trace.SpanKind.CONSUMER, links=links[:128]
        ) as span:
            span.set_attribute("messaging.system", "nats")
            span.set_attribute("messaging.consumer.group.name", durable)
            span.set_attribute("messaging.destination.name", deliveries[0].subject)
            span.set_attribute("messaging.batch.message_count", len(deliveries))
            published = deliveries[0].raw.metadata.timestamp
            if published is not None:
                # NOTE: how long the first message waited in the stream before this consumer had it.
                span.set_attribute("messaging.nats.queued_seconds", round(max(0.0, time.time() - published.timestamp()), 4))
            await self._handle_batch(deliveries, durable=durable, handler=handler, stop=stop)

    async def _handle_batch(
        self, deliveries: list[Delivery[M]], *, durable: str, handler: Handler[M], stop: asyncio.Event | None
    ) -> None:
        try:
            await self._through_outages(handler, deliveries, durable=durable, stop=stop)
        except Exception as batch_error:  # noqa: BLE001 - retried one by one below
            if len(deliveries) == 1:
                await self._fail(deliveries[0], durable, batch_error)
                return
            log.warning(
                "batch failed; retrying one by one", exc_info=None if is_dependency_outage(batch_error) else batch_error,
                extra={"fields": {"consumer": durable, "error": type(batch_error).__name__}},
            )
            for delivery in deliveries:
                try:
                    await handler([delivery])
                except Exception as error:  # noqa: BLE001
                    await self._fail(delivery, durable, error)
                else:
                    await delivery.raw.ack()
                    self._count(durable, "acked")
            return
        for delivery in deliveries:
            await delivery.raw.ack()
        self._count(durable, "acked", len(deliveries))

    def _count(self, durable: str, outcome: str, n: int = 1) -> None:
        if self._metrics is not None:
            self._metrics.handled.labels(durable, outcome).inc(n)

    async def _through_outages(self, handler: Handler[M], deliveries: list[Delivery[M]], *, durable: str, stop: asyncio.Event | None) -> None:
        """Runs the handler; while it fails because a dependency is down (PostgreSQL restarting),
        holds the batch and tries again instead of spending its deliveries.

        NOTE: a nak per failure would use up `max_deliver` within seconds of an outage and send
        accepted reviews to the dead-letter queue; an outage is not the message's fault. The batch
        stays in progress (its ack deadline pushed on) and the consumer fetches nothing new until
        the dependency answers, which is the backpressure an outage needs. Gives up (the normal
        retry path) only after OUTAGE_PATIENCE_SECONDS, or when the service is stopping.
        """
        waited, pause = 0.0, 0.5
        while True:
            try:
                await handler(deliveries)
                return
            except Exception as error:
                if not is_dependency_outage(error) or waited >= OUTAGE_PATIENCE_SECONDS or (stop is not None and stop.is_set()):
                    raise
                if waited == 0.0:
                    log.warning("dependency unavailable; holding the batch until it answers",
                                extra={"fields": {"consumer": durable, "messages": len(deliveries), "error": type(error).__name__}})
            await asyncio.sleep(pause)
            waited += pause
            pause = min(5.0, pause * 2)
            for delivery in deliveries:
                try:
                    await delivery.raw.in_progress()
                except Exception:  # noqa: BLE001 - NATS may be away too; the message is then redelivered
                    pass

    async def _fail(self, delivery: Delivery, durable: str, error: Exception) -> None:
        # NOTE: a message that fails validation (InvalidArgument: a bad id, an impossible field) will
        # fail the same way on every redelivery; retrying it only delays the DLQ by a minute.
        if isinstance(error, (PoisonMessage, InvalidArgument)):
            await self.dead_letter(delivery.raw, consumer=durable, reason=f"poison: {error}")
            return
        # NOTE: back off 1 s, 2 s, 4 s ... so a struggling dependency gets room to recover.
        delay = min(60.0, 2.0 ** (delivery.deliveries - 1))
        self._count(durable, "retried")
        log.warning(
            "message failed; will retry",
            # NOTE: a dependency that is down (PostgreSQL restarting) is one line per message, not a traceback.
            exc_info=None if is_dependency_outage(error) else error,
            extra={"fields": {"consumer": durable, "deliveries": delivery.deliveries, "retry_in_s": delay, "error": type(error).__name__}},
        )
        await delivery.raw.nak(delay=delay)

    async def dead_letter(self, msg: Msg, *, consumer: str, reason: str) -> None:
        """Moves a message to `dlq.<consumer>` and terminates its delivery."""
        meta = msg.metadata
        letter = events_pb2.DeadLetter(
            stream=meta.stream,
            stream_sequence=meta.sequence.stream,
            consumer=consumer,
            subject=msg.subject,
            data=msg.data,
            headers={k: v for k, v in (msg.headers or {}).items() if k != "Nats-Msg-Id"},
            reason=reason,
            deliveries=meta.num_delivered,
        )
        await self.publish(
            topology.dead_letter_subject(consumer),
            letter,
            msg_id=f"dlq:{meta.stream}:{meta.sequence.stream}:{consumer}",
        )
        await msg.term()
        self._count(consumer, "dead_lettered")
        log.error("message dead-lettered", extra={"fields": {"consumer": consumer, "reason": reason, "seq": meta.sequence.stream}})

    async def forward_dead_letters(self, *, stream: str, consumer: str, stop: asyncio.Event) -> None:
        """Moves messages that ran out of deliveries on (stream, consumer) to the DLQ, until `stop`.

        Reads the durable max-deliveries advisories, fetches each original message by sequence
        and republishes it as a DeadLetter.
        """
        advisory_subject = topology.max_deliveries_advisory(stream, consumer)
        durable = f"dlq-{consumer}"
        config = api.ConsumerConfig(
            durable_name=durable,
            ack_policy=api.AckPolicy.EXPLICIT,
            filter_subject=advisory_subject,
            max_deliver=-1,
            ack_wait=30,
        )
        sub = await self._while_unavailable(
            lambda: self._js.pull_subscribe(
                advisory_subject, durable=durable, stream=topology.MAX_DELIVERIES_ADVISORIES.name, config=config
            )
        )
        try:
            while not stop.is_set():
                msgs = await _fetch(sub, 16)
                if not msgs:
                    continue
                for msg in msgs:
                    try:
                        await self._forward_one(json.loads(msg.data), consumer=consumer)
                    except Exception:  # noqa: BLE001 - retried on redelivery
                        log.exception("dead-letter forwarding failed")
                        await msg.nak(delay=2)
                    else:
                        await msg.ack()
        finally:
            try:
                await sub.unsubscribe()
            except Exception:  # noqa: BLE001
                pass

    async def _forward_one(self, advisory: dict, *, consumer: str) -> None:
        stream, seq = advisory["stream"], int(advisory["stream_seq"])
        try:
            original = await self._js.get_msg(stream, seq)
        except NotFoundError:
            log.error("dead letter expired before forwarding", extra={"fields": {"stream": stream, "seq": seq}})
            return
        letter = events_pb2.DeadLetter(
            stream=stream,
            stream_sequence=seq,
            consumer=consumer,
            subject=original.subject or "",
            data=original.data or b"",
            headers={k: v for k, v in (original.headers or {}).items() if k != "Nats-Msg-Id"},
            reason="max_deliveries",
            deliveries=int(advisory.get("deliveries", 0)),
        )
        await self.publish(topology.dead_letter_subject(consumer), letter, msg_id=f"dlq:{stream}:{seq}:{consumer}")
        self._count(consumer, "dead_lettered")
        log.error("message dead-lettered", extra={"fields": {"consumer": consumer, "reason": "max_deliveries", "seq": seq}})

    async def sample_metrics(self) -> None:
        """Reads each of this client's consumers' lag and its DLQ depth from JetStream into the gauges.

        NOTE: every replica of a service reports the same durable's figures (they share it):
        dashboards and rules take `max by (durable)`, never a sum.
        """
        if self._metrics is None or not self._consumers:
            return
        m = self._metrics
        for stream, durable in self._consumers:
            info = await self._js.consumer_info(stream, durable, timeout=2.0)
            m.pending.labels(stream, durable).set(info.num_pending or 0)
            m.ack_pending.labels(stream, durable).set(info.num_ack_pending or 0)
            m.redelivered.labels(stream, durable).set(info.num_redelivered or 0)
        dlq = await self._js.stream_info(topology.DEAD_LETTERS.name, subjects_filter=topology.dead_letter_subject(">"))
        depth = (dlq.state.subjects or {}) if dlq.state else {}
        for _, durable in self._consumers:
            subject = topology.dead_letter_subject(durable)
            m.dlq.labels(durable).set(depth.get(subject, 0))

    async def report_metrics(self, stop: asyncio.Event, interval_seconds: float) -> None:
        """Samples `sample_metrics` every interval until `stop`; a failed sample is skipped, not fatal."""
        # NOTE: NATS away or a leader being elected fails a sample; the next round takes one again.
        await run_every(self.sample_metrics, interval_seconds=interval_seconds, stop=stop, name="consumer metrics sample")

    async def close(self) -> None:
        """Drains subscriptions and pending publishes, then closes (at once when the server is gone)."""
        if not self._nc.is_closed:
            try:
                if not self._nc.is_connected:
                    raise nats.errors.ConnectionReconnectingError
                await asyncio.wait_for(self._nc.drain(), timeout=1.0)
            except Exception:  # noqa: BLE001 - a dead server cannot be drained
                try:
                    await asyncio.wait_for(self._nc.close(), timeout=0.5)
                except Exception:  # noqa: BLE001
                    pass

    @property
    def jetstream(self):
        """The raw JetStream context, for tests and tools."""
        return self._js


# How long a consumer holds a batch while a dependency is down before falling back to nak/retry.
OUTAGE_PATIENCE_SECONDS = 600.0


class BusMetrics:
    """The bus's families on a service's registry (names in libs/metrics.py)."""

    def __init__(self, metrics: Metrics) -> None:
        consumer = ("stream", "durable")
        self.pending = metrics.gauge(
            "reviewguard_consumer_pending_messages", "Messages in the stream the durable consumer has not yet been given (its lag).", consumer
        )
        self.ack_pending = metrics.gauge(
            "reviewguard_consumer_ack_pending_messages", "Messages delivered to the durable consumer and not yet acknowledged.", consumer
        )
        self.redelivered = metrics.gauge(
            "reviewguard_consumer_redelivered_messages", "Messages outstanding that were delivered to the consumer more than once.", consumer
        )
        self.handled = metrics.counter(
            "reviewguard_consumer_messages_total", "Messages this process handled, by durable and outcome (acked, retried, dead_lettered).",
            ("durable", "outcome"),
        )
        self.dlq = metrics.gauge("reviewguard_dlq_messages", "Messages in the DLQ stream for this consumer (dlq.<consumer>).", ("consumer",))
        self.published = metrics.counter(
            "reviewguard_bus_published_total", "JetStream publishes, by subject and outcome (new, duplicate, failed).", ("subject", "outcome")
        )


class _ConnectionLog:
    """One NATS connection's events as one line each; its reconnect loop's errors once per outage."""

    def __init__(self) -> None:
        self._down = False

    async def error(self, error: Exception) -> None:
        if not self._down:
            self._down = True
            log.warning("NATS connection error; reconnecting", extra={"fields": {"error": f"{type(error).__name__}: {error}"}})

    async def disconnected(self) -> None:
        log.warning("NATS disconnected")

    async def reconnected(self) -> None:
        self._down = False
        log.info("NATS reconnected")
