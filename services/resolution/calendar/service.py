"""Business-hour arithmetic: SLA due times, quiet hours and the next moment a message may go out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from types import MappingProxyType

import holidays as holidays_lib

from libs.errors import FieldViolation, InvalidArgument
from services.resolution.calendar.models import BusinessCalendar, QuietHours, WorkingHours

log = logging.getLogger(__name__)

# NOTE: a bound on day-by-day walks so a calendar without working days fails instead of spinning.
_MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Market:
    """Where a marketplace code points: the holiday country (and region) and the usual team zone."""

    country: str
    timezone: str
    subdiv: str | None = None


MARKETS: MappingProxyType[str, Market] = MappingProxyType(
    {
        "US": Market("US", "America/New_York"),
        "GB": Market("GB", "Europe/London", "ENG"),
        "DE": Market("DE", "Europe/Berlin"),
        "FR": Market("FR", "Europe/Paris"),
        "ES": Market("ES", "Europe/Madrid"),
        "IT": Market("IT", "Europe/Rome"),
        "JP": Market("JP", "Asia/Tokyo"),
        "CN": Market("CN", "Asia/Shanghai"),
        "CA": Market("CA", "America/Toronto"),
        "MX": Market("MX", "America/Mexico_City"),
        "NL": Market("NL", "Europe/Amsterdam"),
        "PL": Market("PL", "Europe/Warsaw"),
        "SE": Market("SE", "Europe/Stockholm"),
        "AU": Market("AU", "Australia/Sydney"),
    }
)

# NOTE: marketplaces name themselves by domain or habit rather than ISO 3166 ("amazon.co.uk" is "UK").
MARKETPLACE_ALIASES: MappingProxyType[str, str] = MappingProxyType(
    {"UK": "GB", "COM": "US", "CO.UK": "GB", "COM.MX": "MX", "CO.JP": "JP", "COM.AU": "AU"}
)


def market_for(marketplace: str) -> Market:
    """The market of a marketplace code such as "DE", "UK" or "co.jp"."""
    code = marketplace.strip().upper()
    code = MARKETPLACE_ALIASES.get(code, code)
    market = MARKETS.get(code)
    if market is None:
        raise InvalidArgument(
            f"unknown marketplace {marketplace!r}",
            [FieldViolation("marketplace", f"one of {', '.join(sorted(MARKETS))} or an alias ({', '.join(sorted(MARKETPLACE_ALIASES))})")],
        )
    return market


def load_calendar(
    *,
    marketplace: str,
    timezone_name: str | None = None,
    hours: WorkingHours = WorkingHours(),
    quiet: QuietHours = QuietHours(),
    subdiv: str | None = None,
) -> BusinessCalendar:
    """A team calendar for a marketplace: its public holidays, the team's zone and hours.

    Args:
        marketplace: marketplace or ISO country code ("DE", "UK", "JP"…).
        timezone_name: IANA zone of the team; defaults to the market's main zone.
        hours: the team's working hours in that zone.
        quiet: when buyers must not be messaged.
        subdiv: holiday region (e.g. "BY" for Bavaria); defaults to the market's usual one.
    """
    market = market_for(marketplace)
    public = holidays_lib.country_holidays(market.country, subdiv=subdiv or market.subdiv)
    code = MARKETPLACE_ALIASES.get(marketplace.strip().upper(), marketplace.strip().upper())
    return BusinessCalendar(
        market=code,
        country=market.country,
        timezone=timezone_name or market.timezone,
        hours=hours,
        quiet=quiet,
        public_holidays=public,
    )


def _require_aware(at: datetime, name: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidArgument(f"{name} must carry a time zone", [FieldViolation(name, "naive datetime")])


def _window(day: date, calendar: BusinessCalendar) -> tuple[datetime, datetime]:
    """The working window of a local day, in UTC."""
    tz = calendar.tz
    start = datetime.combine(day, calendar.hours.start, tzinfo=tz).astimezone(timezone.utc)
    end = datetime.combine(day, calendar.hours.end, tzinfo=tz).astimezone(timezone.utc)
    return start, end


def is_business_time(at: datetime, calendar: BusinessCalendar) -> bool:
    """Whether the team is at work at `at`."""
    _require_aware(at, "at")
    local = at.astimezone(calendar.tz)
    if not calendar.is_working_day(local.date()):
        return False
    return calendar.hours.start <= local.time() < calendar.hours.end


def add_business_hours(start: datetime, hours: float, calendar: BusinessCalendar) -> datetime:
    """The moment `hours` of team working time after `start`, skipping nights, weekends and holidays.

    A 6 h SLA opened on Friday 16:00 in Berlin (09:00–18:00) is due on Monday 13:00. The result is in
    the calendar's time zone; a start outside working hours counts from the next opening.
    """
    _require_aware(start, "start")
    if hours < 0:
        raise InvalidArgument("hours must not be negative", [FieldViolation("hours", "negative")])
    remaining = timedelta(hours=hours)
    cursor = start.astimezone(timezone.utc)
    day = start.astimezone(calendar.tz).date()
    for _ in range(_MAX_DAYS):
        if calendar.is_working_day(day):
            open_at, close_at = _window(day, calendar)
            begin = max(cursor, open_at)
            if begin < close_at:
                available = close_at - begin
                # NOTE: `<=` so work ending exactly at closing time is due then, not next morning.
                if remaining <= available:
                    return (begin + remaining).astimezone(calendar.tz)
                remaining -= available
        day += timedelta(days=1)
    raise InvalidArgument(f"no working time within {_MAX_DAYS} days in calendar {calendar.market}")


def is_quiet_time(at: datetime, calendar: BusinessCalendar) -> bool:
    """Whether a buyer must not be messaged at `at`: local night-time or a public holiday."""
    _require_aware(at, "at")
    local = at.astimezone(calendar.tz)
    quiet = calendar.quiet
    if quiet.holidays and calendar.holiday_name(local.date()) is not None:
        return True
    now = local.time()
    if quiet.start <= quiet.end:
        return quiet.start <= now < quiet.end
    return now >= quiet.start or now < quiet.end


def next_allowed_send(at: datetime, calendar: BusinessCalendar) -> datetime:
    """`at` itself when a message may go out then, else the first moment after the quiet time."""
    _require_aware(at, "at")
    if not is_quiet_time(at, calendar):
        return at
    tz = calendar.tz
    local = at.astimezone(tz)
    day = local.date()
    # NOTE: after the evening start the quiet time ends the next morning.
    if local.time() >= calendar.quiet.end:
        day += timedelta(days=1)
    for _ in range(_MAX_DAYS):
        candidate = datetime.combine(day, calendar.quiet.end, tzinfo=tz)
        if not is_quiet_time(candidate, calendar):
            return candidate
        day += timedelta(days=1)
    raise InvalidArgument(f"no time to send within {_MAX_DAYS} days in calendar {calendar.market}")
