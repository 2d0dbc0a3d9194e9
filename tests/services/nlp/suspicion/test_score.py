"""The suspicion score: each signal gives a stable reason; several combine but never exceed 1."""

from __future__ import annotations

import pytest

from services.nlp.suspicion import (
    BurstStats,
    CompetitorMatcher,
    ReviewerHistory,
    Signals,
    generic_text,
    score,
)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Great product, love it!", "en"),
        ("Schrott, nie wieder!", "de"),
        ("Nul, à fuir.", "fr"),
        ("Muy malo, no lo recomiendo.", "es"),
        ("Pessimo prodotto, soldi buttati.", "it"),
        ("最悪です。", "ja"),
        ("垃圾，差评", "zh"),
    ],
)
def test_short_generic_texts_are_flagged(text: str, language: str) -> None:
    result = score(Signals(generic=generic_text(text, language=language)))
    assert result.codes == ["generic_text"] and result.score == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The 1.7 l kettle boils in 3 minutes, but the lid hinge squeaks.", "en"),
        ("Der Deckel klemmt und das Kabel ist zu kurz.", "de"),
        ("Le couvercle ferme mal et le câble mesure à peine 60 cm.", "fr"),
        ("La tapa no cierra bien y el cable mide apenas 60 cm.", "es"),
        ("Il coperchio non chiude e il cavo è lungo appena 60 cm.", "it"),
        ("フタの閉まりが悪く、コードも60cmしかありません。", "ja"),
        ("这个水壶的盖子有点松，烧水要五分钟左右。", "zh"),
    ],
)
def test_texts_with_product_detail_are_not(text: str, language: str) -> None:
    assert score(Signals(generic=generic_text(text, language=language))).reasons == ()


def test_no_signals_score_zero() -> None:
    result = score(Signals())
    assert (result.score, result.reasons) == (0.0, ())


def test_near_duplicates_weigh_more_with_more_copies_up_to_a_cap() -> None:
    one, two, many = (score(Signals(near_duplicates=n)).score for n in (1, 2, 50))
    assert 0.5 == one < two < many == 0.8


def test_a_burst_needs_enough_reviews_and_a_jump_over_the_usual() -> None:
    assert score(Signals(burst=BurstStats(in_window=4, window_hours=24, usual_in_window=0.2))).reasons == ()
    assert score(Signals(burst=BurstStats(in_window=6, window_hours=24, usual_in_window=4))).reasons == ()
    burst = score(Signals(burst=BurstStats(in_window=20, window_hours=24, usual_in_window=1.5)))
    assert burst.codes == ["review_burst"] and "20 reviews" in burst.reasons[0].text


def test_a_reviewer_who_only_posts_negatives() -> None:
    assert score(Signals(reviewer=ReviewerHistory(reviews=2, negative=2))).reasons == ()
    assert score(Signals(reviewer=ReviewerHistory(reviews=8, negative=3))).reasons == ()
    few = score(Signals(reviewer=ReviewerHistory(reviews=4, negative=4))).score
    many = score(Signals(reviewer=ReviewerHistory(reviews=12, negative=12))).score
    assert 0 < few < many


@pytest.mark.parametrize(
    ("text", "language", "brands", "cues"),
    [
        ("Buy the Anker one instead, it lasts.", "en", ("Anker",), True),
        ("Bei Ankerplatz gekauft, besser bei Amazon direkt.", "de", (), True),
        ("Achetez plutôt la marque concurrente.", "fr", (), True),
        ("Mejor comprad otra marca.", "es", (), True),
        ("Meglio comprare altro.", "it", (), True),
        ("他の会社の製品の方がいいです。", "ja", (), True),
        ("还不如买小米的", "zh", ("小米",), True),
        ("Works with my anker cable fine.", "en", ("anker",), False),
    ],
)
def test_competitor_brands_and_cues(text: str, language: str, brands: tuple, cues: bool) -> None:
    found = CompetitorMatcher(brands=["Anker", "小米"]).find(text, language=language)
    assert found.brands == brands and bool(found.cues) == cues
    codes = score(Signals(competitor=found)).codes
    assert ("competitor_brand" in codes) == bool(brands) and ("competitor_cue" in codes) == cues


def test_order_context_signals_and_combination_stays_below_one() -> None:
    everything = Signals(
        generic=generic_text("Bad.", language="en"), near_duplicates=3,
        burst=BurstStats(in_window=30, window_hours=6, usual_in_window=1),
        reviewer=ReviewerHistory(reviews=20, negative=20),
        competitor=CompetitorMatcher(brands=["Acme"]).find("Buy Acme instead.", language="en"),
        minimum_unit_order=True, during_competitor_promotion=True,
    )
    result = score(everything)
    assert 0.95 < result.score < 1.0
    assert result.codes == sorted(result.codes, key=lambda c: -next(r.weight for r in result.reasons if r.code == c))
    assert set(result.codes) == {
        "generic_text", "near_duplicate", "review_burst", "negative_only_reviewer", "competitor_brand",
        "competitor_cue", "minimum_unit_order", "competitor_promotion",
    }
    assert score(Signals(minimum_unit_order=False, during_competitor_promotion=None)).reasons == ()
