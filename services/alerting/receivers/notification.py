"""What a receiver is asked to deliver: one alert, in data form, independent of protobuf classes."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from reviewguard.alerting.v1 import alert_pb2


class Severity(enum.StrEnum):
    UNSPECIFIED = "unspecified"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


_SEVERITY_BY_PROTO = {
    alert_pb2.SEVERITY_UNSPECIFIED: Severity.UNSPECIFIED,
    alert_pb2.SEVERITY_NORMAL: Severity.NORMAL,
    alert_pb2.SEVERITY_HIGH: Severity.HIGH,
    alert_pb2.SEVERITY_CRITICAL: Severity.CRITICAL,
}


@dataclass(frozen=True)
class Notification:
    """One alert as people should read it.

    The text is rendered by each receiver in `language` (or in the receiver's own configured
    language), so the same notification can go to a Chinese WeCom group and an English Slack
    channel. `title` overrides the title otherwise derived from `rule`.
    """

    alert_id: str
    rule: str
    severity: Severity
    product: str
    marketplace: str = ""
    platform: str = ""
    reasons: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    link: str | None = None
    language: str = "en"
    tenant_id: str = ""
    review_id: str = ""
    fired_at: datetime | None = None
    title: str | None = None

    def to_json(self) -> dict:
        """A JSON-ready dict of the raw data (the generic webhook's `alert` object)."""
        return {
            "id": self.alert_id,
            "tenant_id": self.tenant_id,
            "rule": self.rule,
            "severity": self.severity.value,
            "review_id": self.review_id,
            "platform": self.platform,
            "marketplace": self.marketplace,
            "product_id": self.product,
            "reasons": list(self.reasons),
            "labels": dict(self.labels),
            "fired_at": self.fired_at.isoformat() if self.fired_at else None,
            "link": self.link,
        }


def notification_from_alert(alert: alert_pb2.Alert, *, language: str = "en", link: str | None = None) -> Notification:
    """A Notification for an alert; `link` is the case or review URL shown as a button."""
    fired_at = alert.fired_at.ToDatetime(tzinfo=timezone.utc) if alert.HasField("fired_at") else None
    return Notification(
        alert_id=alert.id,
        rule=alert.rule,
        severity=_SEVERITY_BY_PROTO.get(alert.severity, Severity.UNSPECIFIED),
        product=alert.product_id,
        marketplace=alert.marketplace,
        platform=alert.platform,
        reasons=tuple(alert.reasons),
        labels=dict(alert.labels),
        link=link or None,
        language=language,
        tenant_id=alert.tenant_id,
        review_id=alert.review_id,
        fired_at=fired_at,
    )
