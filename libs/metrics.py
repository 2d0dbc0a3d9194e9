"""Prometheus metrics: one registry per service process, made in its wiring root and passed down.

Every layer that counts something asks the service's `Metrics` for its family by name (the first
ask registers it, later asks get the same one), so the gRPC interceptor, the bus, the outbox relay
and a service's own counters share one registry without a module-level metric. The registry is
served on the service's metrics port (`serve`), the gateway's on its own `GET /metrics`.

The names an operator reads (dashboards and alerting rules in deploy/ use these):

    reviewguard_grpc_server_requests_total{method, code}        RPCs answered, by status code
    reviewguard_grpc_server_request_duration_seconds{method}    RPC latency
    reviewguard_http_requests_total{route, method, status}      gateway requests, by route template
    reviewguard_http_request_duration_seconds{route, method}    gateway latency
    reviewguard_consumer_pending_messages{stream, durable}      JetStream lag (num_pending)
    reviewguard_consumer_ack_pending_messages{stream, durable}  delivered, not yet acknowledged
    reviewguard_consumer_redelivered_messages{stream, durable}  messages delivered more than once, now
    reviewguard_consumer_messages_total{durable, outcome}       handled: acked, retried, dead_lettered
    reviewguard_dlq_messages{consumer}                          messages in the DLQ stream per consumer
    reviewguard_bus_published_total{subject, outcome}           publishes: new, duplicate, failed
    reviewguard_outbox_backlog{channel}                         outbox rows waiting for the relay
    reviewguard_outbox_published_total{channel}                 outbox rows the relay published
    reviewguard_alert_deliveries_total{receiver, outcome}       alerting: by receiver kind; delivered, failed, retry
    reviewguard_alerts_undeliverable_total{reason}              alerting: alerts no configured receiver hears of
    reviewguard_nlp_reviews_analyzed_total                      nlp: reviews analysed (rate = reviews/s)
    reviewguard_nlp_model_seconds                               nlp: seconds per analysed batch (models)
    reviewguard_nlp_batch_reviews                               nlp: reviews per analysed batch
    reviewguard_ingest_capture_lag_seconds{platform, channel}   ingest: posted -> captured
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.metrics import MetricWrapperBase

log = logging.getLogger(__name__)

# Seconds: an RPC or request from sub-millisecond cache hits to a 30 s import chunk.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, float("inf"))


class Metrics:
    """One service process's registry and the families registered on it."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self._families: dict[str, MetricWrapperBase] = {}
        self._lock = threading.Lock()
        self._server = None
        # NOTE: prometheus_client's default registry is process-wide by its design: it holds the
        # process, platform and GC collectors it installs at import (CPU, memory, open files per
        # service). Served beside this registry,
        # read-only; nothing here registers into it.
        self.registry.register(_DefaultRegistry())

    def _family(self, kind: type, name: str, documentation: str, labels: Sequence[str], **options) -> MetricWrapperBase:
        with self._lock:
            family = self._families.get(name)
            if family is None:
                family = kind(name, documentation, labelnames=tuple(labels), registry=self.registry, **options)
                self._families[name] = family
            elif not isinstance(family, kind) or tuple(family._labelnames) != tuple(labels):
                raise ValueError(f"metric {name} is already registered with another type or labels")
            return family

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        return self._family(Counter, name, documentation, labels)

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        return self._family(Gauge, name, documentation, labels)

    def histogram(
        self, name: str, documentation: str, labels: Sequence[str] = (), buckets: Sequence[float] = LATENCY_BUCKETS
    ) -> Histogram:
        return self._family(Histogram, name, documentation, labels, buckets=tuple(buckets))

    def exposition(self) -> tuple[bytes, str]:
        """The registry in Prometheus' text format, with its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def serve(self, *, host: str, port: int) -> bool:
        """Serves the registry on http://host:port/metrics (a thread); 0 turns it off.

        A port already taken is logged, not raised: metrics are not worth refusing work over
        (e.g. two local systems on one machine). Returns whether it serves.
        """
        if not port:
            return False
        try:
            self._server, _ = start_http_server(port, addr=host, registry=self.registry)
        except OSError as error:
            log.warning("metrics endpoint not started: %s", error, extra={"fields": {"port": port}})
            return False
        log.info("metrics listening", extra={"fields": {"bind": f"{host}:{port}"}})
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _DefaultRegistry:
    """prometheus_client's default registry's samples, as one collector of a service's registry."""

    def collect(self):
        yield from REGISTRY.collect()


# The shared layers' families, one function each so every caller spells them the same.


def grpc_requests(metrics: Metrics) -> Counter:
    return metrics.counter("reviewguard_grpc_server_requests_total", "gRPC calls answered, by method and status code.", ("method", "code"))


def grpc_duration(metrics: Metrics) -> Histogram:
    return metrics.histogram("reviewguard_grpc_server_request_duration_seconds", "Seconds a gRPC call took to answer.", ("method",))


def http_requests(metrics: Metrics) -> Counter:
    return metrics.counter(
        "reviewguard_http_requests_total", "HTTP requests answered, by route template, method and status.", ("route", "method", "status")
    )


def http_duration(metrics: Metrics) -> Histogram:
    return metrics.histogram("reviewguard_http_request_duration_seconds", "Seconds an HTTP request took to answer.", ("route", "method"))


class AsgiMetrics:
    """ASGI middleware counting each request by route template (`/v1/reviews/{review_id}`), never raw path."""

    def __init__(self, app, metrics: Metrics, exclude: Sequence[str] = ()) -> None:
        self._app = app
        self._requests = http_requests(metrics)
        self._duration = http_duration(metrics)
        self._exclude = frozenset(exclude)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in self._exclude:
            return await self._app(scope, receive, send)
        started = time.perf_counter()
        status = 500

        async def recording_send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            # NOTE: unmatched paths share one label, so a scanner cannot grow the series count.
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self._requests.labels(template, method, str(status)).inc()
            self._duration.labels(template, method).observe(time.perf_counter() - started)
