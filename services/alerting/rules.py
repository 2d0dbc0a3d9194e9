"""Which analysed reviews fire an alert, and how severe it is (SPEC §3, §4)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewguard.alerting.v1 import alert_pb2
from reviewguard.ingest.v1 import review_pb2
from reviewguard.nlp.v1 import analysis_pb2
from services.alerting.policy import ReviewRules

NEGATIVE_REVIEW = "negative_review"
COMPETITOR_ATTACK = "competitor_attack"


@dataclass(frozen=True)
class AlertDraft:
    rule: str
    severity: int
    reasons: list[str]
    summary: str
    labels: dict[str, str] = field(default_factory=dict)


def evaluate_review(review: review_pb2.Review, analysis: analysis_pb2.Analysis, rules: ReviewRules) -> AlertDraft | None:
    """An alert for a negative review, graded by stars, negative score and risk labels; None otherwise.

    Critical: a product-safety term. High: the lowest ratings, any risk term. Normal: other low
    ratings, or a negative score above the manual-review threshold on a middling rating (up to
    `score_alert_max_rating`).
    Competitors' reviews are analysed but never alert.
    """
    if review.competitor:
        return None
    reasons: list[str] = []
    labels = {"language": analysis.language, "rating": str(review.rating)}
    if review.product_line:
        labels["product_line"] = review.product_line
    if review.rating <= rules.alert_max_rating:
        reasons.append(f"rating {review.rating}")
    categories = {t.category for t in analysis.risk_terms}
    for term in analysis.risk_terms:
        reasons.append(f"risk term '{term.term}' ({term.category})")
    if analysis.HasField("negative_score") and analysis.negative_score > rules.manual_review_negative_score:
        labels["queue"] = "manual_review"
        if reasons or review.rating <= rules.score_alert_max_rating:
            reasons.append(f"negative score {analysis.negative_score:.2f}")
    # NOTE: a safety, legal or health term always reaches a person, whatever the score says: a
    # "caught fire" review scored 0.6 is exactly the one the model may under-rate.
    urgent = sorted(categories & set(rules.manual_review_categories))
    if urgent:
        labels["queue"] = "manual_review"
    if not reasons:
        return None

    escalations = sorted(categories & set(rules.escalation_categories))
    if any("competitor" in reason for reason in analysis.suspicion_reasons):
        escalations.append("competitor_attack")
    if escalations:
        labels["escalation"] = ",".join(escalations)
        labels["team"] = "risk"
    if len(analysis.risk_terms) >= rules.malicious_min_risk_terms:
        labels["malicious_candidate"] = "true"
    if analysis.duplicate_cluster_id:
        labels["duplicate_cluster"] = analysis.duplicate_cluster_id
    if analysis.malicious:
        # NOTE: only attack evidence (NLP's `malicious`) marks a review malicious, never angry words.
        labels["malicious"] = "true"
        reasons.extend(f"attack evidence: {why}" for why in analysis.malicious_reasons)

    if "safety" in categories:
        severity = alert_pb2.SEVERITY_CRITICAL
    elif review.rating <= rules.high_max_rating or analysis.risk_terms:
        severity = alert_pb2.SEVERITY_HIGH
    else:
        severity = alert_pb2.SEVERITY_NORMAL
    stars = "★" * review.rating
    summary = f"{stars} review of {review.product_id} on {review.platform} {review.marketplace}: {reasons[-1] if len(reasons) > 1 else reasons[0]}"
    return AlertDraft(rule=NEGATIVE_REVIEW, severity=severity, reasons=reasons, summary=summary, labels=labels)
