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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def approval_threshold(self) -> Decimal:
        return Decimal(str(self.approval_threshold_usd))


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
