"""Business calendar of a team serving one market: working hours, quiet hours, holidays."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from zoneinfo import ZoneInfo

import holidays as holidays_lib

MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})


@dataclass(frozen=True)
class WorkingHours:
    """When the team works, in the calendar's local time: [start, end) on `days` (0 = Monday)."""

    start: time = time(9, 0)
    end: time = time(18, 0)
    days: frozenset[int] = MONDAY_TO_FRIDAY

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("working hours must start before they end on the same day")
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("working days must be a non-empty set of weekdays 0..6")


@dataclass(frozen=True)
class QuietHours:
    """When no message goes to a buyer: from `start` to `end` (across midnight) and on holidays."""

    start: time = time(21, 0)
    end: time = time(8, 0)
    holidays: bool = True


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours of a team in a time zone, with the public holidays of its market."""

    market: str
    country: str
    timezone: str
    hours: WorkingHours = WorkingHours()
    quiet: QuietHours = QuietHours()
    # NOTE: the holidays object fills further years on first lookup; it belongs to this calendar only.
    public_holidays: holidays_lib.HolidayBase = field(default_factory=holidays_lib.HolidayBase, compare=False, repr=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def holiday_name(self, day: date) -> str | None:
        """The public holiday on `day` in this market, if any."""
        return self.public_holidays.get(day)

    def is_working_day(self, day: date) -> bool:
        """A team working day: a working weekday that is no holiday, or a declared make-up workday."""
        # NOTE: the membership test comes first because it fills the year, make-up workdays included.
        holiday = day in self.public_holidays
        # NOTE: China moves weekends around Golden Week and Spring Festival; `weekend_workdays`
        # lists the Saturdays/Sundays that are official working days.
        if day in getattr(self.public_holidays, "weekend_workdays", ()):
            return True
        return day.weekday() in self.hours.days and not holiday
