"""The canonical review record: validation of submissions and conversion to and from storage."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import asyncpg

from libs.errors import FieldViolation
from reviewguard.ingest.v1 import review_pb2

_PLATFORM = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
_MARKETPLACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
_MAX_ID_CHARS = 200
_MAX_SHORT_CHARS = 200
_MAX_MEDIA = 20
_MAX_URL_CHARS = 2000
# NOTE: platforms' clocks drift and time zones get mislabeled; beyond a day ahead is a bad record.
_MAX_CLOCK_SKEW = timedelta(days=1)
_EARLIEST = datetime(1995, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Limits:
    max_title_chars: int
    max_body_chars: int


def validate(review: review_pb2.Review, *, path: str, limits: Limits, now: datetime) -> list[FieldViolation]:
    """Every reason the submitted review cannot be stored, each naming its field."""
    bad: list[FieldViolation] = []

    def fail(field: str, why: str) -> None:
        bad.append(FieldViolation(f"{path}.{field}", why))

    if not review.platform:
        fail("platform", "is required")
    elif not _PLATFORM.match(review.platform):
        fail("platform", "must be a lowercase platform name such as 'amazon' (letters, digits, . _ -)")
    if not review.marketplace:
        fail("marketplace", "is required")
    elif not _MARKETPLACE.match(review.marketplace):
        fail("marketplace", "must be a marketplace or country code such as 'DE' or 'amazon.de'")
    for field in ("external_id", "product_id"):
        value = getattr(review, field)
        if not value.strip():
            fail(field, "is required")
        elif len(value) > _MAX_ID_CHARS:
            fail(field, f"must be at most {_MAX_ID_CHARS} characters")
    for field in ("store_id", "product_line", "order_id", "reply_state"):
        if len(getattr(review, field)) > _MAX_SHORT_CHARS:
            fail(field, f"must be at most {_MAX_SHORT_CHARS} characters")
    if len(review.reviewer.id) > _MAX_ID_CHARS or len(review.reviewer.name) > _MAX_SHORT_CHARS:
        fail("reviewer", f"id and name must be at most {_MAX_ID_CHARS} characters")
    if not 1 <= review.rating <= 5:
        fail("rating", f"must be a whole number of stars from 1 to 5, got {review.rating}")
    if len(review.title) > limits.max_title_chars:
        fail("title", f"must be at most {limits.max_title_chars} characters, got {len(review.title)}")
    if len(review.body) > limits.max_body_chars:
        fail("body", f"must be at most {limits.max_body_chars} characters, got {len(review.body)}")
    if not review.title.strip() and not review.body.strip():
        fail("body", "a review needs a title or a body")
    if "\x00" in review.title or "\x00" in review.body:
        fail("body", "must not contain NUL characters")
    if review.language and not _LANGUAGE.match(review.language):
        fail("language", "must be a BCP 47 tag such as 'de' or 'pt-BR'")
    if not review.HasField("posted_at"):
        fail("posted_at", "is required")
    else:
        posted = review.posted_at.ToDatetime(tzinfo=timezone.utc)
        if posted > now + _MAX_CLOCK_SKEW:
            fail("posted_at", "is in the future")
        elif posted < _EARLIEST:
            fail("posted_at", "is before 1995")
    if len(review.media_urls) > _MAX_MEDIA:
        fail("media_urls", f"at most {_MAX_MEDIA} media per review")
    elif any(len(u) > _MAX_URL_CHARS or not u.startswith(("http://", "https://")) for u in review.media_urls):
        fail("media_urls", "each must be an http(s) URL of at most 2000 characters")
    return bad


def to_row(review: review_pb2.Review) -> dict:
    """The storage form of a validated submission, with its content hash."""
    row = {
        "platform": review.platform,
        "marketplace": review.marketplace.upper() if len(review.marketplace) <= 3 else review.marketplace.lower(),
        "store_id": review.store_id,
        "external_id": review.external_id.strip(),
        "product_id": review.product_id.strip(),
        "product_line": review.product_line,
        "order_id": review.order_id,
        "reviewer_id": review.reviewer.id,
        "reviewer_name": review.reviewer.name,
        "rating": review.rating,
        "title": review.title.strip(),
        "body": review.body.strip(),
        "language": review.language.replace("_", "-"),
        "posted_at": review.posted_at.ToDatetime(tzinfo=timezone.utc),
        "verified_purchase": review.verified_purchase,
        "media_urls": list(review.media_urls),
        "reply_state": review.reply_state or "none",
        "competitor": review.competitor,
    }
    hashed = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
    row["content_hash"] = hashlib.sha256(json.dumps(hashed, sort_keys=True, ensure_ascii=False).encode()).digest()
    return row


def from_row(row: asyncpg.Record) -> review_pb2.Review:
    """The proto form of a stored review."""
    review = review_pb2.Review(
        id=str(row["id"]),
        tenant_id=str(row["tenant_id"]),
        platform=row["platform"],
        marketplace=row["marketplace"],
        store_id=row["store_id"],
        external_id=row["external_id"],
        product_id=row["product_id"],
        product_line=row["product_line"],
        order_id=row["order_id"],
        reviewer=review_pb2.Reviewer(id=row["reviewer_id"], name=row["reviewer_name"]),
        rating=row["rating"],
        title=row["title"],
        body=row["body"],
        language=row["language"],
        verified_purchase=row["verified_purchase"],
        media_urls=json.loads(row["media_urls"]),
        reply_state=row["reply_state"],
        version=row["version"],
        competitor=row["competitor"],
    )
    review.posted_at.FromDatetime(row["posted_at"])
    review.captured_at.FromDatetime(row["captured_at"])
    return review
