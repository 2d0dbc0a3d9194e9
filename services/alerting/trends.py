"""Time-based rules over daily figures: rating baselines, crisis levels, aspect spikes (SPEC §4).

Pure functions over a scope's daily figures (days counted in the marketplace's time zone), so that
weeks of history are judged in microseconds and tests replay any sequence of days.

Every rule speaks only when two things hold (issue 13: alerts that do not cry wolf):
- the scope has enough history (`min_history_days` days with reviews and `min_history_reviews`
  reviews in the rule's history window); below that the rule is silent and the policy's status
  says "insufficient history";
- the change is significant for the volume: a one-sided test against the history (exact binomial
  for negative shares, Poisson for complaint counts, a pooled-variance z test for average ratings)
  beats the policy's `significance`, on top of the SPEC's absolute thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from reviewguard.alerting.v1 import alert_pb2
from services.alerting.policy import BaselineRules, CrisisRules, SpikeRules

RATING_BASELINE = "rating_baseline"
CRISIS = "crisis"
ASPECT_SPIKE = "aspect_spike"

# Ordering of levels within a rule, worst last: an incident keeps the worst level it reached.
LEVEL_RANK = {"3": 0, "2": 1, "1": 2, "orange": 0, "red": 1, "spike": 0}


@dataclass(frozen=True)
class DayFigure:
    """One scope's reviews on one local day."""

    reviews: int
    rating_sum: int
    negatives: int
    rating_sq_sum: int | None = None  # Σ rating², for the rating's variance; None: not counted

    @property
    def average(self) -> float:
        return self.rating_sum / self.reviews

    @property
    def negative_rate(self) -> float:
        return self.negatives / self.reviews

    @property
    def squares(self) -> int:
        # NOTE: figures built without squares get the largest Σx² that 1–5 stars with this sum allow
        # ((x − 1)(5 − x) ≥ 0 ⇒ x² ≤ 6x − 5): the widest variance, so the z test only gets more cautious.
        return self.rating_sq_sum if self.rating_sq_sum is not None else 6 * self.rating_sum - 5 * self.reviews


@dataclass(frozen=True)
class Window:
    """A scope's reviews over a span of days."""

    days: int = 0  # days that had any review
    reviews: int = 0
    rating_sum: int = 0
    rating_sq_sum: int = 0
    negatives: int = 0

    @property
    def average(self) -> float:
        return self.rating_sum / self.reviews if self.reviews else 0.0

    @property
    def negative_rate(self) -> float:
        return self.negatives / self.reviews if self.reviews else 0.0

    def __add__(self, other: "Window") -> "Window":
        return Window(
            self.days + other.days, self.reviews + other.reviews, self.rating_sum + other.rating_sum,
            self.rating_sq_sum + other.rating_sq_sum, self.negatives + other.negatives,
        )


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
    # The first day of the run of days the finding is about (a streak's first day; else `day`).
    since: date | None = None

    @property
    def incident_key(self) -> str:
        """What makes two findings the same incident: rule, scope and aspect, not level or day."""
        return f"{self.rule}:{self.scope}:{self.labels.get('aspect', '')}"

    @property
    def dedup_key(self) -> str:
        """The incident's key with its first day: one alert per incident, however often judged."""
        return f"{self.incident_key}:{(self.since or self.day).isoformat()}"


# --- statistics ------------------------------------------------------------------------------


def window(figures: Mapping[date, DayFigure], first: date, last: date) -> Window:
    """The sum of a scope's figures from `first` to `last`, both included."""
    days = reviews = rating_sum = squares = negatives = 0
    # NOTE: walk the days that have figures, not the calendar: most scopes are sparse.
    for day, f in figures.items():
        if first <= day <= last and f.reviews:
            days += 1
            reviews += f.reviews
            rating_sum += f.rating_sum
            squares += f.squares
            negatives += f.negatives
    return Window(days, reviews, rating_sum, squares, negatives)


def of_day(figure: DayFigure) -> Window:
    return Window(1, figure.reviews, figure.rating_sum, figure.squares, figure.negatives)


