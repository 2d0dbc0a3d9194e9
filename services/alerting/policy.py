"""A tenant's alerting policy. Every default is the SPEC's number (§3, §4); tenants change them."""

from __future__ import annotations

import zoneinfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.alerting.routing import RoutingRules

# NOTE: a marketplace's daily figures are counted in its own time zone. Countries spanning
# several zones get their largest commercial zone; tenants override per marketplace.
DEFAULT_TIME_ZONES = {
    "US": "America/New_York", "CA": "America/Toronto", "MX": "America/Mexico_City", "BR": "America/Sao_Paulo",
    "GB": "Europe/London", "UK": "Europe/London", "IE": "Europe/Dublin", "DE": "Europe/Berlin", "AT": "Europe/Vienna",
    "CH": "Europe/Zurich", "FR": "Europe/Paris", "BE": "Europe/Brussels", "NL": "Europe/Amsterdam", "ES": "Europe/Madrid",
    "IT": "Europe/Rome", "PL": "Europe/Warsaw", "SE": "Europe/Stockholm", "TR": "Europe/Istanbul",
    "JP": "Asia/Tokyo", "CN": "Asia/Shanghai", "KR": "Asia/Seoul", "IN": "Asia/Kolkata", "SG": "Asia/Singapore",
    "AE": "Asia/Dubai", "SA": "Asia/Riyadh", "AU": "Australia/Sydney",
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewRules(_Section):
    """Grading of each negative review."""

    high_max_rating: int = Field(1, ge=1, le=5, description="ratings up to this are high severity")
    alert_max_rating: int = Field(2, ge=1, le=5, description="ratings up to this alert at all")
    manual_review_negative_score: float = Field(0.7, ge=0, le=1, description="negative score above this → manual-review queue")
    manual_review_categories: list[str] = Field(
        default_factory=lambda: ["safety", "legal", "health"],
        description="a risk term of these categories puts the review in the manual-review queue whatever its score",
    )
    # NOTE: the negative score is the calibrated probability that the text is critical (1-3 stars,
    # see the star model card). A 4-5-star review whose text reads critical is usually "good, but…"
    # feedback; alerting on the text alone there would page on about one 4-star review in five.
    score_alert_max_rating: int = Field(
        3, ge=1, le=5, description="a review rated above alert_max_rating alerts on its negative score alone only up to this rating"
    )
    malicious_min_risk_terms: int = Field(3, ge=1, description="this many distinct risk terms → malicious candidate")
    escalation_categories: list[str] = Field(
        default_factory=lambda: ["safety", "fraud", "legal", "health"],
        description="risk categories that go to the risk team's route",
    )

    @model_validator(mode="after")
    def _ordered(self) -> "ReviewRules":
        if self.high_max_rating > self.alert_max_rating:
            raise ValueError("high_max_rating cannot exceed alert_max_rating")
        return self


class _TrendSection(_Section):
    """What every trend rule needs before it may speak: enough history, and a change that is
    significant for the volume, not a day's noise."""

    min_history_days: int = Field(14, ge=1, le=365, description="days with reviews in the history window before the rule judges")
    min_history_reviews: int = Field(30, ge=1, description="reviews in the history window before the rule judges")
    significance: float = Field(
        0.0001, gt=0, lt=0.5,
        description="one-sided p-value a change must beat (binomial / Poisson / z test against the history)",
    )
    # NOTE: 1e-4, not the textbook 0.01: each scope is tested by several rules every day, so a
    # tenant with 20 products runs ~2,000 tests a month; at 0.01 that is ~20 false alarms a month
    # from noise alone, at 1e-4 about one in five months. Simulated (tests/…/test_trends.py): a
    # steady product and marketplace judged by every rule for a year raise ~0.5 alarms a year.


class BaselineRules(_TrendSection):
    """Rating baselines per store, product and marketplace (SPEC §4)."""

    history_days: int = Field(90, ge=7, le=730, description="days of history the baseline averages")
    min_reviews_per_day: int = Field(3, ge=1, description="a day with fewer reviews is not judged")
    orange_daily_drop: float = Field(0.3, gt=0, le=4)
    orange_streak_drop: float = Field(0.1, gt=0, le=4)
    orange_streak_days: int = Field(3, ge=2, le=14)
    red_daily_drop: float = Field(0.5, gt=0, le=4)
    scopes: list[str] = Field(default_factory=lambda: ["store", "product", "marketplace"])

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str]) -> list[str]:
        unknown = set(scopes) - {"store", "product", "marketplace"}
        if unknown:
            raise ValueError(f"unknown baseline scope(s) {sorted(unknown)}: use store, product, marketplace")
        return scopes

    @model_validator(mode="after")
    def _red_above_orange(self) -> "BaselineRules":
        if self.red_daily_drop <= self.orange_daily_drop:
            raise ValueError("red_daily_drop must be larger than orange_daily_drop")
        return self


