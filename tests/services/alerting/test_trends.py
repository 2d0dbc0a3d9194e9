"""The time-based rules on realistic multi-day sequences of reviews: they fire on real changes at
the volume where a change can be told from noise, and stay silent on noise and short history."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from reviewguard.alerting.v1 import alert_pb2
from services.alerting.policy import AlertPolicy, BaselineRules, CrisisRules, SpikeRules
from services.alerting.trends import (
    DayFigure,
    binomial_sf,
    judge_baseline,
    judge_level1,
    judge_level2,
    judge_level3,
    judge_spike,
    poisson_sf,
)

DAY = date(2026, 11, 20)


def figure(ratings: list[int], negative_max: int = 2) -> DayFigure:
    return DayFigure(len(ratings), sum(ratings), sum(1 for x in ratings if x <= negative_max), sum(x * x for x in ratings))


def days(*ratings_per_day: list[int], end: date = DAY) -> dict[date, DayFigure]:
    """Figures for consecutive days ending at `end`, from each day's list of star ratings."""
    start = end - timedelta(days=len(ratings_per_day) - 1)
    return {start + timedelta(days=i): figure(r) for i, r in enumerate(ratings_per_day) if r}


def share(reviews: int, negatives: int) -> list[int]:
    """A day of `reviews` reviews, `negatives` of them one-star and the rest five-star."""
    return [1] * negatives + [5] * (reviews - negatives)


# Sixty days of a 4.8-star product: mostly fives, a four every day.
HISTORY = [[5, 5, 5, 5, 4]] * 60


def test_a_day_of_one_star_reviews_is_red() -> None:
    found = judge_baseline(days(*HISTORY, [1, 1, 1, 2]), DAY, "product:B0KETTLE01", BaselineRules())
    assert (found.level, found.severity) == ("red", alert_pb2.SEVERITY_CRITICAL)
    assert found.labels["baseline"] == "4.80"
    assert "B0KETTLE01" in found.summary and "4.80" in found.summary


def test_a_drop_of_four_tenths_is_orange_at_a_volume_that_can_tell_and_noise_on_five_reviews() -> None:
    forty = [5] * 20 + [4] * 16 + [3] * 4  # 4.4 on 40 reviews
    orange = judge_baseline(days(*HISTORY, forty), DAY, "store:S1", BaselineRules())
    assert (orange.level, orange.severity) == ("orange", alert_pb2.SEVERITY_HIGH)
    assert float(orange.labels["p_value"]) < 0.001
    # NOTE: round 1 called this orange: three fours among five reviews happen on 6% of ordinary days.
    assert judge_baseline(days(*HISTORY, [5, 4, 4, 5, 4]), DAY, "store:S1", BaselineRules()) is None
    assert judge_baseline(days(*HISTORY, [5, 5, 4, 5, 4, 5, 4, 4, 5, 5]), DAY, "store:S1", BaselineRules()) is None  # 4.6


def test_three_days_each_a_fifth_down_is_orange_but_two_days_are_not() -> None:
    slightly_worse = [5] * 30 + [4] * 20  # 4.6 on 50 reviews: 0.2 below 4.8, never 0.3
    two = days(*HISTORY, slightly_worse, slightly_worse)
    assert judge_baseline(two, DAY, "product:P", BaselineRules()) is None
    three = days(*HISTORY, slightly_worse, slightly_worse, slightly_worse)
    found = judge_baseline(three, DAY, "product:P", BaselineRules())
    assert found.level == "orange" and "3 days" in found.summary
    assert found.since == DAY - timedelta(days=2)
    # Ten reviews a day at 4.7 for three days is within a 4.8 product's ordinary wobble.
    wobble = [5, 5, 4, 5, 4, 5, 5, 4, 5, 5]
    assert judge_baseline(days(*HISTORY, wobble, wobble, wobble), DAY, "product:P", BaselineRules()) is None


