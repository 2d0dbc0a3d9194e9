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
    SENT = "sent"
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


@dataclass(frozen=True)
class OutgoingMessage:
    """One invitation handed to the sender; `key` is unique per order and channel."""

    key: str
    tenant_id: str
    order_id: str
    channel: str
    recipient: str
    language: str
    text: str
