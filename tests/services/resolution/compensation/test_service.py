"""Compensation ladder: the remedy per issue, VIP extras, cross-border refunds, the 150% cap, approval."""

from __future__ import annotations

from decimal import Decimal

import pytest

from libs.errors import InvalidArgument
from services.resolution.compensation.models import CompensationPolicy, ComponentKind, Money
from services.resolution.compensation.service import recommend


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def kinds(offer) -> dict[ComponentKind, Money]:
    return {c.kind: c.cost for c in offer.components}


def test_minor_issue_gets_a_partial_refund_sized_to_the_customer() -> None:
    small = recommend(issue="minor", order_value=usd("50"), annual_spend=usd("100"))
    assert small.chosen.option == "partial_refund_20"
    assert kinds(small.chosen) == {ComponentKind.PARTIAL_REFUND: usd("10.00")}
    assert {c.option for c in small.candidates} == {"partial_refund_10", "partial_refund_20", "partial_refund_30"}
    one_off = recommend(issue="minor", order_value=usd("20"))
    assert one_off.chosen.option == "partial_refund_10" and one_off.chosen.total == usd("2.00")
    assert not one_off.vip


def test_quality_issue_is_a_full_refund_plus_cross_border_shipping_and_duties() -> None:
    rec = recommend(
        issue="quality", order_value=eur("80"), cross_border=True, shipping_paid=eur("12.50"), duties_paid=eur("9.90"), usd_rate=Decimal("1.08")
    )
    assert kinds(rec.chosen) == {
        ComponentKind.FULL_REFUND: eur("80.00"),
        ComponentKind.SHIPPING_REFUND: eur("12.50"),
        ComponentKind.DUTY_REFUND: eur("9.90"),
    }
    assert rec.chosen.total == eur("102.40")
    domestic = recommend(issue="quality", order_value=eur("80"), shipping_paid=eur("12.50"), usd_rate=Decimal("1.08"))
    assert kinds(domestic.chosen) == {ComponentKind.FULL_REFUND: eur("80.00")}


def test_damaged_item_is_reshipped_with_a_15_percent_code() -> None:
    rec = recommend(issue="damaged", order_value=usd("60"), annual_spend=usd("300"), reship_cost=usd("35"))
    assert rec.chosen.option == "reship_with_discount"
    assert kinds(rec.chosen) == {ComponentKind.RESHIP: usd("35.00"), ComponentKind.DISCOUNT_CODE: usd("9.00")}
    code = next(c for c in rec.chosen.components if c.kind is ComponentKind.DISCOUNT_CODE)
    assert code.percent == 15
    # 0.45 × 300 − 44 = 91
    assert rec.chosen.net_value == usd("91.00")


def test_vip_gets_an_upgrade_and_a_higher_partial_refund() -> None:
    rec = recommend(issue="minor", order_value=eur("100"), annual_spend=eur("700"), usd_rate=Decimal("1.10"))
    assert rec.vip  # 700 EUR = 770 USD > 500 USD
    assert rec.chosen.option == "partial_refund_30"
    assert kinds(rec.chosen)[ComponentKind.VIP_UPGRADE] == eur("9.09")  # 10 USD at 1.10 USD/EUR
    not_vip = recommend(issue="minor", order_value=eur("100"), annual_spend=eur("450"), usd_rate=Decimal("1.10"))
    assert not not_vip.vip and ComponentKind.VIP_UPGRADE not in kinds(not_vip.chosen)


def test_total_is_capped_at_150_percent_and_the_cut_is_reported() -> None:
    rec = recommend(
        issue="wrong_item",
        order_value=eur("100"),
        annual_spend=eur("900"),
        cross_border=True,
        duties_paid=eur("25"),
        reship_cost=eur("118"),
        usd_rate=Decimal("1.08"),
    )
    offer = rec.chosen
    # reship 118 + code 15 + duties 25 + VIP upgrade 9.26 = 167.26 > cap 150.00
    assert offer.cap == eur("150.00")
    assert offer.total == eur("150.00")
    assert [(c.kind, c.before, c.after) for c in offer.cuts] == [
        (ComponentKind.VIP_UPGRADE, eur("9.26"), eur("0.00")),
        (ComponentKind.DISCOUNT_CODE, eur("15.00"), eur("7.00")),
    ]
    assert offer.capped and "capped at 150% of the order (150.00 EUR)" in rec.rationale
    assert all(c.total.amount <= Decimal("150.00") for c in rec.candidates)


def test_approval_is_required_above_the_tenant_threshold() -> None:
    policy = CompensationPolicy(approval_threshold_usd=Decimal("50"))
    rec = recommend(issue="quality", order_value=usd("49.99"), policy=policy)
    assert not rec.chosen.requires_approval
    rec = recommend(issue="quality", order_value=usd("50.01"), policy=policy)
    assert rec.chosen.requires_approval and "needs approval above 50.00 USD" in rec.rationale


def test_yen_amounts_have_no_decimals() -> None:
    rec = recommend(issue="minor", order_value=Money.of("5980", "JPY"), annual_spend=Money.of("12000", "JPY"), usd_rate=Decimal("0.0067"))
    assert rec.chosen.total.amount == rec.chosen.total.amount.to_integral_value()
    assert str(rec.chosen.total).endswith(" JPY")


def test_foreign_currency_needs_a_usd_rate_and_matching_currencies() -> None:
    with pytest.raises(InvalidArgument, match="usd_rate"):
        recommend(issue="minor", order_value=eur("10"))
    with pytest.raises(InvalidArgument, match="annual_spend must be in EUR"):
        recommend(issue="minor", order_value=eur("10"), annual_spend=usd("10"), usd_rate=Decimal("1.1"))
    with pytest.raises(ValueError, match="10–30%"):
        CompensationPolicy(partial_refund_uplift={5: Decimal("0.1")})
