"""Schedules review invitations after delivery (SPEC §5) and renders them in the buyer's language."""

from __future__ import annotations

import hashlib
import logging
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from services.resolution.calendar.service import load_calendar, next_allowed_send
from services.resolution.requests.models import CHANNELS, VIP_ANNUAL_SPEND_USD, Fulfilment, Order, Schedule, Tier
from services.resolution.templates.service import make_environment, render_source

log = logging.getLogger(__name__)

INVITATIONS_PATH = Path(__file__).with_name("invitations.toml")
# Days after delivery, inclusive ranges (SPEC §5).
DELAY_DAYS: Mapping[Fulfilment, tuple[int, int]] = {Fulfilment.PLATFORM: (3, 5), Fulfilment.MERCHANT: (7, 10)}
HOLIDAY_EXTRA_DAYS = (2, 3)


def load_invitations(path: Path = INVITATIONS_PATH) -> dict[str, str]:
    """Invitation texts by language."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _spread(key: str, low: int, high: int) -> int:
    """A stable pick in [low, high] for `key`, so invitations spread over the range instead of bunching."""
    digest = hashlib.sha256(key.encode()).digest()
    return low + int.from_bytes(digest[:4], "big") % (high - low + 1)


def tier_of(order: Order) -> Tier:
    return Tier.VIP if order.annual_spend_usd > VIP_ANNUAL_SPEND_USD else Tier.STANDARD


def schedule(order: Order) -> Schedule:
    """When to invite the buyer of a delivered order.

    3–5 days after delivery for platform-fulfilled orders, 7–10 for merchant-fulfilled ones; 2–3
    days later when a public holiday of the market falls between delivery and two days after the
    planned day; never during the market's quiet hours (night, holidays).
    """
    calendar = load_calendar(marketplace=order.marketplace)
    low, high = DELAY_DAYS[order.fulfilment]
    base = _spread(f"{order.tenant_id}:{order.order_id}:base", low, high)
    planned = order.delivered_at + timedelta(days=base)
    local_delivery = order.delivered_at.astimezone(calendar.tz).date()
    local_planned = planned.astimezone(calendar.tz).date()
    names = []
    day = local_delivery
    while day <= local_planned + timedelta(days=2):
        name = calendar.holiday_name(day)
        if name:
            names.append(f"{day.isoformat()} {name}")
        day += timedelta(days=1)
    extra = _spread(f"{order.tenant_id}:{order.order_id}:holiday", *HOLIDAY_EXTRA_DAYS) if names else 0
    send_at = next_allowed_send(planned + timedelta(days=extra), calendar)
    tier = tier_of(order)
    return Schedule(send_at=send_at, tier=tier, channels=CHANNELS[tier], base_days=base, holiday_days=extra, holidays=tuple(names))


def render_invitation(*, language: str, order_id: str, product_name: str, texts: Mapping[str, str]) -> str:
    """The invitation in the buyer's language (English when there is none in it)."""
    source = texts.get(language) or texts["en"]
    return render_source(source, context={"order_id": order_id, "product_name": product_name}, environment=make_environment())