def enough_history(history: Window, rules) -> bool:
    """True when the history window holds the minimum days with reviews and reviews."""
    return history.days >= rules.min_history_days and history.reviews >= rules.min_history_reviews


def _tail(log_pmf, start: int, stop: int, step: int) -> float:
    """Σ exp(log_pmf(i)) from `start` towards `stop`, stopping once the terms no longer matter."""
    total = 0.0
    for i in range(start, stop, step):
        term = math.exp(log_pmf(i))
        total += term
        if term < total * 1e-16:
            break
    return total


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p): the chance of at least k negatives out of n at rate p."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    lp, lq = math.log(p), math.log1p(-p)
    lgn = math.lgamma(n + 1)

    def log_pmf(i: int) -> float:
        return lgn - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq

    # NOTE: sum whichever tail starts past the mode, where terms only shrink.
    if k > n * p:
        return min(1.0, _tail(log_pmf, k, n + 1, 1))
    return max(0.0, 1.0 - _tail(log_pmf, k - 1, -1, -1))


def poisson_sf(k: int, mean: float) -> float:
    """P(X ≥ k) for X ~ Poisson(mean)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    lm = math.log(mean)

    def log_pmf(i: int) -> float:
        return i * lm - mean - math.lgamma(i + 1)

    if k > mean:
        return min(1.0, _tail(log_pmf, k, k + 100_000, 1))
    return max(0.0, 1.0 - _tail(log_pmf, k - 1, -1, -1))


def usual_rate(history: Window) -> float:
    """The history's negative rate, never exactly zero (half a negative added, Jeffreys-style):
    after a spotless month one negative is not infinitely surprising."""
    return (history.negatives + 0.5) / (history.reviews + 1)


def share_rise_p(history: Window, sample: Window) -> float:
    """One-sided p-value that the sample's negative share is above the history's usual rate."""
    return binomial_sf(sample.negatives, sample.reviews, usual_rate(history))


def rating_drop_p(history: Window, sample: Window) -> float:
    """One-sided p-value that the sample's average rating is below the history's (two-sample z test
    with the variance of both pooled, so a spotless history never yields a zero variance)."""
    n, m = sample.reviews, history.reviews
    total = n + m
    if n == 0 or m == 0 or total < 3:
        return 1.0
    mean = (sample.rating_sum + history.rating_sum) / total
    variance = max((sample.rating_sq_sum + history.rating_sq_sum - total * mean * mean) / (total - 1), 0.0)
    drop = history.average - sample.average
    if variance == 0:
        return 1.0 if drop <= 0 else 0.0
    z = drop / math.sqrt(variance * (1 / n + 1 / m))
    return 0.5 * math.erfc(z / math.sqrt(2))


def _p(value: float) -> str:
    return f"{value:.2g}"


# --- rules -----------------------------------------------------------------------------------


def judge_baseline(figures: Mapping[date, DayFigure], day: date, scope: str, rules: BaselineRules) -> Finding | None:
    """Red for a day's drop ≥ red_daily_drop; orange for ≥ orange_daily_drop, or ≥ orange_streak_drop
    on each of orange_streak_days consecutive days (judged against the baseline before the streak);
    each only with enough history and a drop significant for the day's (or streak's) volume."""
    today = figures.get(day)
    if today is None or today.reviews < rules.min_reviews_per_day:
        return None
    history = window(figures, day - timedelta(days=rules.history_days), day - timedelta(days=1))
    if not enough_history(history, rules):
        return None
    baseline = history.average
    drop = baseline - today.average
    p = rating_drop_p(history, of_day(today))
    labels = {"baseline": f"{baseline:.2f}", "day_average": f"{today.average:.2f}", "drop": f"{drop:.2f}",
              "reviews": str(today.reviews), "p_value": _p(p)}
    since = day
    if drop >= rules.red_daily_drop and p < rules.significance:
        level, severity = "red", alert_pb2.SEVERITY_CRITICAL
        why = f"fell {drop:.2f} in a day"
    elif drop >= rules.orange_daily_drop and p < rules.significance:
        level, severity = "orange", alert_pb2.SEVERITY_HIGH
        why = f"fell {drop:.2f} in a day"
    else:
        since = day - timedelta(days=rules.orange_streak_days - 1)
        reference = window(figures, since - timedelta(days=rules.history_days), since - timedelta(days=1))
        if not enough_history(reference, rules):
            return None
        streak = [figures.get(since + timedelta(days=i)) for i in range(rules.orange_streak_days)]
        if not all(f is not None and f.reviews >= rules.min_reviews_per_day for f in streak):
            return None
        if not all(reference.average - f.average >= rules.orange_streak_drop for f in streak):
            return None
        pooled = sum((of_day(f) for f in streak), Window())
        p = rating_drop_p(reference, pooled)
        if p >= rules.significance:
            return None
        level, severity = "orange", alert_pb2.SEVERITY_HIGH
        why = (f"stayed at least {rules.orange_streak_drop:.1f} below its {reference.average:.2f} baseline "
               f"for {rules.orange_streak_days} days")
        labels.update(baseline=f"{reference.average:.2f}", reviews=str(pooled.reviews), p_value=_p(p))
    labels["level"] = level
    return Finding(
        rule=RATING_BASELINE,
        level=level,
        severity=severity,
        scope=scope,
        day=day,
        summary=f"Rating of {scope} {why}: {today.average:.2f} on {day.isoformat()} against a {labels['baseline']} baseline "
        f"({labels['reviews']} reviews, p = {labels['p_value']})",
        labels=labels,
        since=since,
    )


def _crisis_history(figures: Mapping[date, DayFigure], first: date, rules: CrisisRules) -> Window | None:
    history = window(figures, first - timedelta(days=rules.history_days), first - timedelta(days=1))
    return history if enough_history(history, rules) else None


def judge_level1(figures: Mapping[date, DayFigure], day: date, scope: str, rules: CrisisRules) -> Finding | None:
    """Level 1: the day's negative rate above the everyday band (`level3_max_rate`), at least
    `level1_rate_rise` (50%) above its trailing average, and significantly so for the day's volume."""
    today = figures.get(day)
    if today is None or today.reviews < rules.min_reviews_per_day or today.negatives == 0:
        return None
    if _crisis_history(figures, day, rules) is None:
        return None
    trailing = window(figures, day - timedelta(days=rules.level1_trailing_days), day - timedelta(days=1))
    if trailing.reviews == 0:
        return None
    reference = usual_rate(trailing)
    rate = today.negative_rate
    if rate <= rules.level3_max_rate or rate < trailing.negative_rate * (1 + rules.level1_rate_rise):
        return None
    p = share_rise_p(trailing, of_day(today))
    if p >= rules.significance:
        return None
    return Finding(
        rule=CRISIS,
        level="1",
        severity=alert_pb2.SEVERITY_CRITICAL,
        scope=scope,
        day=day,
        summary=f"Crisis level 1 for {scope}: negative rate {rate:.0%} on {day.isoformat()} against {reference:.0%} "
        f"over the previous {rules.level1_trailing_days} days ({today.negatives} of {today.reviews}, p = {_p(p)}); "
        "a statement is due within 24 h",
        labels={"crisis_level": "1", "negative_rate": f"{rate:.3f}", "trailing_rate": f"{trailing.negative_rate:.3f}",
                "negatives": str(today.negatives), "reviews": str(today.reviews), "p_value": _p(p)},
    )


