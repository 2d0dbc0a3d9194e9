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
# The violation of a page_token the API did not issue; the gateway answers it 400, not 422.
NOT_ISSUED = "invalid"

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
        raise InvalidArgument("page_token is not one this API issued", [FieldViolation("page_token", NOT_ISSUED)]) from None


def page(rows: Sequence[T], limit: int, *, key: Callable[[T], tuple[datetime, uuid.UUID]]) -> tuple[list[T], str]:
    """The page of `rows` fetched with `limit + 1` (the extra row says whether more follow), and the
    token of the next page, built from `key` of the page's last row ("" on the last page)."""
    if len(rows) <= limit:
        return list(rows), ""
    return list(rows[:limit]), encode(*key(rows[limit - 1]))


# NOTE: a window token counts rows from the start of a list that a service answers whole (a
# tenant's teams, a case's events); its "+" prefix keeps it apart from the keyset tokens above.
def window_page(items: Sequence[T], size: int, token: str) -> tuple[list[T], str]:
    """The page of a whole, stably ordered list that `token` stands at, and the next page's token
    ("" on the last page)."""
    start = _window_start(token)
    end = start + page_size(size)
    return list(items[start:end]), _window_token(end) if end < len(items) else ""


def window_end(size: int, token: str) -> int:
    """How many rows, from the start, a service must answer for the page `token` stands at, plus
    one to tell whether more follow (for a list a service answers up to a limit, best first)."""
    return _window_start(token) + page_size(size) + 1


def _window_token(start: int) -> str:
    return base64.urlsafe_b64encode(f"+{start}".encode()).decode()


def _window_start(token: str) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        if text[:1] == "+" and text[1:].isdigit() and _window_token(int(text[1:])) == token:
            return int(text[1:])
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidArgument("page_token is not one this API issued", [FieldViolation("page_token", NOT_ISSUED)])
