"""What an operator scrapes and traces from the shared layers: RPCs by method and code, a consumer's
lag and dead letters, database calls as spans inside the traced work and none outside it."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from libs import topology
from libs.bus import Bus, PoisonMessage
from libs.db import create_pool
from libs.embedded import EmbeddedNats
from libs.errors import NotFound
from libs.grpc_server import GrpcServer
from libs.metrics import Metrics
from tests.helpers import eventually
from tests.libs.test_bus import consuming, ingested

SERVICE = "reviewguard.test.v1.Probe"


def samples(metrics: Metrics) -> dict[tuple[str, tuple], float]:
    """Every sample of the exposition, keyed by (name, sorted labels)."""
    text = metrics.exposition()[0].decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    """Finished spans of this process (the SDK provider is process-wide, set once)."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def test_every_rpc_is_counted_by_method_and_status_code_and_timed() -> None:
    metrics = Metrics("probe")
    answers = iter([None, NotFound("case 42 not found"), None])

    async def call(request, context):
        error = next(answers)
        if error is not None:
            raise error
        return health_pb2.HealthCheckResponse()

    server = GrpcServer(bind="127.0.0.1:0", service_names=[SERVICE], metrics=metrics)
    server.server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, {
        "Call": grpc.unary_unary_rpc_method_handler(
            call, request_deserializer=health_pb2.HealthCheckRequest.FromString,
            response_serializer=health_pb2.HealthCheckResponse.SerializeToString,
        ),
    })])
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    stub = channel.unary_unary(f"/{SERVICE}/Call", request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                               response_deserializer=health_pb2.HealthCheckResponse.FromString)
    try:
        await stub(health_pb2.HealthCheckRequest(), timeout=5)
        with pytest.raises(grpc.aio.AioRpcError):
            await stub(health_pb2.HealthCheckRequest(), timeout=5)
        await stub(health_pb2.HealthCheckRequest(), timeout=5)
    finally:
        await channel.close()
        await server.stop(0)
    got = samples(metrics)
    method = f"/{SERVICE}/Call"
    assert got[("reviewguard_grpc_server_requests_total", (("code", "OK"), ("method", method)))] == 2
    assert got[("reviewguard_grpc_server_requests_total", (("code", "NOT_FOUND"), ("method", method)))] == 1
    assert got[("reviewguard_grpc_server_request_duration_seconds_count", (("method", method),))] == 3


async def test_a_consumers_lag_and_dead_letters_are_sampled_from_jetstream(nats_server: EmbeddedNats) -> None:
    metrics = Metrics("probe")
    bus = await Bus.connect(nats_server.url, name="probe", duplicate_window_seconds=60, metrics=metrics)
    await bus.ensure_streams()

    async def handler(batch):
        for delivery in batch:
            if delivery.message.review.external_id == "poison":
                raise PoisonMessage("never valid")

    try:
        for name in ("a", "poison", "b"):
            await bus.publish(topology.REVIEW_INGESTED, ingested(name), msg_id=name)
        async with consuming(bus, "probe", handler):
            async def handled():
                got = samples(metrics)
                acked = got.get(("reviewguard_consumer_messages_total", (("durable", "probe"), ("outcome", "acked"))), 0)
                return acked >= 2 and got.get(("reviewguard_consumer_messages_total", (("durable", "probe"), ("outcome", "dead_lettered"))))

            await eventually(handled)
        # The consumer is stopped; what arrives now is its lag.
        for n in range(4):
            await bus.publish(topology.REVIEW_INGESTED, ingested(f"late-{n}"), msg_id=f"late-{n}")
        await bus.sample_metrics()
        got = samples(metrics)
        assert got[("reviewguard_consumer_pending_messages", (("durable", "probe"), ("stream", "REVIEWS")))] == 4
        assert got[("reviewguard_dlq_messages", (("consumer", "probe"),))] == 1
        assert got[("reviewguard_bus_published_total", (("outcome", "new"), ("subject", topology.REVIEW_INGESTED)))] == 7
    finally:
        await bus.close()


async def test_database_calls_are_spans_inside_traced_work_only(database_url: str, spans: InMemorySpanExporter) -> None:
    pool = await create_pool(database_url, schema="public")
    tracer = trace.get_tracer("test")
    try:
        spans.clear()
        await pool.fetchval("SELECT 1")  # a background poll: no trace of its own
        assert [s.name for s in spans.get_finished_spans()] == []
        with tracer.start_as_current_span("work") as work:
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT $1::int + 1", 1)
                await conn.execute("CREATE TEMP TABLE t (n int)")
                await conn.copy_records_to_table("t", records=[(1,), (2,)])
                assert await conn.fetchrow("SELECT count(*) AS n FROM t") is not None
        finished = {s.name: s for s in spans.get_finished_spans()}
        assert {"db SELECT", "db CREATE", "db COPY"} <= set(finished)
        select = finished["db SELECT"]
        assert select.parent.span_id == work.get_span_context().span_id
        assert select.attributes["db.system"] == "postgresql"
        assert select.attributes["db.statement"].startswith("SELECT")
    finally:
        await pool.close()


async def test_a_message_continues_its_publishers_trace_through_the_consumer(bus: Bus, spans: InMemorySpanExporter) -> None:
    tracer = trace.get_tracer("test")
    spans.clear()
    with tracer.start_as_current_span("gateway request") as request:
        await bus.publish(topology.REVIEW_INGESTED, ingested("traced"), msg_id="traced")
    seen = []

    async def handler(batch):
        seen.append(trace.get_current_span().get_span_context())

    async with consuming(bus, "traced", handler):
        await eventually(lambda: asyncio.sleep(0, bool(seen)))
    finished = {s.name: s for s in spans.get_finished_spans()}
    publish, consume = finished[f"publish {topology.REVIEW_INGESTED}"], finished["consume traced"]
    trace_id = request.get_span_context().trace_id
    assert publish.context.trace_id == consume.context.trace_id == seen[0].trace_id == trace_id
    assert publish.parent.span_id == request.get_span_context().span_id
    assert consume.parent.span_id == publish.context.span_id
    assert publish.kind is trace.SpanKind.PRODUCER and consume.kind is trace.SpanKind.CONSUMER
