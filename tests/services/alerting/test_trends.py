"""The time-based rules on realistic multi-day sequences of reviews."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from reviewguard.alerting.v1 import alert_pb2
from services.alerting.policy import AlertPolicy, BaselineRules, CrisisRules, SpikeRules
from services.alerting.trends import DayFigure, judge_baseline, judge_level1, judge_level2, judge_level3, judge_spike

DAY = date(2026, 11, 20)


def days(*ratings_per_day: list[int], end: date = DAY, negative_max: int = 2) -> dict[date, DayFigure]:
    """Figures for consecutive days ending at `end`, from each day's list of star ratings."""
    start = end - timedelta(days=len(ratings_per_day) - 1)
    return {
        start + timedelta(days=i): DayFigure(len(r), sum(r), sum(1 for x in r if x <= negative_max))
        for i, r in enumerate(ratings_per_day)
        if r
    }


# Sixty days of a 4.8-star product: mostly fives, a four every day.
HISTORY = [[5, 5, 5, 5, 4]] * 60


def test_a_day_of_one_star_reviews_is_red() -> None:
    found = judge_baseline(days(*HISTORY, [1, 1, 1, 2]), DAY, "product:B0KETTLE01", BaselineRules())
    assert (found.level, found.severity) == ("red", alert_pb2.SEVERITY_CRITICAL)
    assert found.labels["baseline"] == "4.80"
    assert "B0KETTLE01" in found.summary and "4.80" in found.summary


def test_a_drop_of_three_tenths_is_orange_and_of_two_tenths_nothing() -> None:
    orange = judge_baseline(days(*HISTORY, [5, 4, 4, 5, 4]), DAY, "store:S1", BaselineRules())  # 4.4, drop 0.4
    assert (orange.level, orange.severity) == ("orange", alert_pb2.SEVERITY_HIGH)
    assert judge_baseline(days(*HISTORY, [5, 5, 4, 5, 4, 5, 4, 4, 5, 5]), DAY, "store:S1", BaselineRules()) is None  # 4.6


def test_three_days_each_a_tenth_down_is_orange_but_two_days_are_not() -> None:
    slightly_worse = [5, 5, 4, 5, 4, 5, 5, 4, 5, 4]  # 4.6–4.7: 0.1–0.2 below 4.8, never 0.3
    two = days(*HISTORY, slightly_worse, slightly_worse)
    assert judge_baseline(two, DAY, "product:P", BaselineRules()) is None
    three = days(*HISTORY, slightly_worse, slightly_worse, slightly_worse)
    found = judge_baseline(three, DAY, "product:P", BaselineRules())
    assert found.level == "orange" and "3 days" in found.summary


def test_quiet_days_and_short_history_are_not_judged() -> None:
    assert judge_baseline(days(*HISTORY, [1, 1]), DAY, "product:P", BaselineRules()) is None  # 2 < 3 reviews
    assert judge_baseline(days([5, 5], [1, 1, 1]), DAY, "product:P", BaselineRules()) is None  # no baseline


def test_tenant_thresholds_replace_the_spec_defaults() -> None:
    strict = BaselineRules(orange_daily_drop=0.1, red_daily_drop=0.2)
    found = judge_baseline(days(*HISTORY, [5, 4, 5, 4, 5]), DAY, "product:P", strict)  # 4.6
    assert found.level == "red"


def test_level1_when_the_negative_rate_jumps_by_half() -> None:
    week = [[5, 5, 5, 4, 4, 5, 5, 5, 1, 5]] * 7  # 10% negative
    assert judge_level1(days(*week, [5, 5, 5, 5, 1, 1, 5, 5, 5, 5]), DAY, "marketplace:DE", CrisisRules()).labels["crisis_level"] == "1"  # 20%
    assert judge_level1(days(*week, [5, 5, 5, 5, 5, 5, 1, 5, 5, 5, 5, 5]), DAY, "marketplace:DE", CrisisRules()) is None  # 8%


def test_level2_needs_three_consecutive_days_above_fifteen_percent() -> None:
    bad = [1, 1, 5, 5, 5]  # 40%
    good = [5, 5, 5, 5, 5]
    assert judge_level2(days(good, bad, bad), DAY, "product:P", CrisisRules()) is None
    found = judge_level2(days(bad, bad, bad), DAY, "product:P", CrisisRules())
    assert found.level == "2" and "40%" in found.summary


def test_level3_is_the_everyday_five_to_ten_percent_band() -> None:
    band = [5] * 18 + [1, 2]  # 10%
    assert judge_level3(days(band), DAY, "marketplace:DE", CrisisRules()).level == "3"
    assert judge_level3(days([5] * 20), DAY, "marketplace:DE", CrisisRules()) is None
    assert judge_level3(days([5] * 5 + [1] * 5), DAY, "marketplace:DE", CrisisRules()) is None  # 50%: not everyday


def test_delivery_complaints_spike_after_a_holiday() -> None:
    usual = {DAY - timedelta(days=i): (1 if i % 3 else 2) for i in range(1, 29)}
    assert judge_spike({**usual, DAY: 2}, DAY, "marketplace:DE", "logistics", SpikeRules()) is None
    found = judge_spike({**usual, DAY: 9}, DAY, "marketplace:DE", "logistics", SpikeRules())
    assert found.labels == {"aspect": "logistics", "count": "9", "daily_mean": "1.32"}  # (19×1 + 9×2) / 28
    assert found.dedup_key != judge_spike({DAY: 9}, DAY, "marketplace:DE", "damage", SpikeRules()).dedup_key


def test_policy_validation_explains_itself() -> None:
    with pytest.raises(ValueError, match="red_daily_drop must be larger"):
        AlertPolicy.model_validate({"baseline": {"red_daily_drop": 0.2}})
    with pytest.raises(ValueError, match="unknown time zone"):
        AlertPolicy.model_validate({"time_zones": {"DE": "Mars/Olympus"}})
    with pytest.raises(ValueError, match="extra"):
        AlertPolicy.model_validate({"baseline": {"red_drop": 0.2}})
    policy = AlertPolicy()
    assert str(policy.time_zone("DE")) == "Europe/Berlin" and str(policy.time_zone("amazon.co.jp")) == "Asia/Tokyo"
    assert str(policy.time_zone("XX")) == "UTC"
