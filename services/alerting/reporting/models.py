"""What the inbox and the reports count: sentiment, search bigrams, dimensions, windows, page tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import unicodedata
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from libs.errors import FieldViolation, InvalidArgument

# NOTE: one definition of "negative" for the inbox filter and every report's negative share:
# the model's score when there is one, else the stars.
NEGATIVE_SCORE_AT = 0.6
POSITIVE_SCORE_BELOW = 0.3
SENTIMENTS = ("negative", "neutral", "positive")


def sentiment(rating: int, negative_score: float | None) -> str:
    """negative, neutral or positive, from the negative score (else the stars)."""
    if negative_score is not None:
        if negative_score >= NEGATIVE_SCORE_AT:
            return "negative"
        return "positive" if negative_score < POSITIVE_SCORE_BELOW else "neutral"
    return "negative" if rating <= 2 else ("neutral" if rating == 3 else "positive")


def normalise(text: str) -> str:
    """Case- and width-folded text (NFKC folds full-width Latin and half-width kana)."""
    return unicodedata.normalize("NFKC", text).casefold()


def bigrams(text: str) -> list[str]:
    """Distinct character bigrams of normalised text, whitespace runs kept as one space."""
    folded = " ".join(normalise(text).split())
    return sorted({folded[i : i + 2] for i in range(len(folded) - 1)})


# Columns a report may group by, and the SQL column each one is (never caller text in SQL).
# NOTE: carrier is the review's order's (orders.submitted), "" while no order names one.
DIMENSIONS = ("marketplace", "platform", "product_line", "store_id", "product_id", "carrier")
HEATMAP_DIMENSIONS = (*DIMENSIONS, "aspect")
GRAINS = ("hour", "day", "week", "month")
# NOTE: an hourly report over more than this many hours would answer a table no one reads.
MAX_HOURLY_SPAN = timedelta(days=31)
MAX_SPAN = timedelta(days=366 * 5)


def require_dimension(value: str, *, field: str, allowed: tuple[str, ...] = DIMENSIONS) -> str:
    if value not in allowed:
        raise InvalidArgument(f"{field} must be one of {', '.join(allowed)}", [FieldViolation(field, f"one of {', '.join(allowed)}")])
    return value


def checked_zone(zone: str) -> str:
    """The zone, refused by name (time_zone) when it is not an IANA zone."""
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument(f"unknown time zone {zone!r}", [FieldViolation("time_zone", "an IANA zone")]) from None
    return zone


@dataclass(frozen=True)
class Window:
    """[starts_at, ends_at) bucketed by `grain` in `zone`."""

    starts_at: datetime
    ends_at: datetime
    grain: str
    zone: str

    @classmethod
    def checked(cls, starts_at: datetime | None, ends_at: datetime | None, grain: str, zone: str) -> "Window":
        if starts_at is None:
            raise InvalidArgument("from is required", [FieldViolation("from", "required")])
        if ends_at is None:
            raise InvalidArgument("to is required", [FieldViolation("to", "required")])
        if starts_at >= ends_at:
            raise InvalidArgument("from must be before to", [FieldViolation("from", "must be before to")])
        grain = grain or "day"
        if grain not in GRAINS:
            raise InvalidArgument(f"grain must be one of {', '.join(GRAINS)}", [FieldViolation("grain", ", ".join(GRAINS))])
        if grain == "hour" and ends_at - starts_at > MAX_HOURLY_SPAN:
            raise InvalidArgument(
                f"an hourly report spans at most {MAX_HOURLY_SPAN.days} days", [FieldViolation("grain", "hour: range too long")]
            )
        if ends_at - starts_at > MAX_SPAN:
            raise InvalidArgument("a report spans at most 5 years", [FieldViolation("to", "range over 5 years")])
        return cls(starts_at, ends_at, grain, checked_zone(zone or "UTC"))


SORTS = {
    # sort → (SQL expression, descending)
    "posted_at": ("r.posted_at", False),
    "-posted_at": ("r.posted_at", True),
    "rating": ("r.rating", False),
    "-rating": ("r.rating", True),
    "negative_score": ("coalesce(r.negative_score, -1)", False),
    "-negative_score": ("coalesce(r.negative_score, -1)", True),
}


class PageTokens:
    """Opaque page tokens signed with HMAC-SHA-256, bound to the tenant and the query's filters.

    NOTE: a token carries the last row's sort key and id (keyset paging); the signature means a
    caller cannot forge a position, and the query digest means a token from one tenant or filter
    set cannot be replayed on another.
    """

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"reviewguard-page-token|" + key).digest()

    @staticmethod
    def query_digest(tenant_id: str, query: dict) -> str:
        return hashlib.sha256(json.dumps([tenant_id, query], sort_keys=True, default=str).encode()).hexdigest()[:32]

    def encode(self, digest: str, sort_value: object, row_id: str) -> str:
        body = base64.urlsafe_b64encode(json.dumps([digest, sort_value, row_id], default=str).encode()).rstrip(b"=")
        signature = base64.urlsafe_b64encode(hmac.new(self._key, body, hashlib.sha256).digest()[:18])
        return (body + b"." + signature).decode()

    def decode(self, token: str, digest: str) -> tuple[object, str] | None:
        """The (sort value, id) a token stands for; None for the first page."""
        if not token:
            return None
        refused = InvalidArgument("page_token is not one this API issued for this query", [FieldViolation("page_token", "invalid")])
        body, _, signature = token.encode().partition(b".")
        expected = base64.urlsafe_b64encode(hmac.new(self._key, body, hashlib.sha256).digest()[:18])
        if not hmac.compare_digest(signature, expected):
            raise refused
        try:
            token_digest, sort_value, row_id = json.loads(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4)))
        except ValueError:
            raise refused from None
        if token_digest != digest:
            raise refused
        return sort_value, row_id


def period_labels(w: Window) -> Callable[[datetime], str]:
    """A period's start as ReportCell.period writes it, ISO 8601 with the zone's offset: an hourly
    period is a UTC instant shown in the zone, the others the zone's naive calendar starts.

    NOTE: memoised: a report has few periods and many cells (400 products × 52 weeks).
    """
    zone = zoneinfo.ZoneInfo(w.zone)
    hourly = w.grain == "hour"
    seen: dict[datetime, str] = {}

    def label(period: datetime) -> str:
        text = seen.get(period)
        if text is None:
            text = seen[period] = (period.astimezone(zone) if hourly else period.replace(tzinfo=zone)).isoformat()
        return text

    return label


def timestamp(message, field: str) -> datetime | None:
    """A protobuf Timestamp field as an aware UTC datetime; None when unset."""
    return getattr(message, field).ToDatetime(tzinfo=timezone.utc) if message.HasField(field) else None


def utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


# NOTE: every zone's offset is a whole number of quarter hours (Kolkata +5:30, Kathmandu +5:45),
# so a bound on a quarter hour is enough for any zone's day, week or month.
BOUND_STEP = timedelta(minutes=15)


def whole_hour_zone(w: Window) -> bool:
    """True when every local hour of the window is a UTC hour (the hourly rollups answer it whole)."""
    zone = zoneinfo.ZoneInfo(w.zone)
    at, step = w.starts_at, timedelta(days=1)
    # NOTE: offsets change at most a few times a year; sampling daily plus both ends finds any
    # fractional one (zones never had a sub-day fractional spell).
    while at <= w.ends_at + step:
        if (at.astimezone(zone).utcoffset() or timedelta()) % timedelta(hours=1):
            return False
        at += step
    return True


def periods(w: Window, *, by_period: bool = True) -> list[tuple[datetime, datetime, datetime]]:
    """(label, UTC start, UTC end) of each day, ISO week or month of the window in its zone, clipped
    to the window (label: the naive local start), or of each local hour (label: its aware UTC start);
    one period for the whole window when not `by_period`."""
    zone = zoneinfo.ZoneInfo(w.zone)
    if not by_period:
        return [(w.starts_at.astimezone(zone).replace(tzinfo=None), w.starts_at, w.ends_at)]
    if w.grain == "hour":
        # NOTE: local hours, stepped in UTC so the repeated hour of a fall-back is two periods.
        first = w.starts_at.astimezone(zone).replace(minute=0, second=0, microsecond=0).astimezone(timezone.utc)
        out, at = [], first
        while at < w.ends_at:
            out.append((at, max(at, w.starts_at), min(at + timedelta(hours=1), w.ends_at)))
            at += timedelta(hours=1)
        return out
    day = w.starts_at.astimezone(zone).date()
    day = day - timedelta(days=day.weekday()) if w.grain == "week" else (day.replace(day=1) if w.grain == "month" else day)
    out = []
    while True:
        start = datetime.combine(day, datetime.min.time(), zone).astimezone(timezone.utc)
        if start >= w.ends_at:
            return out
        if w.grain == "month":
            following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            following = day + timedelta(days=7 if w.grain == "week" else 1)
        end = datetime.combine(following, datetime.min.time(), zone).astimezone(timezone.utc)
        if end > w.starts_at:
            out.append((datetime.combine(day, datetime.min.time()), max(start, w.starts_at), min(end, w.ends_at)))
        day = following


def _hour_floor(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def edges(spans: list[tuple[datetime, datetime, datetime]]) -> tuple[list[datetime], list, list[tuple[datetime, datetime]]]:
    """The UTC hours, the whole UTC days and the raw ranges that make up the spans: a day counts
    whole when it lies inside one span; the spans' other whole hours are listed one by one, and
    the part of an hour a span starts or ends inside (a +5:30 zone's midnight) is a raw range."""
    hours, days, raw = [], [], []
    for _, lo, hi in spans:
        lo_hour = _hour_floor(lo) + (timedelta(hours=1) if lo != _hour_floor(lo) else timedelta())
        hi_hour = _hour_floor(hi)
        if lo_hour >= hi_hour:
            raw.append((lo, hi))
            continue
        if lo < lo_hour:
            raw.append((lo, lo_hour))
        if hi_hour < hi:
            raw.append((hi_hour, hi))
        lo, hi = lo_hour, hi_hour
        first_day = (lo + timedelta(hours=23)).replace(hour=0)
        last_day = max(first_day, hi.replace(hour=0))
        at = lo
        while at < min(first_day, hi):
            hours.append(at)
            at += timedelta(hours=1)
        day = first_day
        while day < last_day:
            days.append(day.date())
            day += timedelta(days=1)
        at = max(last_day, lo)
        while at < hi:
            hours.append(at)
            at += timedelta(hours=1)
    return hours, days, raw


WEEK = timedelta(days=7)


def _nearest_midnight(at: datetime) -> datetime:
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if at - day <= day + timedelta(days=1) - at else day + timedelta(days=1)


def _nearest_monday(at: datetime) -> datetime:
    """The UTC Monday midnight nearest to `at` (the weekly rollups' week starts)."""
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = day - timedelta(days=day.weekday())
    return monday if at - monday <= monday + WEEK - at else monday + WEEK


@dataclass
class Pieces:
    """What the spans are summed from, each piece with its span's number (1-based) and a sign."""

    hours: list[tuple[datetime, int, int]] = field(default_factory=list)
    days: list[tuple[date, int, int]] = field(default_factory=list)
    weeks: list[tuple[date, int, int]] = field(default_factory=list)
    raw: list[tuple[datetime, datetime, int, int]] = field(default_factory=list)

    def add(self, lo: datetime, hi: datetime, idx: int, sign: int) -> None:
        """Adds [lo, hi) with `sign`, or takes [hi, lo) away when hi < lo: the UTC days between the
        midnights nearest its ends, plus or minus the hours between those and its ends (a Berlin
        day is one daily row and four hourly ones, not 24 hourly ones)."""
        if lo > hi:
            lo, hi, sign = hi, lo, -sign
        first, last = _nearest_midnight(lo), _nearest_midnight(hi)
        if last <= first:
            self._hours(lo, hi, idx, sign)
            return
        day = first
        while day < last:
            self.days.append((day.date(), idx, sign))
            day += timedelta(days=1)
        self._hours(lo, first, idx, sign)
        self._hours(last, hi, idx, sign)

    def _hours(self, lo: datetime, hi: datetime, idx: int, sign: int) -> None:
        """[lo, hi) (less than a day) as UTC hours and raw ranges; taken away when hi < lo."""
        if lo > hi:
            lo, hi, sign = hi, lo, -sign
        if lo == hi:
            return
        hours, days, raw = edges([(None, lo, hi)])
        self.hours += [(h, idx, sign) for h in hours]
        self.days += [(d, idx, sign) for d in days]
        self.raw += [(a, b, idx, sign) for a, b in raw]


def pieces(spans: list[tuple[datetime, datetime, datetime]]) -> Pieces:
    """The rollup rows (and raw ranges) each span sums: a span of a week or more is the UTC weeks
    between the Mondays nearest its ends (weekly rollups), plus or minus the days and hours between
    those Mondays and its ends; a shorter one is days and hours the same way (`Pieces.add`), and
    raw ranges for the part hours of a +5:30 zone.

    NOTE: sums are additive, so taking away the hours a UTC week has beyond a Berlin week is as
    exact as adding them up, and a year of a product's weeks is 52 rows where its days are 365.
    """
    out = Pieces()
    for idx, (_, lo, hi) in enumerate(spans, start=1):
        first, last = _nearest_monday(lo), _nearest_monday(hi)
        if last - first < WEEK:
            out.add(lo, hi, idx, 1)
            continue
        out.add(lo, first, idx, 1)
        week = first
        while week < last:
            out.weeks.append((week.date(), idx, 1))
            week += WEEK
        out.add(last, hi, idx, 1)
    return out
