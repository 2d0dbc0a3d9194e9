"""OpenTelemetry tracing, configured once per process, and context carried over NATS headers.

gRPC calls carry the W3C `traceparent` in metadata (the grpc instrumentation's interceptors,
installed by libs.grpc_server and libs.grpc_client); JetStream messages carry it in headers
(inject_headers / extract_context below), so one trace runs from the gateway to the case.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanExportResult,
)


class JsonLinesSpanExporter(SpanExporter):
    """Appends finished spans to a file, one JSON object a line (for laptops and tests)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = []
        for span in spans:
            ctx = span.get_span_context()
            lines.append(
                json.dumps(
                    {
                        "name": span.name,
                        "trace_id": format(ctx.trace_id, "032x"),
                        "span_id": format(ctx.span_id, "016x"),
                        "parent_span_id": format(span.parent.span_id, "016x") if span.parent else None,
                        "service": span.resource.attributes.get("service.name"),
                        "kind": span.kind.name,
                        "start": span.start_time,
                        "end": span.end_time,
                        "attributes": dict(span.attributes or {}),
                        "links": [
                            {"trace_id": format(link.context.trace_id, "032x"), "span_id": format(link.context.span_id, "016x")}
                            for link in span.links or ()
                        ],
                    },
                    default=str,
                )
            )
        with self._lock:
            self._file.write("\n".join(lines) + "\n")
            self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            self._file.close()


def configure_tracing(service: str, *, exporter: str, trace_dir: Path) -> TracerProvider:
    """Installs the process's tracer provider. The caller shuts it down on exit."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"reviewguard-{service}"}))
    if exporter == "jsonl":
        provider.add_span_processor(
            BatchSpanProcessor(JsonLinesSpanExporter(trace_dir / f"{service}.jsonl"), schedule_delay_millis=200)
        )
    elif exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        # NOTE: OTLP/gRPC to OTEL_EXPORTER_OTLP_ENDPOINT (the exporter reads the standard OTEL_*
        # variables itself): in deploy/ the OpenTelemetry Collector's Service.
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif exporter != "none":
        raise ValueError(f"unknown trace exporter {exporter!r}: use none, console, jsonl or otlp")
    # NOTE: OpenTelemetry's API reads one process-wide provider; this is the only place it is set.
    trace.set_tracer_provider(provider)
    return provider


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Returns message headers carrying the current trace context."""
    carrier = dict(headers or {})
    propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> otel_context.Context:
    """The trace context a message's headers carry (an empty one when none)."""
    return propagate.extract(dict(headers or {}))


def current_traceparent() -> dict[str, str]:
    """The current context as headers, to store beside an outbox row and publish later."""
    return inject_headers({})
