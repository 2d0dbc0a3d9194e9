"""Delivered orders and the review requests scheduled for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

VIP_ANNUAL_SPEND_USD = Decimal("500")
MAX_CARRIER_LENGTH = 64


class Fulfilment(StrEnum):
    PLATFORM = "platform"
    MERCHANT = "merchant"


class Tier(StrEnum):
    """High-value customers get a message and an email; others the order page's request button."""

    VIP = "vip"
    STANDARD = "standard"


CHANNELS: dict[Tier, tuple[str, ...]] = {Tier.VIP: ("message", "email"), Tier.STANDARD: ("order_page_button",)}


class RequestStatus(StrEnum):
    SCHEDULED = "scheduled"
    # Handed to ingest, which sends it through the platform; its outcome comes back on the bus.
    SENDING = "sending"
    SENT = "sent"
    # Not sent, for good: outside Amazon's window, sent for this order already, no buyer e-mail...
    REFUSED = "refused"
    # The platform or the credentials failed; the reason says what to fix.
    FAILED = "failed"
    # No way to send it from here (no e-mail transport): the text is ready to send by hand.
    MANUAL = "manual"
    SKIPPED_OPEN_CASE = "skipped_open_case"
    SKIPPED_NEGATIVE_REVIEW = "skipped_negative_review"
    BLOCKED_COMPLIANCE = "blocked_compliance"


@dataclass(frozen=True)
class Order:
    tenant_id: str
    order_id: str
    platform: str
    marketplace: str
    fulfilment: Fulfilment
    customer_id: str
    language: str
    product_name: str
    value: Decimal
    currency: str
    annual_spend_usd: Decimal
    delivered_at: datetime
    carrier: str = ""


@dataclass(frozen=True)
class Schedule:
    """When and how the invitation for an order goes out, and why then."""

    send_at: datetime
    tier: Tier
    channels: tuple[str, ...]
    base_days: int
    holiday_days: int
    holidays: tuple[str, ...]


# What ingest answered (ReviewRequestOutcome.outcome) -> the request's status; "deferred" reschedules it.
OUTCOME_STATUS = {"sent": RequestStatus.SENT, "refused": RequestStatus.REFUSED, "failed": RequestStatus.FAILED, "manual": RequestStatus.MANUAL}
DEFERRED = "deferred"
