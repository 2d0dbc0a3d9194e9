"""Builds the candidate remedies of the SPEC ladder, caps them, and picks the best value."""

from __future__ import annotations

import logging
from decimal import Decimal

from libs.errors import FieldViolation, InvalidArgument
from services.resolution.compensation.models import (
    CUT_ORDER,
    CapCut,
    CompensationPolicy,
    ComponentKind,
    IssueKind,
    Money,
    Offer,
    OfferComponent,
    Recommendation,
)

log = logging.getLogger(__name__)


def _usd_rate(currency: str, usd_rate: Decimal | None) -> Decimal:
    if currency == "USD":
        return Decimal(1)
    if usd_rate is None or usd_rate <= 0:
        raise InvalidArgument(
            f"usd_rate is needed for orders in {currency}: VIP and approval thresholds are in USD",
            [FieldViolation("usd_rate", "USD per unit of the order currency")],
        )
    return Decimal(usd_rate)


def _cross_border_refunds(
    *, cross_border: bool, shipping_paid: Money | None, duties_paid: Money | None, shipping: bool
) -> list[OfferComponent]:
    """Shipping and import duties the buyer paid and loses, refunded on cross-border orders."""
    lines = []
    if not cross_border:
        return lines
    if shipping and shipping_paid is not None and shipping_paid.amount > 0:
        lines.append(OfferComponent(ComponentKind.SHIPPING_REFUND, shipping_paid, "international shipping the buyer paid"))
    if duties_paid is not None and duties_paid.amount > 0:
        lines.append(OfferComponent(ComponentKind.DUTY_REFUND, duties_paid, "import duties and taxes the buyer paid"))
    return lines


def _apply_cap(components: list[OfferComponent], cap: Money) -> tuple[list[OfferComponent], list[CapCut]]:
    """Trims components, extras first, until their total is within the cap."""
    total = sum((c.cost for c in components), Money.zero(cap.currency))
    excess = total - cap
    cuts: list[CapCut] = []
    if excess.amount <= 0:
        return components, cuts
    trimmed = list(components)
    for kind in CUT_ORDER:
        for index, component in enumerate(trimmed):
            if component.kind != kind or excess.amount <= 0:
                continue
            take = min(component.cost, excess)
            after = component.cost - take
            cuts.append(CapCut(kind=kind, before=component.cost, after=after))
            trimmed[index] = OfferComponent(kind, after, component.detail + " (reduced by the cap)", component.percent)
            excess = excess - take
    return [c for c in trimmed if c.cost.amount > 0], cuts


def _offer(
    *,
    option: str,
    components: list[OfferComponent],
    uplift: Decimal,
    customer_value: Money,
    cap: Money,
    approval_threshold: Money,
) -> Offer:
    kept, cuts = _apply_cap(components, cap)
    total = sum((c.cost for c in kept), Money.zero(cap.currency))
    expected = customer_value.times(uplift)
    return Offer(
        option=option,
        components=tuple(kept),
        total=total,
        cap=cap,
        cuts=tuple(cuts),
        requires_approval=total.amount > approval_threshold.amount,
        retention_uplift=uplift,
        expected_retention_value=expected,
        net_value=expected - total,
    )