def test_quiet_days_and_short_history_are_not_judged() -> None:
    assert judge_baseline(days(*HISTORY, [1, 1]), DAY, "product:P", BaselineRules()) is None  # 2 < 3 reviews
    assert judge_baseline(days([5, 5], [1, 1, 1]), DAY, "product:P", BaselineRules()) is None  # no baseline
    # 13 days with reviews (65 reviews) are not yet 14: silent; 14 days are enough.
    assert judge_baseline(days(*[[5, 5, 5, 5, 4]] * 13, [1, 1, 1, 2]), DAY, "product:P", BaselineRules()) is None
    assert judge_baseline(days(*[[5, 5, 5, 5, 4]] * 14, [1, 1, 1, 2]), DAY, "product:P", BaselineRules()).level == "red"
    # 20 days of a review a day are not 30 reviews.
    assert judge_baseline(days(*[[5]] * 20, [1, 1, 1, 2]), DAY, "product:P", BaselineRules()) is None
    assert judge_baseline(days(*[[5]] * 20, [1, 1, 1, 2]), DAY, "product:P", BaselineRules(min_history_reviews=20)).level == "red"


def test_tenant_thresholds_replace_the_spec_defaults() -> None:
    strict = BaselineRules(orange_daily_drop=0.1, red_daily_drop=0.2)
    hundred = [5] * 60 + [4] * 40  # 4.6 on 100 reviews
    assert judge_baseline(days(*HISTORY, hundred), DAY, "product:P", strict).level == "red"
    few = [5, 4, 5, 4, 5]  # 4.6 on five reviews: noise at the default significance ...
    assert judge_baseline(days(*HISTORY, few), DAY, "product:P", strict) is None
    # ... unless the tenant accepts more false alarms.
    assert judge_baseline(days(*HISTORY, few), DAY, "product:P", BaselineRules(orange_daily_drop=0.1, red_daily_drop=0.2, significance=0.2)).level == "red"


MARKET = [share(100, 4)] * 28  # four weeks of a marketplace at 4% negative


def test_level1_when_the_negative_rate_jumps_by_half_above_the_everyday_band() -> None:
    found = judge_level1(days(*MARKET, share(100, 15)), DAY, "marketplace:DE", CrisisRules())  # 15%
    assert found.labels["crisis_level"] == "1" and found.severity == alert_pb2.SEVERITY_CRITICAL
    assert "15 of 100" in found.summary
    assert judge_level1(days(*MARKET, share(100, 7)), DAY, "marketplace:DE", CrisisRules()) is None  # inside the band
    # Two negatives among ten reviews is 20%, and an ordinary day for a 4% marketplace with ten reviews.
    small = [share(10, 0)] * 27 + [share(10, 1)]
    assert judge_level1(days(*small, share(10, 2)), DAY, "marketplace:DE", CrisisRules()) is None


def test_level2_needs_three_consecutive_days_above_fifteen_percent_against_the_product_history() -> None:
    usual = [share(20, 1)] * 28  # 5% negative
    bad = share(20, 4)  # 4×: 20%
    assert judge_level2(days(*usual, share(20, 1), bad, bad), DAY, "product:P", CrisisRules()) is None
    found = judge_level2(days(*usual, bad, bad, bad), DAY, "product:P", CrisisRules())
    assert found.level == "2" and "20%" in found.summary and found.since == DAY - timedelta(days=2)
    assert found.labels["negatives"] == "12" and found.labels["usual_rate"] == "0.050"
    assert judge_level2(days(bad, bad, bad), DAY, "product:P", CrisisRules()) is None  # no history: silent


def test_level3_is_reaching_the_everyday_band_from_a_better_usual() -> None:
    good = [share(100, 2)] * 28  # 2% negative
    assert judge_level3(days(*good, share(100, 10)), DAY, "marketplace:DE", CrisisRules()).level == "3"
    assert judge_level3(days(*good, share(100, 2)), DAY, "marketplace:DE", CrisisRules()) is None
    assert judge_level3(days(*good, share(100, 50)), DAY, "marketplace:DE", CrisisRules()) is None  # 50%: not everyday
    # A marketplace that always sits at 8% is in its normal state: no news.
    usual8 = [share(100, 8)] * 28
    assert judge_level3(days(*usual8, share(100, 9)), DAY, "marketplace:DE", CrisisRules()) is None