def judge_level2(figures: Mapping[date, DayFigure], day: date, scope: str, rules: CrisisRules) -> Finding | None:
    """Level 2: a core product's negative rate above `level2_rate` on `level2_days` consecutive days,
    the streak's share significantly above the product's usual rate before it."""
    since = day - timedelta(days=rules.level2_days - 1)
    streak = [figures.get(since + timedelta(days=i)) for i in range(rules.level2_days)]
    if not all(f is not None and f.reviews >= rules.min_reviews_per_day and f.negative_rate > rules.level2_rate for f in streak):
        return None
    history = _crisis_history(figures, since, rules)
    if history is None:
        return None
    pooled = sum((of_day(f) for f in streak), Window())
    p = share_rise_p(history, pooled)
    if p >= rules.significance:
        return None
    rates = ", ".join(f"{f.negative_rate:.0%}" for f in streak)
    return Finding(
        rule=CRISIS,
        level="2",
        severity=alert_pb2.SEVERITY_HIGH,
        scope=scope,
        day=day,
        summary=f"Crisis level 2 for core product {scope}: negative rate above {rules.level2_rate:.0%} for "
        f"{rules.level2_days} days ({rates}) against {history.negative_rate:.0%} usually (p = {_p(p)}); "
        "analysis due within 48 h, contact 80% of negative reviewers",
        labels={"crisis_level": "2", "negative_rate": f"{streak[-1].negative_rate:.3f}",
                "usual_rate": f"{history.negative_rate:.3f}", "negatives": str(pooled.negatives),
                "reviews": str(pooled.reviews), "p_value": _p(p)},
        since=since,
    )