def recommend(
    *,
    issue: IssueKind | str,
    order_value: Money,
    annual_spend: Money | None = None,
    cross_border: bool = False,
    shipping_paid: Money | None = None,
    duties_paid: Money | None = None,
    reship_cost: Money | None = None,
    usd_rate: Decimal | None = None,
    policy: CompensationPolicy = CompensationPolicy(),
) -> Recommendation:
    """The compensation to offer for an issue, with the candidates it was chosen from.

    Args:
        issue: minor (partial refund 10–30%), quality (full refund), damaged / wrong_item (reship
            plus a discount code, or a full refund).
        order_value: what the buyer paid for the goods; the cap is `policy.cap_ratio` of it.
        annual_spend: the buyer's spend over the last year, same currency; above $500 is VIP.
        cross_border: refund international shipping and duties the buyer paid and loses.
        reship_cost: our cost to send a replacement (goods + shipping + duties); defaults to the order value.
        usd_rate: USD per unit of the order currency, for the USD thresholds; not needed for USD.
    """
    issue = IssueKind(issue)
    currency = order_value.currency
    if order_value.amount <= 0:
        raise InvalidArgument("order_value must be positive", [FieldViolation("order_value", "must be > 0")])
    for name, money in (("annual_spend", annual_spend), ("shipping_paid", shipping_paid), ("duties_paid", duties_paid), ("reship_cost", reship_cost)):
        if money is not None and money.currency != currency:
            raise InvalidArgument(f"{name} must be in {currency}", [FieldViolation(name, f"currency {money.currency} != {currency}")])
    rate = _usd_rate(currency, usd_rate)
    spend = annual_spend or Money.zero(currency)
    vip = spend.amount * rate > policy.vip_annual_spend_usd
    customer_value = max(spend, order_value).times(policy.value_horizon_years)
    cap = order_value.times(policy.cap_ratio)
    approval_threshold = Money(policy.approval_threshold_usd / rate, currency)
    upgrade = (
        [OfferComponent(ComponentKind.VIP_UPGRADE, Money(policy.vip_upgrade_cost_usd / rate, currency), "VIP upgrade: express shipping and priority care")]
        if vip
        else []
    )
    vip_uplift = policy.vip_upgrade_uplift if vip else Decimal(0)

    options: list[tuple[str, list[OfferComponent], Decimal]] = []
    full_refund = [
        OfferComponent(ComponentKind.FULL_REFUND, order_value, "refund of the full order amount", 100),
        *_cross_border_refunds(cross_border=cross_border, shipping_paid=shipping_paid, duties_paid=duties_paid, shipping=True),
    ]
    if issue is IssueKind.MINOR:
        for percent, uplift in sorted(policy.partial_refund_uplift.items()):
            refund = OfferComponent(ComponentKind.PARTIAL_REFUND, order_value.times(Decimal(percent) / 100), f"{percent}% partial refund", percent)
            options.append((f"partial_refund_{percent}", [refund], uplift))
    elif issue is IssueKind.QUALITY:
        options.append(("full_refund", full_refund, policy.full_refund_uplift))
    else:
        code_percent = policy.discount_code_percent
        reship = [
            OfferComponent(ComponentKind.RESHIP, reship_cost or order_value, "replacement shipped at our cost"),
            # NOTE: the code is costed at face value on an order of the same size: an upper bound.
            OfferComponent(ComponentKind.DISCOUNT_CODE, order_value.times(Decimal(code_percent) / 100), f"{code_percent}% discount code for the next order", code_percent),
            *_cross_border_refunds(cross_border=cross_border, shipping_paid=shipping_paid, duties_paid=duties_paid, shipping=False),
        ]
        options.append(("reship_with_discount", reship, policy.reship_uplift))
        options.append(("full_refund", full_refund, policy.full_refund_uplift))

    candidates = tuple(
        _offer(
            option=name,
            components=[*components, *upgrade],
            uplift=uplift + vip_uplift,
            customer_value=customer_value,
            cap=cap,
            approval_threshold=approval_threshold,
        )
        for name, components, uplift in options
    )
    chosen = max(candidates, key=lambda o: (o.net_value.amount, -o.total.amount))
    rationale = (
        f"{chosen.option}: expected retention {chosen.retention_uplift} × customer value {customer_value} "
        f"= {chosen.expected_retention_value}, cost {chosen.total}, net {chosen.net_value}"
    )
    if chosen.capped:
        cut = ", ".join(f"{c.kind} {c.before} → {c.after}" for c in chosen.cuts)
        rationale += f"; capped at {policy.cap_ratio * 100:.0f}% of the order ({cap}): {cut}"
    if chosen.requires_approval:
        rationale += f"; needs approval above {approval_threshold}"
    log.debug("compensation for %s: %s", issue, rationale)
    return Recommendation(chosen=chosen, candidates=candidates, customer_value=customer_value, vip=vip, rationale=rationale)


def convert(amount: Money, to_currency: str, *, usd_rates: dict[str, Decimal | None]) -> Money:
    """`amount` in `to_currency` through explicit USD rates; refuses when either rate is unknown."""
    to_currency = to_currency.upper()
    if amount.currency == to_currency:
        return amount
    missing = [c for c in (amount.currency, to_currency) if usd_rates.get(c) is None]
    if missing:
        raise InvalidArgument(
            f"no exchange rate for {' and '.join(missing)}: add it to the policy's fx_usd_rates (USD per unit) to convert "
            f"{amount.currency} to {to_currency}",
            [FieldViolation("fx_usd_rates", f"missing {', '.join(missing)}")],
        )
    return Money(amount.amount * usd_rates[amount.currency] / usd_rates[to_currency], to_currency)


# NOTE: options that send goods rather than money; the no-order ceiling is for cash.
_GOODS = ("reship", "replacement", "exchange")


def is_cash(option: str) -> bool:
    return not any(word in option.lower() for word in _GOODS)


def check_cap(*, cost: Money, cost_usd: Decimal, order_value: Money | None, committed: Money | None, cap_ratio: Decimal,
              no_order_ceiling_usd: Decimal, usd_rates: dict[str, Decimal | None], cash: bool = True) -> Money | None:
    """Refuses an offer above the ladder's cap; returns its cost in the order's currency.

    Each offer, and the offers of a case together, stay within `cap_ratio` of the order value;
    without a known order value a cash offer stays within the tenant's ceiling.

    Raises:
        InvalidArgument: the offer (or the case's total with it) exceeds the cap, or a rate is missing.
    """
    if order_value is None:
        if cash and cost_usd > no_order_ceiling_usd:
            raise InvalidArgument(
                f"the order value of this case is unknown, so a cash offer is limited to {no_order_ceiling_usd} USD "
                f"(this one is {cost_usd} USD); link the order (POST /v1/orders, or the case's order_id) to use the "
                f"{cap_ratio * 100:.0f}% cap",
                [FieldViolation("cost", f"above the {no_order_ceiling_usd} USD ceiling for cases without an order value")],
            )
        return None
    in_order = convert(cost, order_value.currency, usd_rates=usd_rates)
    cap = order_value.times(cap_ratio)
    shown = f" ({cost})" if cost.currency != in_order.currency else ""
    if in_order.amount > cap.amount:
        raise InvalidArgument(
            f"offer of {in_order}{shown} exceeds the cap of {cap} ({cap_ratio * 100:.0f}% of the order value {order_value})",
            [FieldViolation("cost", f"at most {cap}")],
        )
    total = (committed or Money.zero(order_value.currency)) + in_order
    if total.amount > cap.amount:
        left = cap - (committed or Money.zero(order_value.currency))
        raise InvalidArgument(
            f"offer of {in_order}{shown} with the {committed} already offered on this case exceeds the cap of {cap} "
            f"({cap_ratio * 100:.0f}% of the order value {order_value}); at most {left} is left",
            [FieldViolation("cost", f"at most {left} left under the cap")],
        )
    return in_order
