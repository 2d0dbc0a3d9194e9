"""Time-based rules over daily figures: rating baselines, crisis levels, aspect spikes (SPEC §4).

Pure functions over a scope's daily figures (days counted in the marketplace's time zone), so that
weeks of history are judged in microseconds and tests replay any sequence of days.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from reviewguard.alerting.v1 import alert_pb2
from services.alerting.policy import BaselineRules, CrisisRules, SpikeRules

RATING_BASELINE = "rating_baseline"
CRISIS = "crisis"
ASPECT_SPIKE = "aspect_spike"


@dataclass(frozen=True)
class DayFigure:
    """One scope's reviews on one local day."""

    reviews: int
    rating_sum: int
    negatives: int

    @property
    def average(self) -> float:
        return self.rating_sum / self.reviews

    @property
    def negative_rate(self) -> float:
        return self.negatives / self.reviews


@dataclass(frozen=True)
class Finding:
    """A trend worth an alert: rule, level, the scope and local day it is about."""

    rule: str
    level: str
    severity: int
    scope: str
    day: date
    summary: str
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def dedup_key(self) -> str:
        aspect = self.labels.get("aspect", "")
        return f"{self.rule}:{self.level}:{self.scope}:{aspect}:{self.day.isoformat()}"


def _window(figures: Mapping[date, DayFigure], first: date, last: date) -> tuple[int, int, int]:
    reviews = rating_sum = negatives = 0
    day = first
    while day <= last:
        f = figures.get(day)
        if f is not None:
            reviews += f.reviews
            rating_sum += f.rating_sum
            negatives += f.negatives
        day += timedelta(days=1)
    return reviews, rating_sum, negatives


def baseline_before(figures: Mapping[date, DayFigure], day: date, rules: BaselineRules) -> float | None:
    """The average rating over the history window ending the day before `day`, if enough history."""
    reviews, rating_sum, _ = _window(figures, day - timedelta(days=rules.history_days), day - timedelta(days=1))
    return rating_sum / reviews if reviews >= rules.min_history_reviews else None


def judge_baseline(figures: Mapping[date, DayFigure], day: date, scope: str, rules: BaselineRules) -> Finding | None:
    """Red for a day's drop ≥ red_daily_drop; orange for ≥ orange_daily_drop, or ≥ orange_streak_drop
    on each of orange_streak_days consecutive days (judged against the baseline before the streak)."""
    today = figures.get(day)
    baseline = baseline_before(figures, day, rules)
    if today is None or baseline is None or today.reviews < rules.min_reviews_per_day:
        return None
    drop = baseline - today.average
    labels = {"baseline": f"{baseline:.2f}", "day_average": f"{today.average:.2f}", "drop": f"{drop:.2f}"}
    if drop >= rules.red_daily_drop:
        level, severity = "red", alert_pb2.SEVERITY_CRITICAL
        why = f"fell {drop:.2f} in a day"
    elif drop >= rules.orange_daily_drop:
        level, severity = "orange", alert_pb2.SEVERITY_HIGH
        why = f"fell {drop:.2f} in a day"
    else:
        first = day - timedelta(days=rules.orange_streak_days - 1)
        reference = baseline_before(figures, first, rules)
        if reference is None:
            return None
        streak = [figures.get(first + timedelta(days=i)) for i in range(rules.orange_streak_days)]
        if not all(f is not None and f.reviews >= rules.min_reviews_per_day for f in streak):
            return None
        if not all(reference - f.average >= rules.orange_streak_drop for f in streak):
            return None
        level, severity = "orange", alert_pb2.SEVERITY_HIGH
        why = f"stayed at least {rules.orange_streak_drop:.1f} below its {reference:.2f} baseline for {rules.orange_streak_days} days"
        labels["baseline"] = f"{reference:.2f}"
    labels["level"] = level
    return Finding(
        rule=RATING_BASELINE,
        level=level,
        severity=severity,
        scope=scope,
        day=day,
        summary=f"Rating of {scope} {why}: {today.average:.2f} on {day.isoformat()} against a {labels['baseline']} baseline",
        labels=labels,
    )


