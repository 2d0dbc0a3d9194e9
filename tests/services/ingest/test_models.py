"""Validation of submitted reviews: each problem names its field and says why."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.ingest import models
from tests.helpers import make_review

LIMITS = models.Limits(max_title_chars=500, max_body_chars=20_000)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def problems(review) -> dict[str, str]:
    return {v.field: v.description for v in models.validate(review, path="reviews[0]", limits=LIMITS, now=NOW)}


def test_a_complete_review_is_valid_in_every_language() -> None:
    for language in ("de", "en", "fr", "es", "ja", "zh"):
        assert problems(make_review(text_in=language)) == {}


def test_rating_outside_one_to_five_is_refused() -> None:
    assert "1 to 5" in problems(make_review(rating=7))["reviews[0].rating"]
    assert "reviews[0].rating" in problems(make_review(rating=0))


def test_missing_required_fields_are_each_named() -> None:
    review = make_review(platform="", external_id="", product_id="  ", marketplace="")
    review.ClearField("posted_at")
    found = problems(review)
    for field in ("platform", "external_id", "product_id", "marketplace", "posted_at"):
        assert found[f"reviews[0].{field}"] == "is required"


def test_size_limits_are_enforced() -> None:
    found = problems(make_review(body="x" * 20_001, title="t" * 501))
    assert "at most 20000 characters" in found["reviews[0].body"]
    assert "at most 500 characters" in found["reviews[0].title"]


def test_review_without_any_text_is_refused() -> None:
    assert "title or a body" in problems(make_review(title=" ", body=""))["reviews[0].body"]


def test_posted_in_the_future_is_refused_but_clock_skew_is_tolerated() -> None:
    assert "future" in problems(make_review(posted_at=NOW + timedelta(days=3)))["reviews[0].posted_at"]
    assert problems(make_review(posted_at=NOW + timedelta(hours=2))) == {}


def test_malformed_platform_language_and_media_are_refused() -> None:
    found = problems(make_review(platform="Amazon DE!", language="german!", media_urls=["ftp://x"]))
    assert set(found) == {"reviews[0].platform", "reviews[0].language", "reviews[0].media_urls"}


def test_the_storage_form_is_the_same_for_the_same_content() -> None:
    a = models.to_row(make_review(rating=1))
    b = models.to_row(make_review(rating=1))
    c = models.to_row(make_review(rating=4))
    assert a == b != c


def test_country_codes_are_upper_cased_and_domains_lower_cased() -> None:
    assert models.to_row(make_review(marketplace="de"))["marketplace"] == "DE"
    assert models.to_row(make_review(marketplace="Amazon.DE"))["marketplace"] == "amazon.de"
