"""The canonical review record: validation of submissions and conversion to and from storage."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import asyncpg

from google.protobuf.timestamp_pb2 import Timestamp

from libs.errors import FieldViolation
from reviewguard.ingest.v1 import review_pb2

_PLATFORM = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
_MARKETPLACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
MAX_ID_CHARS = 200
_MAX_SHORT_CHARS = 200
MAX_MEDIA = 20
MAX_URL_CHARS = 2000
# NOTE: platforms' clocks drift and time zones get mislabeled; beyond a day ahead is a bad record.
MAX_CLOCK_SKEW = timedelta(days=1)
EARLIEST = datetime(1995, 1, 1, tzinfo=timezone.utc)

STATUSES = ("published", "removed")
# How a review reached ReviewGuard; capture lag is reported per channel.
CHANNELS = ("api", "import", "webhook", "pull", "backfill")
# NOTE: below this many letters and digits ("Great!", "ok") equal texts say nothing about
# syndication, so such reviews get no group.
_MIN_SYNDICATION_CHARS = 20
_NOT_WORD = re.compile(r"[\W_]+")


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def timestamp(value: datetime) -> Timestamp:
    """The protobuf Timestamp of an aware datetime (a naive one is taken as UTC).

    NOTE: the same result as Timestamp.FromDatetime, which goes through a time tuple and was, with
    ToDatetime, a sixth of an import's CPU time.
    """
    delta = (value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)) - _EPOCH
    return Timestamp(seconds=delta.days * 86400 + delta.seconds, nanos=delta.microseconds * 1000)


def utc(value: Timestamp) -> datetime:
    """An aware UTC datetime from a protobuf Timestamp (to the microsecond, like ToDatetime)."""
    return _EPOCH + timedelta(seconds=value.seconds, microseconds=value.nanos // 1000)


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
        elif len(value) > MAX_ID_CHARS:
            fail(field, f"must be at most {MAX_ID_CHARS} characters")
    for field in ("store_id", "product_line", "order_id", "reply_state"):
        if len(getattr(review, field)) > _MAX_SHORT_CHARS:
            fail(field, f"must be at most {_MAX_SHORT_CHARS} characters")
    if len(review.reviewer.id) > MAX_ID_CHARS or len(review.reviewer.name) > _MAX_SHORT_CHARS:
        fail("reviewer", f"id and name must be at most {MAX_ID_CHARS} characters")
    if not 1 <= review.rating <= 5:
        fail("rating", f"must be a whole number of stars from 1 to 5, got {review.rating}")
    if len(review.title) > limits.max_title_chars:
        fail("title", f"must be at most {limits.max_title_chars} characters, got {len(review.title)}")
    if len(review.body) > limits.max_body_chars:
        fail("body", f"must be at most {limits.max_body_chars} characters, got {len(review.body)}")
    if not review.title.strip() and not review.body.strip():
        fail("body", "a review needs a title or a body")
    # NOTE: PostgreSQL text cannot hold NUL; caught here it is this row's error, not a failed COPY
    # of the whole import.
    texts = {
        "title": review.title, "body": review.body, "external_id": review.external_id, "product_id": review.product_id,
        "store_id": review.store_id, "product_line": review.product_line, "order_id": review.order_id,
        "reply_state": review.reply_state, "reviewer": review.reviewer.id + review.reviewer.name,
        "media_urls": "".join(review.media_urls),
    }  # fmt: skip
    for field, value in texts.items():
        if "\x00" in value:
            fail(field, "must not contain NUL characters")
    if review.language and not _LANGUAGE.match(review.language):
        fail("language", "must be a BCP 47 tag such as 'de' or 'pt-BR'")
    if not review.HasField("posted_at"):
        fail("posted_at", "is required")
    else:
        posted = utc(review.posted_at)
        if posted > now + MAX_CLOCK_SKEW:
            fail("posted_at", "is in the future")
        elif posted < EARLIEST:
            fail("posted_at", "is before 1995")
    if review.status and review.status not in STATUSES:
        fail("status", f"must be one of {', '.join(STATUSES)}")
    if len(review.media_urls) > MAX_MEDIA:
        fail("media_urls", f"at most {MAX_MEDIA} media per review")
    elif any(len(u) > MAX_URL_CHARS or not u.startswith(("http://", "https://")) for u in review.media_urls):
        fail("media_urls", "each must be an http(s) URL of at most 2000 characters")
    return bad


def syndication_group(*, title: str, body: str, product_id: str, reviewer: str) -> str:
    """The key shared by copies of one review on several marketplaces; '' for too short a text.

    NOTE: syndication is one reviewer's review shown on several marketplaces, so a review without a
    known reviewer gets no group: equal texts from unknown or different accounts are near-duplicates
    (a fake-review signal the NLP service reports), not one review counted twice.
    """
    text = _NOT_WORD.sub("", unicodedata.normalize("NFKC", f"{title} {body}").casefold())
    who = _NOT_WORD.sub("", unicodedata.normalize("NFKC", reviewer).casefold())
    if len(text) < _MIN_SYNDICATION_CHARS or not who:
        return ""
    return hashlib.sha256(f"{product_id.strip().casefold()}|{who}|{text}".encode()).hexdigest()[:32]


def to_row(review: review_pb2.Review, *, channel: str = "api", source_id: str = "") -> dict:
    """The storage form of a validated submission (its content hash is computed by the database)."""
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
        "posted_at": utc(review.posted_at),
        "verified_purchase": review.verified_purchase,
        "media_urls": list(review.media_urls),
        "reply_state": review.reply_state or "none",
        "competitor": review.competitor,
    }
    row["status"] = review.status or "published"
    row["syndication_group"] = syndication_group(
        title=row["title"], body=row["body"], product_id=row["product_id"], reviewer=row["reviewer_name"] or row["reviewer_id"]
    )
    row["channel"] = channel
    row["source_id"] = uuid.UUID(source_id) if source_id else None
    row["history"] = False
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
        status=row["status"],
    )
    review.posted_at.FromDatetime(row["posted_at"])
    if "captured_at" in row.keys():
        review.captured_at.FromDatetime(row["captured_at"])
    if "syndication_group" in row.keys():
        review.syndication_group = row["syndication_group"]
        review.syndicated_from = str(row["syndicated_from"] or "")
        review.source_id = str(row["source_id"] or "")
    if "history" in row.keys():
        review.history = row["history"]
    return review


def stored_review(
    row: dict, *, tenant_id: str, id: uuid.UUID, version: int, captured_at: datetime, syndicated_from: uuid.UUID | None
) -> review_pb2.Review:
    """The proto form of a review just written from `row` (a `to_row` result), equal to `from_row` of it.

    NOTE: built from what was submitted plus what the database assigned, so a stored batch is not
    read back (a 100,000-row import would otherwise fetch every column twice).
    """
    review = review_pb2.Review(
        id=str(id), tenant_id=tenant_id, platform=row["platform"], marketplace=row["marketplace"], store_id=row["store_id"],
        external_id=row["external_id"], product_id=row["product_id"], product_line=row["product_line"],
        order_id=row["order_id"], reviewer=review_pb2.Reviewer(id=row["reviewer_id"], name=row["reviewer_name"]),
        rating=row["rating"], title=row["title"], body=row["body"], language=row["language"],
        verified_purchase=row["verified_purchase"], media_urls=row["media_urls"], reply_state=row["reply_state"],
        version=version, competitor=row["competitor"], status=row["status"], syndication_group=row["syndication_group"],
        syndicated_from=str(syndicated_from or ""), source_id=str(row["source_id"] or ""), history=row["history"],
        posted_at=timestamp(row["posted_at"]), captured_at=timestamp(captured_at),
    )  # fmt: skip
    return review
