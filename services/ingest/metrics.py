"""Ingest's Prometheus metrics, on a registry the wiring root creates and serves."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Histogram

# Seconds from posted to captured: the SPEC's 5-minute target sits between two buckets' edges.
LAG_BUCKETS = (15, 30, 60, 120, 180, 240, 300, 600, 1800, 3600, 6 * 3600, 86400, 7 * 86400, float("inf"))


class IngestMetrics:
    """Capture lag per platform and channel (api, webhook, pull, backfill, import)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.capture_lag = Histogram(
            "reviewguard_ingest_capture_lag_seconds",
            "Seconds from a review's posted time to its first capture by ReviewGuard.",
            labelnames=("platform", "channel"),
            buckets=LAG_BUCKETS,
            registry=registry,
        )

    def observe_captured(self, lags: Iterable[tuple[str, str, float]]) -> None:
        """Records (platform, channel, seconds) for each newly stored review."""
        for platform, channel, seconds in lags:
            self.capture_lag.labels(platform=platform, channel=channel).observe(max(0.0, seconds))
