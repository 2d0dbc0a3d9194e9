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


class BaselineRules(_Section):
    """Rating baselines per store, product and marketplace (SPEC §4)."""

    history_days: int = Field(90, ge=7, le=730, description="days of history the baseline averages")
    min_history_reviews: int = Field(10, ge=1, description="no baseline alerts before this many reviews of history")
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


class CrisisRules(_Section):
    """Crisis levels 1–3 (SPEC §4); a negative review is one rated at most `negative_max_rating`."""

    negative_max_rating: int = Field(2, ge=1, le=4)
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


class SpikeRules(_Section):
    """Spikes of an aspect (e.g. delivery complaints after a holiday) against its own history."""

    history_days: int = Field(28, ge=7, le=365)
    min_count: int = Field(3, ge=1, description="fewer mentions in a day are never a spike")
    ratio: float = Field(2.0, gt=1, description="at least this many times the daily average")
    z_score: float = Field(3.0, gt=0, description="and this many standard deviations above it")


class AlertPolicy(_Section):
    reviews: ReviewRules = Field(default_factory=ReviewRules)
    routing: RoutingRules = Field(default_factory=RoutingRules)
    baseline: BaselineRules = Field(default_factory=BaselineRules)
    crisis: CrisisRules = Field(default_factory=CrisisRules)
    spikes: SpikeRules = Field(default_factory=SpikeRules)
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
