"""Which analysed reviews fire an alert, and how severe it is (SPEC §4, first rule set)."""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewguard.alerting.v1 import alert_pb2
from reviewguard.ingest.v1 import review_pb2
from reviewguard.nlp.v1 import analysis_pb2

NEGATIVE_REVIEW = "negative_review"
# Risk categories that go to the risk team's route (SPEC §4 escalation labels).
ESCALATED_CATEGORIES = {"safety", "fraud", "legal", "health"}


@dataclass(frozen=True)
class AlertDraft:
    rule: str
    severity: int
    reasons: list[str]
    labels: dict[str, str] = field(default_factory=dict)


def evaluate_review(review: review_pb2.Review, analysis: analysis_pb2.Analysis) -> AlertDraft | None:
    """An alert for a negative review: 1★ or any risk term is high, 2★ normal; None otherwise.

    Competitors' reviews are analysed but never alert.
    """
    if review.competitor:
        return None
    reasons: list[str] = []
    if review.rating <= 2:
        reasons.append(f"rating {review.rating}")
    for term in analysis.risk_terms:
        reasons.append(f"risk term '{term.term}' ({term.category})")
    if not reasons:
        return None
    high = review.rating == 1 or len(analysis.risk_terms) > 0
    labels = {"language": analysis.language, "rating": str(review.rating)}
    escalations = sorted({t.category for t in analysis.risk_terms} & ESCALATED_CATEGORIES)
    if escalations:
        labels["escalation"] = ",".join(escalations)
    if analysis.malicious_candidate:
        labels["malicious_candidate"] = "true"
    return AlertDraft(
        rule=NEGATIVE_REVIEW,
        severity=alert_pb2.SEVERITY_HIGH if high else alert_pb2.SEVERITY_NORMAL,
        reasons=reasons,
        labels=labels,
    )
