"""Fake-review suspicion: a 0–1 score with reasons from SPEC §3's signals the data supports."""

from services.nlp.suspicion.models import (
    BurstStats,
    CompetitorMentions,
    GenericText,
    Reason,
    ReviewerHistory,
    Signals,
    Suspicion,
)
from services.nlp.suspicion.score import score
from services.nlp.suspicion.signals import CompetitorMatcher, generic_text

__all__ = [
    "BurstStats", "CompetitorMatcher", "CompetitorMentions", "GenericText", "Reason", "ReviewerHistory",
    "Signals", "Suspicion", "generic_text", "score",
]
