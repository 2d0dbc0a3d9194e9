"""What the gateway refuses at its edge, defined once for every request body.

Every request model derives from `RequestModel`:

- JSON types are kept: strict mode refuses "5" for an integer, "true" for a boolean, 1 for a
  string (an integer is still a valid float). Timestamps are ISO 8601 strings (`IsoDatetime`),
  the one place where JSON text stands for another type.
- Texts anywhere in a body (fields, list items, dict keys and values) may not hold NUL characters
  or unpaired UTF-16 surrogates (a JSON escape such as "\\ud800"): PostgreSQL and protobuf refuse
  both, so they would fail later as a 500 instead of a 422 naming the field.
- Integers must fit in 64 bits (the protos' widest integer).
- Unknown fields are refused, so typos do not pass silently.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Request
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from libs.errors import FieldViolation, InvalidArgument

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _iso_text(value: Any) -> Any:
    if isinstance(value, (str, datetime)):
        return value
    raise PydanticCustomError("datetime_type", "must be an ISO 8601 date-time string with a time zone")


# NOTE: strict mode would refuse every string here (FastAPI validates the parsed JSON in Python
# mode); ISO text is the JSON form of a timestamp, so only this type is lax, and only for strings.
IsoDatetime = Annotated[AwareDatetime, Field(strict=False), BeforeValidator(_iso_text)]


def text_problem(value: str) -> str | None:
    """Why a text cannot be stored as is, or None."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain unpaired surrogates (not valid Unicode text)"
    return None


def _problem(value: Any, where: str = "") -> str | None:
    """The first unsafe text or integer inside a parsed JSON value, with where it sits."""
    if isinstance(value, BaseModel):
        return None  # a nested request model checked its own fields
    if isinstance(value, str):
        problem = text_problem(value)
        return f"{where} {problem}" if problem and where else problem
    if isinstance(value, int) and not isinstance(value, bool):
        if INT64_MIN <= value <= INT64_MAX:
            return None
        return f"{where} must fit in 64 bits" if where else "must fit in 64 bits"
    if isinstance(value, (list, tuple, set, frozenset)):
        for i, item in enumerate(value):
            if problem := _problem(item, f"{where}[{i}]"):
                return problem
    elif isinstance(value, dict):
        for key, item in value.items():
            if problem := _problem(key, f"{where} (a key)" if where else "a key") or _problem(item, f"{where}.{key}" if where else str(key)):
                return problem
    return None


def _storable(value: Any) -> Any:
    if problem := _problem(value):
        raise PydanticCustomError("unsafe_value", problem)
    return value


# A free-form JSON object body (a policy, a receiver's config), held to the same rules.
JsonObject = Annotated[dict[str, Any], AfterValidator(_storable)]


class RequestModel(BaseModel):
    """Base of every request body the gateway accepts (see the module's docstring)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _storable(value)


def refuse_unsafe_parameters(request: Request) -> None:
    """The body's rule for texts, applied to query and path parameters (a `%00` in a filter would
    reach PostgreSQL and fail there as a 502): a 422 naming the parameter."""
    found = [
        FieldViolation(name, problem)
        for name, value in [*request.path_params.items(), *request.query_params.multi_items()]
        if isinstance(value, str) and (problem := text_problem(value))
    ]
    if found:
        raise InvalidArgument(f"{len(found)} invalid parameter(s); nothing was done", found)
