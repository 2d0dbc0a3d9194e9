"""Notification receivers: deliver alerts to chat robots, webhooks, email and SMS (SPEC §4).

    async with outbound_client(OutboundPolicy.from_settings(settings)) as http:   # libs.outbound, in the wiring root
        receiver = build_receiver(parse_receiver_config(row), http=http)
        result = await receiver.send(notification_from_alert(alert, language="zh", link=case_url))
        if not result.ok: ...                                     # keep it in the outbox, retry later

Each kind lives in its own module (slack, wecom, dingtalk, feishu, webhook, smtp, sms) with its
config model; base holds the interface and the retry layer, messages the zh/en texts.
"""

from services.alerting.receivers.base import (
    DeliveryResult,
    DeliveryStatus,
    PermanentError,
    Receiver,
    RetryPolicy,
    TransientError,
)
from services.alerting.receivers.config import ReceiverConfig, build_receiver, parse_receiver_config
from services.alerting.receivers.notification import Notification, Severity, notification_from_alert
from services.alerting.receivers.webhook import verify_signature

__all__ = [
    "DeliveryResult",
    "DeliveryStatus",
    "Notification",
    "PermanentError",
    "Receiver",
    "ReceiverConfig",
    "RetryPolicy",
    "Severity",
    "TransientError",
    "build_receiver",
    "notification_from_alert",
    "parse_receiver_config",
    "verify_signature",
]
