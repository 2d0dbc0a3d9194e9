"""Which analysed reviews alert, and how severe (SPEC §4)."""

from __future__ import annotations

from reviewguard.alerting.v1 import alert_pb2
from reviewguard.nlp.v1 import analysis_pb2
from services.alerting.rules import evaluate_review
from tests.helpers import make_review


def analysis(*terms: tuple[str, str], language: str = "de") -> analysis_pb2.Analysis:
    return analysis_pb2.Analysis(
        language=language,
        risk_terms=[analysis_pb2.RiskTerm(term=t, category=c, language=language) for t, c in terms],
        malicious_candidate=len(terms) >= 3,
    )


def test_one_star_is_high_and_two_stars_normal() -> None:
    assert evaluate_review(make_review(rating=1), analysis()).severity == alert_pb2.SEVERITY_HIGH
    assert evaluate_review(make_review(rating=2), analysis()).severity == alert_pb2.SEVERITY_NORMAL


def test_three_stars_and_up_without_risk_terms_do_not_alert() -> None:
    for rating in (3, 4, 5):
        assert evaluate_review(make_review(rating=rating), analysis()) is None


def test_a_risk_term_alerts_high_even_on_a_good_rating_and_escalates() -> None:
    draft = evaluate_review(make_review(rating=4), analysis(("überhitz", "safety")))
    assert draft.severity == alert_pb2.SEVERITY_HIGH
    assert draft.labels["escalation"] == "safety"
    assert "risk term 'überhitz' (safety)" in draft.reasons


def test_damage_alone_is_not_escalated_but_fraud_and_legal_are() -> None:
    assert "escalation" not in evaluate_review(make_review(rating=2), analysis(("kaputt", "damage"))).labels
    labels = evaluate_review(make_review(rating=1), analysis(("betrug", "fraud"), ("anwalt", "legal"), ("kaputt", "damage"))).labels
    assert labels["escalation"] == "fraud,legal"
    assert labels["malicious_candidate"] == "true"


def test_competitor_reviews_never_alert() -> None:
    assert evaluate_review(make_review(rating=1, competitor=True), analysis(("betrug", "fraud"))) is None
