"""Opaque keyset page tokens for list calls ordered by (timestamp desc, id desc)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from libs.errors import FieldViolation, InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

T = TypeVar("T")


def page_size(requested: int) -> int:
    if requested < 0 or requested > MAX_PAGE_SIZE:
        raise InvalidArgument(
            f"page_size must be 1 to {MAX_PAGE_SIZE}", [FieldViolation("page_size", f"1 to {MAX_PAGE_SIZE}")]
        )
    return requested or DEFAULT_PAGE_SIZE


def encode(at: datetime, row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode()


def decode(token: str) -> tuple[datetime, uuid.UUID] | None:
    """The position a token stands for; None for the first page."""
    if not token:
        return None
    try:
        at, row_id = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        return datetime.fromisoformat(at), uuid.UUID(row_id)
    except (ValueError, UnicodeDecodeError):
        raise InvalidArgument("page_token is not one this API issued", [FieldViolation("page_token", "invalid")]) from None


def page(rows: Sequence[T], limit: int, *, key: Callable[[T], tuple[datetime, uuid.UUID]]) -> tuple[list[T], str]:
    """The page of `rows` fetched with `limit + 1` (the extra row says whether more follow), and the
    token of the next page, built from `key` of the page's last row ("" on the last page)."""
    if len(rows) <= limit:
        return list(rows), ""
    return list(rows[:limit]), encode(*key(rows[limit - 1]))