def test_delivery_complaints_spike_after_a_holiday() -> None:
    usual = {DAY - timedelta(days=i): (1 if i % 3 else 2) for i in range(1, 29)}
    volume = days(*[share(50, 3)] * 29)
    assert judge_spike({**usual, DAY: 2}, DAY, "marketplace:DE", "logistics", SpikeRules(), volume=volume) is None
    found = judge_spike({**usual, DAY: 9}, DAY, "marketplace:DE", "logistics", SpikeRules(), volume=volume)
    assert {k: found.labels[k] for k in ("aspect", "count", "daily_mean")} == {
        "aspect": "logistics", "count": "9", "daily_mean": "1.32"  # (19×1 + 9×2) / 28
    }
    assert found.dedup_key != judge_spike({DAY: 9}, DAY, "marketplace:DE", "damage", SpikeRules()).dedup_key
    # A marketplace on its first days has no usual to spike against.
    assert judge_spike({DAY: 9}, DAY, "marketplace:DE", "logistics", SpikeRules(), volume=days(share(50, 9))) is None


def test_the_tests_behind_the_rules_match_their_textbook_values() -> None:
    # Reference values from scipy.stats.binom.sf(k - 1, n, p) and poisson.sf(k - 1, mean).
    assert binomial_sf(12, 100, 0.04) == pytest.approx(6.683483363189389e-4, rel=1e-9)
    assert binomial_sf(12, 60, 0.05) == pytest.approx(3.597700845479146e-5, rel=1e-9)
    assert binomial_sf(2, 10, 0.1) == pytest.approx(0.2639010709, rel=1e-9)
    assert binomial_sf(30, 10000, 0.004) == pytest.approx(0.9570759481077763, rel=1e-9)
    assert poisson_sf(9, 1.32) == pytest.approx(1.0297871675184361e-5, rel=1e-9)
    assert poisson_sf(20, 10.0) == pytest.approx(3.4543419758568334e-3, rel=1e-9)
    assert (binomial_sf(0, 10, 0.5), binomial_sf(11, 10, 0.5), poisson_sf(0, 3.0)) == (1.0, 0.0, 1.0)


def test_a_year_of_ordinary_noise_raises_at_most_a_couple_of_alarms() -> None:
    """A steady product (20 reviews on weekdays, 35 on weekends, 5% one-star) and marketplace
    (5× the volume) judged every day for a year by every rule."""
    rng = random.Random(13)
    stars = [5] * 60 + [4] * 22 + [3] * 10 + [2] * 3 + [1] * 5
    product, market = {}, {}
    start = DAY - timedelta(days=400)
    for i in range(400):
        day = start + timedelta(days=i)
        weekend = day.weekday() >= 5
        product[day] = figure([rng.choice(stars) for _ in range(rng.randint(25, 45) if weekend else rng.randint(15, 25))])
        market[day] = figure([rng.choice(stars) for _ in range(rng.randint(120, 220) if weekend else rng.randint(80, 120))])
    alarms = []
    for i in range(35, 400):
        day = start + timedelta(days=i)
        for found in (
            judge_baseline(product, day, "product:P", BaselineRules()),
            judge_baseline(market, day, "marketplace:DE", BaselineRules()),
            judge_level1(market, day, "marketplace:DE", CrisisRules()),
            judge_level3(market, day, "marketplace:DE", CrisisRules()),
            judge_level2(product, day, "product:P", CrisisRules()),
        ):
            if found:
                alarms.append((day, found.rule, found.level))
    # NOTE: over 30 simulated years this setup averages 0.5 alarms a year (and 3 a year at p < 0.001).
    assert len(alarms) <= 2, alarms


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
    assert (policy.crisis.min_history_days, policy.crisis.min_history_reviews, policy.attacks.min_cluster_reviews) == (14, 30, 3)
