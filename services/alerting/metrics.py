"""Alerting's Prometheus metrics, on the service's registry (libs/metrics.py) the wiring root passes down."""

from __future__ import annotations

from libs.metrics import Metrics

# What a delivery attempt came to: the receiver took it, refused it for good, or it is tried again.
OUTCOMES = {"delivered": "delivered", "failed": "failed", "pending": "retry"}


class DeliveryMetrics:
    """Notification delivery attempts by receiver kind (slack, webhook, email…) and outcome, and
    alerts that no configured receiver will be told of."""

    def __init__(self, metrics: Metrics) -> None:
        self.registry = metrics.registry
        self.deliveries = metrics.counter(
            "reviewguard_alert_deliveries_total",
            "Notification delivery attempts, by receiver kind and outcome (delivered, failed, retry).",
            ("receiver", "outcome"),
        )
        self.undeliverable = metrics.counter(
            "reviewguard_alerts_undeliverable_total",
            "Alerts no configured receiver will be told of, by reason (no_receiver, missing_receiver).",
            ("reason",),
        )

    def attempted(self, receiver_kind: str | None, status: str) -> None:
        self.deliveries.labels(receiver_kind or "unconfigured", OUTCOMES.get(status, status)).inc()

    def undeliverable_alert(self, reason: str) -> None:
        self.undeliverable.labels(reason).inc()