def judge_level1(figures: Mapping[date, DayFigure], day: date, scope: str, rules: CrisisRules) -> Finding | None:
    """Level 1: the day's negative rate at least `level1_rate_rise` (50%) above its trailing average.

    A scope with no negatives in its trailing window reaches level 1 when the day's rate passes the
    top of the level-3 band, since any rise from zero is infinite.
    """
    today = figures.get(day)
    if today is None or today.reviews < rules.min_reviews_per_day or today.negatives == 0:
        return None
    reviews, _, negatives = _window(figures, day - timedelta(days=rules.level1_trailing_days), day - timedelta(days=1))
    if reviews == 0:
        return None
    trailing = negatives / reviews
    rate = today.negative_rate
    risen = rate >= trailing * (1 + rules.level1_rate_rise) if trailing > 0 else rate > rules.level3_max_rate
    if not risen:
        return None
    return Finding(
        rule=CRISIS,
        level="1",
        severity=alert_pb2.SEVERITY_CRITICAL,
        scope=scope,
        day=day,
        summary=f"Crisis level 1 for {scope}: negative rate {rate:.0%} on {day.isoformat()} against {trailing:.0%} "
        f"over the previous {rules.level1_trailing_days} days; a statement is due within 24 h",
        labels={"crisis_level": "1", "negative_rate": f"{rate:.3f}", "trailing_rate": f"{trailing:.3f}"},
    )


def judge_level2(figures: Mapping[date, DayFigure], day: date, scope: str, rules: CrisisRules) -> Finding | None:
    """Level 2: a core product's negative rate above `level2_rate` on `level2_days` consecutive days."""
    days = [day - timedelta(days=i) for i in reversed(range(rules.level2_days))]
    streak = [figures.get(d) for d in days]
    if not all(f is not None and f.reviews >= rules.min_reviews_per_day and f.negative_rate > rules.level2_rate for f in streak):
        return None
    rates = ", ".join(f"{f.negative_rate:.0%}" for f in streak)
    return Finding(
        rule=CRISIS,
        level="2",
        severity=alert_pb2.SEVERITY_HIGH,
        scope=scope,
        day=day,
        summary=f"Crisis level 2 for core product {scope}: negative rate above {rules.level2_rate:.0%} for "
        f"{rules.level2_days} days ({rates}); analysis due within 48 h, contact 80% of negative reviewers",
        labels={"crisis_level": "2", "negative_rate": f"{streak[-1].negative_rate:.3f}"},
    )


def judge_level3(figures: Mapping[date, DayFigure], day: date, scope: str, rules: CrisisRules) -> Finding | None:
    """Level 3: the day's negative rate inside the everyday band (5–10%): standard templates within 6 h."""
    today = figures.get(day)
    if today is None or today.reviews < rules.min_reviews_per_day:
        return None
    if not rules.level3_min_rate <= today.negative_rate <= rules.level3_max_rate:
        return None
    return Finding(
        rule=CRISIS,
        level="3",
        severity=alert_pb2.SEVERITY_NORMAL,
        scope=scope,
        day=day,
        summary=f"Crisis level 3 for {scope}: negative rate {today.negative_rate:.0%} on {day.isoformat()}; "
        "handle with standard templates within 6 h",
        labels={"crisis_level": "3", "negative_rate": f"{today.negative_rate:.3f}"},
    )


def judge_spike(counts: Mapping[date, int], day: date, scope: str, aspect: str, rules: SpikeRules) -> Finding | None:
    """An aspect mentioned far more often today than on its usual day (ratio and z-score both)."""
    today = counts.get(day, 0)
    if today < rules.min_count:
        return None
    history = [counts.get(day - timedelta(days=i), 0) for i in range(1, rules.history_days + 1)]
    mean = statistics.fmean(history)
    spread = statistics.pstdev(history)
    if today < rules.ratio * mean or (spread > 0 and today < mean + rules.z_score * spread):
        return None
    return Finding(
        rule=ASPECT_SPIKE,
        level="spike",
        severity=alert_pb2.SEVERITY_HIGH if aspect == "safety" else alert_pb2.SEVERITY_NORMAL,
        scope=scope,
        day=day,
        summary=f"'{aspect}' complaints spiked for {scope}: {today} on {day.isoformat()} against "
        f"{mean:.1f} a day over the previous {rules.history_days} days",
        labels={"aspect": aspect, "count": str(today), "daily_mean": f"{mean:.2f}"},
    )
