"""Raw request fields turned into domain values, with the field named when one is wrong."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from libs.errors import FieldViolation, InvalidArgument


def decimal_field(value: str, field: str, *, required: bool = False) -> Decimal | None:
    """A non-negative decimal from its text; None when empty and not required."""
    if not value:
        if required:
            raise InvalidArgument(f"{field} is required", [FieldViolation(field, "required")])
        return None
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise InvalidArgument(f"{field} must be a decimal number", [FieldViolation(field, "not a number")]) from None
    if not result.is_finite() or result < 0:
        raise InvalidArgument(f"{field} must be a non-negative number", [FieldViolation(field, "negative or not finite")])
    return result


def currency_field(value: str, field: str = "currency") -> str:
    currency = (value or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise InvalidArgument("currency must be an ISO 4217 code", [FieldViolation(field, "e.g. EUR")])
    return currency
