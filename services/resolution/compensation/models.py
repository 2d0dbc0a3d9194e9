"""Money, the compensation policy (SPEC numbers as defaults) and the offers it produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType

# NOTE: ISO 4217 minor units for the currencies that have none; everything else has cents.
_ZERO_DECIMAL = frozenset({"JPY", "KRW", "CLP", "VND", "ISK", "HUF"})


@dataclass(frozen=True, order=True)
class Money:
    """An amount in a currency, always rounded to the currency's minor unit."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        currency = self.currency.upper()
        exponent = Decimal(1) if currency in _ZERO_DECIMAL else Decimal("0.01")
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "amount", Decimal(self.amount).quantize(exponent, rounding=ROUND_HALF_UP))

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        return cls(Decimal(str(amount)), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def times(self, factor: Decimal | int | str) -> Money:
        return Money(self.amount * Decimal(str(factor)), self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class IssueKind(StrEnum):
    """How bad the problem is for the buyer, in the ladder's terms."""

    MINOR = "minor"
    QUALITY = "quality"
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"


class ComponentKind(StrEnum):
    PARTIAL_REFUND = "partial_refund"
    FULL_REFUND = "full_refund"
    RESHIP = "reship"
    DISCOUNT_CODE = "discount_code"
    VIP_UPGRADE = "vip_upgrade"
    SHIPPING_REFUND = "shipping_refund"
    DUTY_REFUND = "duty_refund"


# NOTE: when the cap bites, the extras go first and the remedy itself last.
CUT_ORDER: tuple[ComponentKind, ...] = (
    ComponentKind.VIP_UPGRADE,
    ComponentKind.DISCOUNT_CODE,
    ComponentKind.SHIPPING_REFUND,
    ComponentKind.DUTY_REFUND,
    ComponentKind.PARTIAL_REFUND,
    ComponentKind.RESHIP,
    ComponentKind.FULL_REFUND,
)


@dataclass(frozen=True)
class CompensationPolicy:
    """A tenant's compensation rules; the defaults are the SPEC §5 numbers.

    Choice model: each option has a retention uplift u (the added probability that the buyer stays
    a customer), and the customer is worth V = max(annual spend, order value) × value_horizon_years
    over the horizon. An option's net value is u × V − cost; the option with the highest net value
    wins (the cheaper one on a tie). Uplifts are tenant-tunable guesses until outcome data exists.
    """

    partial_refund_uplift: MappingProxyType[int, Decimal] = field(
        default_factory=lambda: MappingProxyType({10: Decimal("0.10"), 20: Decimal("0.16"), 30: Decimal("0.20")})
    )
    full_refund_uplift: Decimal = Decimal("0.35")
    reship_uplift: Decimal = Decimal("0.45")
    vip_upgrade_uplift: Decimal = Decimal("0.05")
    discount_code_percent: int = 15
    vip_annual_spend_usd: Decimal = Decimal("500")
    vip_upgrade_cost_usd: Decimal = Decimal("10")
    cap_ratio: Decimal = Decimal("1.5")
    approval_threshold_usd: Decimal = Decimal("100")
    value_horizon_years: Decimal = Decimal("1")

    def __post_init__(self) -> None:
        percents = sorted(self.partial_refund_uplift)
        if not percents or percents[0] < 10 or percents[-1] > 30:
            raise ValueError("partial refunds must lie within 10–30% (SPEC §5)")


@dataclass(frozen=True)
class OfferComponent:
    """One line of an offer's cost breakdown."""

    kind: ComponentKind
    cost: Money
    detail: str
    percent: int | None = None


@dataclass(frozen=True)
class CapCut:
    """What the 150% cap took from one component."""

    kind: ComponentKind
    before: Money
    after: Money


@dataclass(frozen=True)
class Offer:
    """A candidate remedy with its cost breakdown and how it scores."""

    option: str
    components: tuple[OfferComponent, ...]
    total: Money
    cap: Money
    cuts: tuple[CapCut, ...]
    requires_approval: bool
    retention_uplift: Decimal
    expected_retention_value: Money
    net_value: Money

    @property
    def capped(self) -> bool:
        return bool(self.cuts)


@dataclass(frozen=True)
class Recommendation:
    """The chosen offer, the candidates it beat, and the customer facts that shaped it."""

    chosen: Offer
    candidates: tuple[Offer, ...]
    customer_value: Money
    vip: bool
    rationale: str


class OfferStatus(StrEnum):
    """Where an offer stands on the ladder: recommended → pending_approval (above the agent's limit)
    → approved → offered → accepted | declined."""

    RECOMMENDED = "recommended"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"


# Offers whose cost counts toward the case's cap: everything but a declined one (or a mere recommendation).
COMMITTED: frozenset[OfferStatus] = frozenset({OfferStatus.PENDING_APPROVAL, OfferStatus.APPROVED, OfferStatus.OFFERED, OfferStatus.ACCEPTED})
