"""Traces reach an OpenTelemetry Collector: the production OTLP/gRPC exporter against a local server
speaking the collector's TraceService protocol (what deploy/ wires to the Collector's Service)."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent import futures
from pathlib import Path

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]

# NOTE: in a child process, because configure_tracing installs the process-wide tracer provider
# (OpenTelemetry allows one), which must not outlive this test in the pytest process.
EMIT = """
from libs.telemetry import configure_tracing
provider = configure_tracing("nlp", exporter="otlp", trace_dir=None)
tracer = provider.get_tracer("test")
with tracer.start_as_current_span("nlp.batch", attributes={"reviews": 64}):
    with tracer.start_as_current_span("db INSERT"):
        pass
provider.shutdown()
"""


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.requests: list[trace_service_pb2.ExportTraceServiceRequest] = []

    def Export(self, request, context):  # noqa: N802 - the protocol's name
        self.requests.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


def test_spans_are_exported_over_otlp_with_the_service_name_and_their_parent_links() -> None:
    collector = Collector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        env = os.environ | {
            "PYTHONPATH": f"{ROOT / 'libs' / 'gen'}:{ROOT}",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
            "OTEL_EXPORTER_OTLP_INSECURE": "true",
        }
        subprocess.run([sys.executable, "-c", EMIT], env=env, check=True, timeout=60, cwd=ROOT)
    finally:
        server.stop(0)

    spans, services = {}, set()
    for request in collector.requests:
        for resource_spans in request.resource_spans:
            services |= {a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"}
            for scope in resource_spans.scope_spans:
                spans |= {span.name: span for span in scope.spans}
    assert services == {"reviewguard-nlp"}
    assert set(spans) == {"nlp.batch", "db INSERT"}
    assert spans["db INSERT"].parent_span_id == spans["nlp.batch"].span_id
    assert spans["db INSERT"].trace_id == spans["nlp.batch"].trace_id
