"""A tenant's resolution policy; defaults come from the settings (SPEC §5 numbers)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal
from typing import Any

from libs.errors import FieldViolation, InvalidArgument

CLOCKS = ("elapsed", "business")


@dataclass(frozen=True)
class TenantPolicy:
    """SLA hours per severity, the clock they run on, warnings, and the compensation approval threshold.

    `sla_clock` "elapsed" counts wall-clock hours; "business" counts working hours of the case's
    market calendar (09:00–18:00 local, Monday to Friday, the market's public holidays off).
    """

    sla_high_hours: float = 6.0
    sla_normal_hours: float = 12.0
    sla_first_response_hours: float = 24.0
    sla_clock: str = "elapsed"
    # How long before a due time the warning goes out.
    sla_warning_minutes: float = 60.0
    # Offers costing more than this (USD) wait for approval.
    approval_threshold_usd: float = 100.0
    # Texts of review invitations by language, replacing the built-in ones (Jinja2: order_id, product_name).
    invitation_texts: dict[str, str] | None = None
    # Compensation ladder (SPEC §5): every offer, and all offers of a case together, stay within
    # this share of the order value.
    compensation_cap_ratio: float = 1.5
    # A case whose order value is unknown gets no cash offer above this (USD).
    no_order_cash_ceiling_usd: float = 25.0
    # Explicit exchange rates, USD per unit of each currency (e.g. {"EUR": 1.08}); an offer in a
    # currency with no rate here (or in the request) is refused rather than converted by a guess.
    fx_usd_rates: dict[str, float] | None = None
    # Per-agent approval limits (USD) by agent name; others use approval_threshold_usd.
    agent_limits_usd: dict[str, float] | None = None
    # A buyer spending more than this a year (USD) is a VIP.
    vip_annual_spend_usd: float = 500.0
    # No review request goes to a customer who left a negative review (≤ 2 stars) in this many days.
    review_request_quiet_days: float = 90.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def approval_threshold(self) -> Decimal:
        return Decimal(str(self.approval_threshold_usd))

    def approval_limit(self, agent: str) -> Decimal:
        """What `agent` may offer without approval (USD)."""
        limit = (self.agent_limits_usd or {}).get(agent)
        return Decimal(str(limit)) if limit is not None else self.approval_threshold

    def usd_rate(self, currency: str) -> Decimal | None:
        """USD per unit of `currency` from the policy's rate table; None when it has none."""
        if currency.upper() == "USD":
            return Decimal(1)
        rate = (self.fx_usd_rates or {}).get(currency.upper())
        return Decimal(str(rate)) if rate is not None else None


def parse_policy(data: Any, *, defaults: TenantPolicy) -> TenantPolicy:
    """The policy `data` describes over `defaults`; every bad field is named in one InvalidArgument."""
    if not isinstance(data, dict):
        raise InvalidArgument("policy must be a JSON object", [FieldViolation("policy", "not an object")])
    known = {f.name for f in fields(TenantPolicy)}
    violations = [FieldViolation(k, "unknown field") for k in data if k not in known]
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            continue
        if key == "sla_clock":
            if value not in CLOCKS:
                violations.append(FieldViolation(key, f"one of {', '.join(CLOCKS)}"))
            values[key] = value
        elif key in ("fx_usd_rates", "agent_limits_usd"):
            if value is not None and not (
                isinstance(value, dict)
                and all(isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for k, v in value.items())
            ):
                violations.append(FieldViolation(key, "an object of name → positive number"))
            elif value is not None and key == "fx_usd_rates":
                value = {k.upper(): float(v) for k, v in value.items()}
            values[key] = value
        elif key == "invitation_texts":
            if value is not None and not (isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())):
                violations.append(FieldViolation(key, "an object of language → text"))
            values[key] = value
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                violations.append(FieldViolation(key, "a positive number"))
            values[key] = float(value) if isinstance(value, (int, float)) else value
    policy = replace(defaults, **values) if not violations else defaults
    if not violations and policy.sla_high_hours > policy.sla_normal_hours:
        violations.append(FieldViolation("sla_high_hours", "must not exceed sla_normal_hours"))
    if violations:
        raise InvalidArgument(f"{len(violations)} invalid policy field(s); nothing was changed", violations)
    return policy
