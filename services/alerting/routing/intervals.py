"""Durations (`1h30m`), Alertmanager time intervals (weekdays, times, months, zones) and the
weekly windows and quiet hours built on them."""

from __future__ import annotations

import calendar
import re
import zoneinfo
from datetime import datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator



_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
_UNITS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)


def parse_duration(value):
    """Seconds from a number or a Prometheus duration (`30s`, `5m`, `1h30m`, `2d`, `0`)."""
    if value is None or isinstance(value, (int, float)):
        return value
    if not isinstance(value, str):
        raise ValueError("a duration is a number of seconds or a string like 30s, 5m, 4h")
    text = value.strip()
    if text == "0":
        return 0.0
    match = _DURATION.match(text)
    if not text or not match or (text != "0" and not any(match.groups())):
        raise ValueError(f"not a valid duration string: {value!r} (write e.g. 30s, 5m, 4h, 1d)")
    return float(sum(int(g) * unit for g, unit in zip(match.groups(), _UNITS) if g))


def format_duration(seconds: float) -> str:
    """The Prometheus spelling of a number of seconds (for exports)."""
    if seconds == 0:
        return "0s"
    millis = round(seconds * 1000)
    out = ""
    for unit, name in ((86400_000, "d"), (3600_000, "h"), (60_000, "m"), (1000, "s"), (1, "ms")):
        count, millis = divmod(millis, unit)
        if count:
            out += f"{count}{name}"
    return out


# --- time intervals --------------------------------------------------------------------------

_WEEKDAYS = {d: i for i, d in enumerate(("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"))}
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_CLOCK = re.compile(r"^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")


def _range(text, member) -> tuple[int, int]:
    text = str(text).lower()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 2:
            raise ValueError(f"couldn't parse range {text}, invalid format")
        return member(parts[0]), member(parts[1])
    value = member(text)
    return value, value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text} is not a number") from None


def _weekday(text: str) -> int:
    if text not in _WEEKDAYS:
        raise ValueError(f"{text} is not a valid weekday")
    return _WEEKDAYS[text]


def _month(text: str) -> int:
    if text in _MONTHS:
        return _MONTHS[text]
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text} is not a valid month") from None


def _minutes(text: str) -> int:
    if not _CLOCK.match(text):
        raise ValueError(f"couldn't parse timestamp {text}, invalid format")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TimeRange(_Model):
    """`start_time`–`end_time` of a day, `HH:MM`, end exclusive; `24:00` closes the day."""

    start_time: str
    end_time: str

    @model_validator(mode="after")
    def _ordered(self) -> "TimeRange":
        if _minutes(self.start_time) >= _minutes(self.end_time):
            raise ValueError("start time cannot be equal or greater than end time")
        return self


class TimeInterval(_Model):
    """Alertmanager's time_interval: every given field must hold (an absent one always does)."""

    times: list[TimeRange] | None = None
    weekdays: list[str] | None = None
    days_of_month: list[str | int] | None = None
    months: list[str | int] | None = None
    years: list[str | int] | None = None
    location: str | None = None

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value):
        for item in value or []:
            begin, end = _range(item, _weekday)
            if begin > end:
                raise ValueError("start day cannot be before end day")
        return value

    @field_validator("days_of_month")
    @classmethod
    def _days(cls, value):
        for item in value or []:
            begin, end = _range(item, _integer)
            for day in (begin, end):
                if day == 0 or not -31 <= day <= 31:
                    raise ValueError(f"{day} is not a valid day of the month: out of range")
            if begin < 0 < end:
                raise ValueError("end day must be negative if start day is negative")
            if (28 + begin if begin < 0 else begin) > (28 + end if end < 0 else end):
                raise ValueError(f"end day {end} is always before start day {begin}")
        return value

    @field_validator("months")
    @classmethod
    def _months(cls, value):
        for item in value or []:
            begin, end = _range(item, _month)
            if not (1 <= begin <= 12 and 1 <= end <= 12):
                raise ValueError(f"{item} is not a valid month: out of range")
            if begin > end:
                raise ValueError(f"end month {end} is before start month {begin}")
        return value

    @field_validator("years")
    @classmethod
    def _years(cls, value):
        for item in value or []:
            begin, end = _range(item, _integer)
            if begin > end:
                raise ValueError(f"end year {end} is before start year {begin}")
        return value

    @field_validator("location")
    @classmethod
    def _location(cls, value):
        return None if value is None else _check_zone(value)

    def contains(self, at: datetime) -> bool:
        """Alertmanager's ContainsTime."""
        if self.location:
            at = at.astimezone(zoneinfo.ZoneInfo(self.location))
        minute = at.hour * 60 + at.minute
        if self.times is not None and not any(
            _minutes(r.start_time) <= minute < _minutes(r.end_time) for r in self.times
        ):
            return False
        if self.days_of_month is not None:
            length = calendar.monthrange(at.year, at.month)[1]
            found = False
            for item in self.days_of_month:
                begin, end = _range(item, _integer)
                begin = length + begin + 1 if begin < 0 else begin
                end = length + end + 1 if end < 0 else end
                if begin > length:
                    continue
                begin, end = max(-length, min(begin, length)), max(-length, min(end, length))
                if begin <= at.day <= end:
                    found = True
                    break
            if not found:
                return False
        if self.months is not None and not any(
            b <= at.month <= e for b, e in (_range(m, _month) for m in self.months)
        ):
            return False
        weekday = (at.weekday() + 1) % 7  # NOTE: Go counts Sunday as 0
        if self.weekdays is not None and not any(
            b <= weekday <= e for b, e in (_range(d, _weekday) for d in self.weekdays)
        ):
            return False
        if self.years is not None and not any(
            b <= at.year <= e for b, e in (_range(y, _integer) for y in self.years)
        ):
            return False
        return True


class NamedTimeInterval(_Model):
    """`time_intervals` entry: a name routes refer to and the intervals it covers (any of them)."""

    name: str = Field(min_length=1)
    time_intervals: list[TimeInterval] = Field(default_factory=list)

    def contains(self, at: datetime) -> bool:
        return any(i.contains(at) for i in self.time_intervals)




def _check_zone(zone: str) -> str:
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone!r}") from None
    return zone


class WeeklyWindow(_Model):
    """A recurring window, e.g. every Saturday and Sunday 00:00–23:59 in Europe/Berlin."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    start: time
    end: time
    time_zone: str = "UTC"

    _zone = field_validator("time_zone")(classmethod(lambda cls, v: _check_zone(v)))

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(zoneinfo.ZoneInfo(self.time_zone))
        day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
        now = local.time()
        if self.start <= self.end:
            return day in self.days and self.start <= now < self.end
        # NOTE: a window over midnight (22:00–06:00) belongs to the day it starts on.
        yesterday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(local.weekday() - 1) % 7]
        return (day in self.days and now >= self.start) or (yesterday in self.days and now < self.end)


class QuietHours(_Model):
    """Hours a receiver is not disturbed; critical alerts (red, level 1, safety) still go through."""

    start: time = time(21, 0)
    end: time = time(8, 0)
    time_zone: str = "UTC"

    _zone = field_validator("time_zone")(classmethod(lambda cls, v: _check_zone(v)))

    def window(self) -> WeeklyWindow:
        return WeeklyWindow(days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"], start=self.start, end=self.end, time_zone=self.time_zone)