class CrisisRules(_TrendSection):
    """Crisis levels 1–3 (SPEC §4); a negative review is one rated at most `negative_max_rating`.

    Level 1: the day's negative rate above the everyday band and at least `level1_rate_rise` above
    its trailing average. Level 2: a core product above `level2_rate` on `level2_days` days in a row.
    Level 3: the day's rate inside the everyday band (5–10%) while that is worse than usual. Every
    level also needs the change to be significant against the scope's history (`significance`).
    """

    negative_max_rating: int = Field(2, ge=1, le=4)
    history_days: int = Field(90, ge=7, le=730, description="days of history the usual negative rate is taken from")
    level1_rate_rise: float = Field(0.5, gt=0, description="the day's negative rate this much above its trailing average")
    level1_trailing_days: int = Field(7, ge=1, le=90)
    level2_rate: float = Field(0.15, gt=0, le=1, description="a core product's negative rate above this ...")
    level2_days: int = Field(3, ge=1, le=14, description="... on this many consecutive days")
    core_products: list[str] = Field(default_factory=list, description="empty: the busiest `core_top_n` products")
    core_top_n: int = Field(10, ge=1)
    level3_min_rate: float = Field(0.05, ge=0, le=1)
    level3_max_rate: float = Field(0.10, ge=0, le=1)
    min_reviews_per_day: int = Field(5, ge=1, description="a day with fewer reviews is not judged")

    @model_validator(mode="after")
    def _band(self) -> "CrisisRules":
        if self.level3_min_rate > self.level3_max_rate:
            raise ValueError("level3_min_rate cannot exceed level3_max_rate")
        return self


class SpikeRules(_TrendSection):
    """Spikes of an aspect's complaints (e.g. delivery after a holiday) against their own history.

    Only negative mentions count: a review mentioning the aspect rated at most `negative_max_rating`,
    or rated at most `scored_max_rating` with a negative score of at least `negative_score`. Praise
    ("delivery was fast" on a 5★ review) mentions the aspect too, and is never a complaint.
    """

    history_days: int = Field(28, ge=7, le=365)
    negative_max_rating: int = Field(2, ge=1, le=4, description="a mention on a review rated this or lower is a complaint")
    negative_score: float = Field(0.5, ge=0, le=1, description="... or on a review scored at least this negative ...")
    scored_max_rating: int = Field(3, ge=1, le=4, description="... and rated at most this")
    min_count: int = Field(3, ge=1, description="fewer complaints in a day are never a spike")
    ratio: float = Field(2.0, gt=1, description="at least this many times the daily average")
    z_score: float = Field(3.0, gt=0, description="and this many standard deviations above it")


class AttackRules(_Section):
    """A burst of near-duplicate negative reviews on one product: one competitor_attack escalation."""

    min_cluster_reviews: int = Field(3, ge=2, description="near-duplicate negatives on one product ...")
    window_hours: int = Field(24, ge=1, le=720, description="... within this many hours")
    negative_max_rating: int = Field(2, ge=1, le=4)


class AlertPolicy(_Section):
    reviews: ReviewRules = Field(default_factory=ReviewRules)
    routing: RoutingRules = Field(default_factory=RoutingRules)
    baseline: BaselineRules = Field(default_factory=BaselineRules)
    crisis: CrisisRules = Field(default_factory=CrisisRules)
    spikes: SpikeRules = Field(default_factory=SpikeRules)
    attacks: AttackRules = Field(default_factory=AttackRules)
    incident_gap_days: int = Field(
        3, ge=1, le=30, description="a trend finding within this many days of its incident's last day updates that alert"
    )
    time_zones: dict[str, str] = Field(default_factory=dict, description="marketplace → IANA zone overrides")
    judge_days_back: int = Field(
        7, ge=1, le=90, description="trends are judged for days this recent; older imported history never alerts"
    )

    @field_validator("time_zones")
    @classmethod
    def _known_zones(cls, zones: dict[str, str]) -> dict[str, str]:
        for marketplace, zone in zones.items():
            try:
                zoneinfo.ZoneInfo(zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {zone!r} for marketplace {marketplace!r}") from None
        return {k.upper(): v for k, v in zones.items()}

    def time_zone(self, marketplace: str) -> zoneinfo.ZoneInfo:
        """The zone a marketplace's days are counted in (UTC when unknown)."""
        code = marketplace.upper()
        # NOTE: "amazon.de"-style marketplaces carry their country in the domain suffix.
        if "." in code:
            code = code.rsplit(".", 1)[1]
            code = "GB" if code == "UK" else code
        return zoneinfo.ZoneInfo(self.time_zones.get(marketplace.upper()) or DEFAULT_TIME_ZONES.get(code, "UTC"))