def judge_level3(figures: Mapping[date, DayFigure], day: date, scope: str, rules: CrisisRules) -> Finding | None:
    """Level 3: the day's negative rate inside the everyday band (5–10%) while the scope usually
    does significantly better: standard templates within 6 h. A scope that always sits in the band
    is its normal state, not news."""
    today = figures.get(day)
    if today is None or today.reviews < rules.min_reviews_per_day:
        return None
    if not rules.level3_min_rate <= today.negative_rate <= rules.level3_max_rate:
        return None
    history = _crisis_history(figures, day, rules)
    if history is None:
        return None
    p = share_rise_p(history, of_day(today))
    if p >= rules.significance:
        return None
    return Finding(
        rule=CRISIS,
        level="3",
        severity=alert_pb2.SEVERITY_NORMAL,
        scope=scope,
        day=day,
        summary=f"Crisis level 3 for {scope}: negative rate {today.negative_rate:.0%} on {day.isoformat()} against "
        f"{history.negative_rate:.0%} usually (p = {_p(p)}); handle with standard templates within 6 h",
        labels={"crisis_level": "3", "negative_rate": f"{today.negative_rate:.3f}",
                "usual_rate": f"{history.negative_rate:.3f}", "p_value": _p(p)},
    )


def judge_spike(
    counts: Mapping[date, int], day: date, scope: str, aspect: str, rules: SpikeRules,
    volume: Mapping[date, DayFigure] | None = None,
) -> Finding | None:
    """An aspect complained about far more often today than on its usual day: at least `ratio`
    times the daily mean and a Poisson tail below `significance`. `volume` is the scope's daily
    figures; without enough history in them the rule is silent."""
    today = counts.get(day, 0)
    if today < rules.min_count:
        return None
    if volume is not None:
        history = window(volume, day - timedelta(days=rules.history_days), day - timedelta(days=1))
        if not enough_history(history, rules):
            return None
    past = [counts.get(day - timedelta(days=i), 0) for i in range(1, rules.history_days + 1)]
    mean = sum(past) / len(past)
    # NOTE: half a complaint added over the window, so a month without one is not a zero rate.
    expected = (sum(past) + 0.5) / len(past)
    p = poisson_sf(today, expected)
    if today < rules.ratio * mean or p >= rules.significance:
        return None
    return Finding(
        rule=ASPECT_SPIKE,
        level="spike",
        severity=alert_pb2.SEVERITY_HIGH if aspect == "safety" else alert_pb2.SEVERITY_NORMAL,
        scope=scope,
        day=day,
        summary=f"'{aspect}' complaints spiked for {scope}: {today} on {day.isoformat()} against "
        f"{mean:.1f} a day over the previous {rules.history_days} days (p = {_p(p)})",
        labels={"aspect": aspect, "count": str(today), "daily_mean": f"{mean:.2f}", "p_value": _p(p)},
    )
