"""Which analysed reviews alert, and how severe (SPEC §4)."""

from __future__ import annotations

from reviewguard.alerting.v1 import alert_pb2
from reviewguard.nlp.v1 import analysis_pb2
from services.alerting.policy import ReviewRules
from services.alerting.rules import evaluate_review as _evaluate
from tests.helpers import make_review


def evaluate_review(review, analysis, rules: ReviewRules | None = None):
    return _evaluate(review, analysis, rules or ReviewRules())


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


def test_a_safety_term_is_critical_even_on_a_good_rating_and_escalates_to_the_risk_team() -> None:
    draft = evaluate_review(make_review(rating=4), analysis(("überhitz", "safety")))
    assert draft.severity == alert_pb2.SEVERITY_CRITICAL
    assert (draft.labels["escalation"], draft.labels["team"]) == ("safety", "risk")
    assert "risk term 'überhitz' (safety)" in draft.reasons


def test_damage_alone_is_not_escalated_but_fraud_and_legal_are() -> None:
    assert "escalation" not in evaluate_review(make_review(rating=2), analysis(("kaputt", "damage"))).labels
    labels = evaluate_review(make_review(rating=1), analysis(("betrug", "fraud"), ("anwalt", "legal"), ("kaputt", "damage"))).labels
    assert labels["escalation"] == "fraud,legal"
    assert labels["malicious_candidate"] == "true"


def test_competitor_reviews_never_alert() -> None:
    assert evaluate_review(make_review(rating=1, competitor=True), analysis(("betrug", "fraud"))) is None


def test_a_fraud_term_on_a_good_rating_is_high() -> None:
    assert evaluate_review(make_review(rating=5), analysis(("fake", "fraud"))).severity == alert_pb2.SEVERITY_HIGH


def test_negative_score_above_seven_tenths_goes_to_the_manual_review_queue() -> None:
    scored = analysis()
    scored.negative_score = 0.82
    draft = evaluate_review(make_review(rating=3), scored)
    assert draft.labels["queue"] == "manual_review" and draft.severity == alert_pb2.SEVERITY_NORMAL
    scored.negative_score = 0.65
    assert evaluate_review(make_review(rating=3), scored) is None


def test_a_good_rating_never_pages_on_its_text_score_alone() -> None:
    """"Great kettle, but the lid is stiff" (4 stars) reads critical; it must not page anyone."""
    scored = analysis()
    scored.negative_score = 0.93
    assert evaluate_review(make_review(rating=4), scored) is None
    assert evaluate_review(make_review(rating=5), scored) is None
    scored.risk_terms.append(analysis_pb2.RiskTerm(term="fake", category="fraud", language="en"))
    draft = evaluate_review(make_review(rating=4), scored)
    assert draft.labels["queue"] == "manual_review" and "negative score 0.93" in draft.reasons


def test_competitor_mentions_escalate_as_a_competitor_attack() -> None:
    suspicious = analysis()
    suspicious.suspicion_reasons.append("compares with a competitor's product")
    assert evaluate_review(make_review(rating=1), suspicious).labels["escalation"] == "competitor_attack"


def test_tenant_rules_change_the_grading() -> None:
    strict = ReviewRules(high_max_rating=2, alert_max_rating=3, malicious_min_risk_terms=2)
    assert evaluate_review(make_review(rating=2), analysis(), strict).severity == alert_pb2.SEVERITY_HIGH
    assert evaluate_review(make_review(rating=3), analysis(), strict).severity == alert_pb2.SEVERITY_NORMAL
    labels = evaluate_review(make_review(rating=1), analysis(("a", "damage"), ("b", "damage")), strict).labels
    assert labels["malicious_candidate"] == "true"


def test_safety_legal_and_health_terms_reach_the_manual_queue_whatever_the_score() -> None:
    fire = analysis(("caught fire", "safety"), language="en")
    fire.negative_score = 0.6
    draft = evaluate_review(make_review(rating=1), fire)
    assert draft.labels["queue"] == "manual_review" and draft.severity == alert_pb2.SEVERITY_CRITICAL
    lawyer = analysis(("anwalt", "legal"))
    lawyer.negative_score = 0.1
    assert evaluate_review(make_review(rating=4), lawyer).labels["queue"] == "manual_review"
    dented = analysis(("kaputt", "damage"))
    dented.negative_score = 0.6
    assert "queue" not in evaluate_review(make_review(rating=2), dented).labels
    assert "queue" not in evaluate_review(make_review(rating=1), fire, ReviewRules(manual_review_categories=[])).labels


def test_attack_evidence_not_angry_words_marks_a_review_malicious() -> None:
    angry = analysis(("fake", "fraud"), ("broken", "damage"), ("fraud", "fraud"))
    labels = evaluate_review(make_review(rating=1), angry).labels
    assert labels["malicious_candidate"] == "true" and "malicious" not in labels
    attack = analysis()
    attack.malicious, attack.duplicate_cluster_id = True, "c0ffee"
    attack.malicious_reasons.append("near-duplicate of 4 reviews in 24 h")
    draft = evaluate_review(make_review(rating=1), attack)
    assert (draft.labels["malicious"], draft.labels["duplicate_cluster"]) == ("true", "c0ffee")
    assert "attack evidence: near-duplicate of 4 reviews in 24 h" in draft.reasons
