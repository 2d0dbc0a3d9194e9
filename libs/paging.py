"""Opaque keyset page tokens for list calls ordered by (timestamp desc, id desc)."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

from libs.errors import FieldViolation, InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


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
