"""Business calendars: SLA due times over weekends and holidays, quiet hours for buyer messages."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from libs.errors import InvalidArgument
from services.resolution.calendar.models import QuietHours, WorkingHours
from services.resolution.calendar.service import (
    add_business_hours,
    is_business_time,
    is_quiet_time,
    load_calendar,
    market_for,
    next_allowed_send,
)

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture(scope="module")
def berlin():
    return load_calendar(marketplace="DE")


def test_six_hour_sla_opened_friday_afternoon_is_due_monday_1pm(berlin) -> None:
    opened = datetime(2026, 11, 20, 16, 0, tzinfo=BERLIN)  # a Friday
    assert add_business_hours(opened, 6, berlin) == datetime(2026, 11, 23, 13, 0, tzinfo=BERLIN)


def test_sla_skips_christmas_holidays_and_the_weekend_in_germany(berlin) -> None:
    opened = datetime(2026, 12, 24, 16, 0, tzinfo=BERLIN)  # Thursday; 25th Friday and 26th Saturday are holidays
    assert berlin.holiday_name(date(2026, 12, 25)) is not None
    assert berlin.holiday_name(date(2026, 12, 26)) is not None
    assert add_business_hours(opened, 6, berlin) == datetime(2026, 12, 28, 13, 0, tzinfo=BERLIN)
    assert add_business_hours(opened, 12, berlin) == datetime(2026, 12, 29, 10, 0, tzinfo=BERLIN)


def test_sla_given_in_utc_opened_at_night_counts_from_the_next_opening(berlin) -> None:
    opened = datetime(2026, 11, 24, 2, 30, tzinfo=timezone.utc)  # 03:30 Berlin, a Tuesday
    due = add_business_hours(opened, 2, berlin)
    assert due == datetime(2026, 11, 24, 11, 0, tzinfo=BERLIN)
    assert due.utcoffset() is not None and due.astimezone(timezone.utc).hour == 10


def test_work_filling_the_day_exactly_is_due_at_closing_time(berlin) -> None:
    opened = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)
    assert add_business_hours(opened, 9, berlin) == datetime(2026, 11, 23, 18, 0, tzinfo=BERLIN)
    assert add_business_hours(opened, 0, berlin) == opened


def test_sla_across_the_spring_clock_change_counts_real_hours(berlin) -> None:
    opened = datetime(2026, 3, 27, 17, 0, tzinfo=BERLIN)  # Friday before the switch to summer time
    assert add_business_hours(opened, 2, berlin) == datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN)


def test_chinese_make_up_saturday_is_a_working_day() -> None:
    shanghai = load_calendar(marketplace="CN")
    assert shanghai.is_working_day(date(2026, 10, 10))  # Saturday worked after Golden Week
    assert not shanghai.is_working_day(date(2026, 10, 2))
    opened = datetime(2026, 10, 9, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert add_business_hours(opened, 3, shanghai) == datetime(2026, 10, 10, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_team_hours_and_zone_can_differ_from_the_market() -> None:
    cal = load_calendar(
        marketplace="UK", timezone_name="Europe/Berlin", hours=WorkingHours(start=time(8), end=time(16), days=frozenset(range(6)))
    )
    assert cal.country == "GB" and cal.market == "GB"
    saturday = datetime(2026, 11, 21, 15, 0, tzinfo=BERLIN)
    assert is_business_time(saturday, cal)
    assert add_business_hours(saturday, 2, cal) == datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)


def test_marketplace_codes_map_to_countries() -> None:
    assert market_for("uk").country == "GB"
    assert market_for("co.jp").country == "JP"
    for code in ("US", "GB", "DE", "FR", "ES", "IT", "JP", "CN"):
        assert load_calendar(marketplace=code).country == code
    with pytest.raises(InvalidArgument, match="unknown marketplace"):
        market_for("XX")


def test_no_buyer_messages_at_night_or_on_holidays(berlin) -> None:
    assert is_quiet_time(datetime(2026, 11, 23, 21, 0, tzinfo=BERLIN), berlin)
    assert is_quiet_time(datetime(2026, 11, 24, 7, 59, tzinfo=BERLIN), berlin)
    assert not is_quiet_time(datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN), berlin)
    assert not is_quiet_time(datetime(2026, 11, 22, 12, 0, tzinfo=BERLIN), berlin)  # Sunday afternoon is fine
    assert is_quiet_time(datetime(2026, 12, 25, 12, 0, tzinfo=BERLIN), berlin)


def test_next_allowed_send_waits_for_the_morning_and_past_holidays(berlin) -> None:
    daytime = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)
    assert next_allowed_send(daytime, berlin) == daytime
    assert next_allowed_send(datetime(2026, 11, 24, 22, 30, tzinfo=BERLIN), berlin) == datetime(2026, 11, 25, 8, 0, tzinfo=BERLIN)
    assert next_allowed_send(datetime(2026, 11, 25, 3, 0, tzinfo=BERLIN), berlin) == datetime(2026, 11, 25, 8, 0, tzinfo=BERLIN)
    # Christmas Eve 22:00 → 25th and 26th are holidays → Sunday 27th 08:00
    assert next_allowed_send(datetime(2026, 12, 24, 22, 0, tzinfo=BERLIN), berlin) == datetime(2026, 12, 27, 8, 0, tzinfo=BERLIN)


def test_a_us_evening_in_utc_is_quiet_in_tokyo_morning_rules() -> None:
    tokyo = load_calendar(marketplace="JP", quiet=QuietHours(start=time(20), end=time(9)))
    at = datetime(2026, 11, 24, 23, 0, tzinfo=timezone.utc)  # 08:00 Tokyo on the 25th
    assert is_quiet_time(at, tokyo)
    assert next_allowed_send(at, tokyo) == datetime(2026, 11, 25, 9, 0, tzinfo=TOKYO)
    # Labour Thanksgiving Day, 23 November, is a holiday in Japan
    assert next_allowed_send(datetime(2026, 11, 23, 10, 0, tzinfo=TOKYO), tokyo) == datetime(2026, 11, 24, 9, 0, tzinfo=TOKYO)


def test_naive_datetimes_are_refused(berlin) -> None:
    with pytest.raises(InvalidArgument, match="time zone"):
        add_business_hours(datetime(2026, 11, 20, 16, 0), 6, berlin)
