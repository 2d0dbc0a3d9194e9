"""How the columns of an export become a Review: presets for known exports and user-defined mappings.

A mapping names, for each Review field, the column (or alternatives, first non-empty wins) it comes
from, plus constants used when a row has no value (platform, marketplace, ...), the date formats
and time zone of its dates, and the scale of its ratings (a 10-point score becomes 1–5 stars).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator

from reviewguard.ingest.v1 import review_pb2
from services.ingest.models import timestamp

# Review fields a column can fill; `reply` is not a field: any non-empty value marks the review replied.
FIELDS = frozenset(
    {
        "platform", "marketplace", "store_id", "external_id", "product_id", "product_line", "order_id",
        "reviewer_id", "reviewer_name", "rating", "title", "body", "language", "posted_at",
        "verified_purchase", "media_urls", "reply_state", "reply",
    }
)  # fmt: skip
_TEXT_FIELDS = ("store_id", "product_line", "order_id", "title", "body", "language", "reply_state")
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "x", "verified", "ja", "oui", "si", "sí", "はい", "是", "wahr", "vrai"})
_NUMBER = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)")
_URL_SPLIT = re.compile(r"[\s,;|]+")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


class RowProblem(ValueError):
    """Why one row cannot become a review; the message is shown to the user as-is."""


class ColumnMapping(BaseModel):
    """A user-defined (or preset) mapping from an export's columns to Review fields.

    Attributes:
        name: shown in summaries.
        columns: Review field -> column name, or a list of alternatives. JSON records may use dotted
            paths ("reviewer.name") into nested objects.
        constants: field -> value used when the row gives none (e.g. {"platform": "amazon"}).
        date_formats: strptime formats tried in order before ISO 8601.
        timezone: IANA zone for dates that carry none.
        rating_scale: the best score of the source scale (5 for stars, 10 for a 10-point score).
        external_id_from: when the export has no review id, these fields are hashed into a stable one.
        hashed: fields stored as a SHA-256 prefix instead of their value (e.g. reviewer e-mail as id).
    """

    name: str = "custom"
    columns: dict[str, str | list[str]]
    constants: dict[str, str | bool] = Field(default_factory=dict)
    date_formats: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    rating_scale: int = Field(default=5, ge=2, le=100)
    external_id_from: list[str] = Field(default_factory=list)
    hashed: list[str] = Field(default_factory=list)

    @field_validator("columns", "constants")
    @classmethod
    def _known_fields(cls, value: dict) -> dict:
        unknown = sorted(set(value) - FIELDS)
        if unknown:
            raise ValueError(f"unknown review field(s) {unknown}; known: {sorted(FIELDS)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _complete(self) -> ColumnMapping:
        for field in ("rating", "posted_at"):
            if field not in self.columns:
                raise ValueError(f"a column for {field} is required")
        for field in ("platform", "marketplace", "product_id"):
            if field not in self.columns and field not in self.constants:
                raise ValueError(f"{field} needs a column or a constant")
        if "external_id" not in self.columns and not self.external_id_from:
            raise ValueError("external_id needs a column, or external_id_from to derive one")
        return self

    def source_columns(self, field: str) -> list[str]:
        names = self.columns.get(field, [])
        return [names] if isinstance(names, str) else list(names)

    def required_columns(self) -> list[list[str]]:
        """Column alternatives a CSV header must offer (at least one of each group)."""
        groups = [self.source_columns(f) for f in ("rating", "posted_at")]
        groups += [self.source_columns(f) for f in ("external_id", "product_id") if f in self.columns and f not in self.constants]
        return [g for g in groups if g]


def _lookup(record: Mapping[str, Any], name: str) -> Any:
    if name in record:
        return record[name]
    if "." in name:
        value: Any = record
        for part in name.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
        return value
    return None


class RowMapper:
    """Turns records (dicts of column -> value) into Reviews under one mapping."""

    def __init__(self, mapping: ColumnMapping) -> None:
        self.mapping = mapping
        self._zone = ZoneInfo(mapping.timezone)
        self._columns = {f: tuple(mapping.source_columns(f)) for f in mapping.columns}
        # NOTE: one plan computed once; the per-row path is the hot loop of a 100,000-row import.
        self._plan = [
            (f, self._columns.get(f, ()), mapping.constants.get(f))
            for f in sorted(FIELDS)
            if f in self._columns or f in mapping.constants
        ]
        self._empty = dict.fromkeys(FIELDS)
        self._hashed = frozenset(mapping.hashed)

    def values(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Each field's first non-empty column value (strings stripped), else its constant, else None."""
        out: dict[str, Any] = self._empty.copy()
        for field, names, constant in self._plan:
            value = None
            for name in names:
                value = record.get(name)
                if value is None and "." in name:
                    value = _lookup(record, name)
                if isinstance(value, str):
                    value = value.strip() or None
                if value is not None and value != []:
                    break
                value = None
            out[field] = constant if value is None else value
        return out

    def _missing(self, record: Mapping[str, Any], field: str) -> RowProblem:
        names = list(self._columns.get(field, ()))
        if names and all(_lookup(record, n) is None for n in names):
            return RowProblem(f"missing column {_quote(names)}")
        return RowProblem(f"{field} is empty (column {_quote(names)})")

    def to_review(self, record: Mapping[str, Any]) -> review_pb2.Review:
        """The review a record stands for; RowProblem naming the first thing wrong with it."""
        v = self.values(record)
        for field in ("platform", "marketplace", "product_id", "rating", "posted_at"):
            if v[field] is None:
                raise self._missing(record, field)
        review = review_pb2.Review(
            platform=str(v["platform"]).lower(),
            marketplace=str(v["marketplace"]),
            product_id=self._text(v["product_id"], "product_id"),
            rating=self.rating(v["rating"]),
        )
        for field in _TEXT_FIELDS:
            if v[field] is not None:
                setattr(review, field, self._text(v[field], field))
        if v["reviewer_id"] is not None or v["reviewer_name"] is not None:
            review.reviewer.id = self._text(v["reviewer_id"] or "", "reviewer_id")
            review.reviewer.name = self._text(v["reviewer_name"] or "", "reviewer_name")
        review.posted_at.CopyFrom(timestamp(self.timestamp(v["posted_at"])))
        verified = v["verified_purchase"]
        review.verified_purchase = verified if isinstance(verified, bool) else str(verified or "").lower() in TRUE_WORDS
        media = v["media_urls"]
        if media:
            review.media_urls.extend(str(u) for u in (media if isinstance(media, list) else _URL_SPLIT.split(str(media))) if u)
        if "reply_state" not in self._columns and v["reply"] is not None:
            review.reply_state = "replied"
        if "external_id" in self._columns:
            if v["external_id"] is None:
                raise self._missing(record, "external_id")
            review.external_id = self._text(v["external_id"], "external_id")
        else:
            parts = [str(v[f] or "") for f in self.mapping.external_id_from]
            review.external_id = f"{self.mapping.name}:{_digest('|'.join(parts), 24)}"
        return review

    def _text(self, value: Any, field: str) -> str:
        text = value if isinstance(value, str) else str(value)
        return f"sha256:{_digest(text.lower(), 16)}" if field in self._hashed and text else text

    def rating(self, value: Any) -> int:
        """Stars 1–5 from a value on the mapping's scale ("4", "4,5", "8/10", "4.0 out of 5 stars")."""
        if isinstance(value, bool):
            raise RowProblem(f"rating {value!r} is not a number")
        if isinstance(value, (int, float)):
            number = float(value)
        else:
            match = _NUMBER.match(str(value))
            if not match:
                raise RowProblem(f"rating {str(value)[:40]!r} is not a number")
            number = float(match.group(1).replace(",", "."))
        scale = self.mapping.rating_scale
        if not 0 < number <= scale:
            raise RowProblem(f"rating {number:g} is outside 1 to {scale}")
        # NOTE: half up, so 9/10 is 5 stars and 1/10 is 1 star, never 0.
        return max(1, min(5, math.floor(number * 5 / scale + 0.5)))

    def timestamp(self, value: Any) -> datetime:
        """An aware datetime from the row's date, trying the mapping's formats, then ISO 8601."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=timezone.utc)
        text = str(value).strip()
        parsed = None
        if _ISO_DATE.match(text):
            # NOTE: YYYY-MM-DD... reads the same under every sensible format; skip strptime (slow).
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                parsed = None
        for fmt in self.mapping.date_formats if parsed is None else ():
            try:
                parsed = datetime.strptime(text, fmt)
                if "%Z" in fmt and text.upper().endswith(("UTC", "GMT")):
                    # NOTE: strptime reads %Z but leaves the result naive.
                    parsed = parsed.replace(tzinfo=timezone.utc)
                break
            except ValueError:
                continue
        if parsed is None:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                tried = ", ".join([*self.mapping.date_formats, "ISO 8601"])
                raise RowProblem(f"date {text[:40]!r} matches none of the formats ({tried})") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self._zone)
        return parsed


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _quote(names: list[str]) -> str:
    return " or ".join(repr(n) for n in names)


def amazon_seller_central(*, marketplace: str | None = None, date_formats: list[str] | None = None, timezone: str = "UTC") -> ColumnMapping:
    """Amazon Seller Central / Brand Registry "Customer Reviews" download.

    Amazon publishes no schema for this file; the header follows what the download shows:
    "Review ID", "ASIN", "SKU", "Review Date", "Star Rating", "Title", "Review Text", "Reviewer Name",
    "Verified Purchase", "Marketplace" (some downloads say "Country"). SKU is the product when ASIN is
    empty. Dates come as ISO dates, or US (MM/DD/YYYY) and German (DD.MM.YYYY) style; pass
    `date_formats` for a day-first locale.
    """
    constants: dict[str, str | bool] = {"platform": "amazon"}
    if marketplace:
        constants["marketplace"] = marketplace
    return ColumnMapping(
        name="amazon",
        columns={
            "external_id": ["Review ID", "ReviewID"],
            "product_id": ["ASIN", "SKU"],
            "order_id": ["Order ID"],
            "marketplace": ["Marketplace", "Country"],
            "rating": ["Star Rating", "Rating"],
            "title": ["Title", "Review Title"],
            "body": ["Review Text", "Review Body"],
            "reviewer_id": ["Reviewer ID"],
            "reviewer_name": ["Reviewer Name", "Author"],
            "posted_at": ["Review Date", "Date"],
            "verified_purchase": ["Verified Purchase"],
            "media_urls": ["Images", "Image URLs"],
        },
        constants=constants,
        date_formats=date_formats if date_formats is not None else ["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d"],
        timezone=timezone,
    )


def judgeme_csv(*, marketplace: str, shop_domain: str = "", timezone: str = "UTC") -> ColumnMapping:
    """Judge.me "Export reviews" CSV: title, body, rating, review_date, source, curated, reviewer_name,
    reviewer_email, product_id, product_handle, reply, reply_date, picture_urls, ip_address, location.

    The file has no review id, so one is derived from product, reviewer e-mail, date and text (stable
    across re-imports of the same export). The e-mail is kept only as a hashed reviewer id; the IP
    address and location are not imported.
    """
    constants: dict[str, str | bool] = {"platform": "shopify", "marketplace": marketplace}
    if shop_domain:
        constants["store_id"] = shop_domain
    return ColumnMapping(
        name="judgeme",
        columns={
            "product_id": ["product_id", "product_handle"],
            "rating": "rating",
            "title": "title",
            "body": "body",
            "reviewer_id": "reviewer_email",
            "reviewer_name": "reviewer_name",
            "posted_at": "review_date",
            "media_urls": "picture_urls",
            "reply": "reply",
        },
        constants=constants,
        external_id_from=["product_id", "reviewer_id", "posted_at", "title", "body"],
        hashed=["reviewer_id"],
        date_formats=["%Y-%m-%d %H:%M:%S %Z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d/%m/%Y"],
        timezone=timezone,
    )


def walmart_seller_center(*, marketplace: str = "US", date_formats: list[str] | None = None, timezone: str = "UTC") -> ColumnMapping:
    """Walmart Seller Center "Ratings & Reviews" (Item reviews tab) download.

    Walmart publishes no schema for this file (marketplacelearn.walmart.com, "Marketplace reviews:
    Overview", describes the page only); the header follows the download and the review fields
    Walmart's item pages carry: "Review ID", "Item ID", "SKU", "Product Name", "Order Number",
    "Rating", "Review Title", "Review Text", "Reviewer Nickname", "Review Submission Date",
    "Verified Purchase", "Photos". The Item ID is the product (the SKU when it is empty). Dates come
    US-style (MM/DD/YYYY, with or without a time) or as ISO dates. `marketplace` is US, CA or MX:
    the file does not say which Walmart it came from.
    """
    return ColumnMapping(
        name="walmart",
        columns={
            "external_id": ["Review ID", "Review Id", "ReviewId"],
            "product_id": ["Item ID", "Item Id", "SKU"],
            "order_id": ["Order Number", "Purchase Order Number", "PO Number"],
            "rating": ["Rating", "Overall Rating", "Star Rating"],
            "title": ["Review Title", "Title"],
            "body": ["Review Text", "Review", "Comments"],
            "reviewer_name": ["Reviewer Nickname", "Nickname", "Reviewer Name"],
            "posted_at": ["Review Submission Date", "Submission Date", "Review Date"],
            "verified_purchase": ["Verified Purchase"],
            "media_urls": ["Photos", "Photo URLs", "Image URLs"],
            "reply": ["Seller Response", "Response"],
        },
        constants={"platform": "walmart", "marketplace": marketplace},
        date_formats=date_formats if date_formats is not None else ["%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%Y-%m-%d"],
        timezone=timezone,
    )


def aliexpress_seller_center(*, marketplace: str = "aliexpress.com", rating_scale: int = 5, timezone: str = "Asia/Shanghai") -> ColumnMapping:
    """AliExpress Seller Center "Manage feedback" (评价管理) export, saved as CSV.

    The columns are the order evaluation's documented fields (AliExpress Open Platform,
    `aliexpress.evaluation.listorderevaluation.get`: order_id, product_id, buyer_evaluation,
    buyer_feedback, buyer_fb_date, buyer_login_id, seller_reply) and the export's own headers, in
    English ("Order ID", "Product ID", "Rating", "Feedback", "Feedback Date", "Buyer", "Country",
    "Reply") or Chinese ("订单号", "商品ID", "评分", "评价内容", "评价时间", "买家", "国家", "回复").
    A buyer rates each product of an order once, so the review id is derived from order and product
    (stable across re-imports). The buyer's country is the marketplace when the file has one. Times
    are the seller centre's, China time unless `timezone` says otherwise; a 100-point export takes
    `rating_scale=100`.
    """
    return ColumnMapping(
        name="aliexpress",
        columns={
            "order_id": ["order_id", "Order ID", "Order No.", "订单号"],
            "product_id": ["product_id", "Product ID", "商品ID"],
            "marketplace": ["Country", "Buyer Country", "国家"],
            "rating": ["buyer_evaluation", "Rating", "Star Rating", "评分", "星级"],
            "body": ["buyer_feedback", "Feedback", "Feedback Content", "评价内容"],
            "reviewer_id": ["buyer_login_id", "Buyer ID", "买家ID"],
            "reviewer_name": ["Buyer", "Buyer Name", "买家"],
            "posted_at": ["buyer_fb_date", "Feedback Date", "Feedback Time", "评价时间"],
            "media_urls": ["Images", "Photos", "图片"],
            "reply": ["seller_reply", "Reply", "Seller Reply", "回复"],
        },
        constants={"platform": "aliexpress", "marketplace": marketplace},
        external_id_from=["order_id", "product_id"],
        hashed=["reviewer_id"],
        date_formats=["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d", "%d/%m/%Y %H:%M", "%b %d, %Y %H:%M"],
        rating_scale=rating_scale,
        timezone=timezone,
    )
