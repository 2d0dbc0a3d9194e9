"""Policy clauses, the facts of a review, eligibility findings and appeal letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Action(StrEnum):
    """What the seller already did for the buyer, as the letter reports it."""

    REPLIED_PUBLICLY = "replied_publicly"
    CONTACTED_BUYER = "contacted_buyer"
    REFUNDED = "refunded"
    RESHIPPED = "reshipped"
    OFFERED_RETURN = "offered_return"
    INVESTIGATED_CARRIER = "investigated_carrier"


class CaseStatus(StrEnum):
    RESOLVED = "resolved"
    REMEDY_OFFERED = "remedy_offered"
    IN_PROGRESS = "in_progress"


@dataclass(frozen=True)
class PolicyClause:
    """A platform policy clause that allows a review to be removed, and what it needs."""

    id: str
    platform: str
    ground: str
    title: str
    reference: str
    requires: frozenset[str]
    evidence: frozenset[str]


@dataclass(frozen=True)
class ReviewFacts:
    """What is known about a review: text flags from NLP and facts from the order."""

    platform: str
    marketplace: str
    abusive_language: bool = False
    only_about_shipping_or_seller: bool = False
    unrelated_to_product: bool = False
    fulfilled_by_platform: bool = False
    carrier_caused: bool = False
    shipped_on_time_with_tracking: bool = False
    reviewer_not_a_customer: bool = False
    contains_personal_info: bool = False
    # A competitor's attack: a near-duplicate burst from new accounts, a competitor named, no product detail.
    competitor_attack: bool = False

    def holds(self, fact: str) -> bool:
        return bool(getattr(self, fact))


@dataclass(frozen=True)
class ClauseFinding:
    """How one clause applies: which required facts are missing and which evidence is lacking."""

    clause: PolicyClause
    missing_facts: tuple[str, ...]
    missing_evidence: tuple[str, ...]

    @property
    def applies(self) -> bool:
        return not self.missing_facts

    @property
    def ready(self) -> bool:
        return self.applies and not self.missing_evidence


@dataclass(frozen=True)
class Eligibility:
    """The clauses a review could be appealed under; `best` is the first one ready to file."""

    platform: str
    findings: tuple[ClauseFinding, ...]

    @property
    def eligible(self) -> bool:
        return any(f.ready for f in self.findings)

    @property
    def best(self) -> ClauseFinding | None:
        ready = [f for f in self.findings if f.ready]
        return ready[0] if ready else None


@dataclass(frozen=True)
class EvidenceRef:
    """An evidence item listed in a letter, with the fingerprint from the evidence chain."""

    kind: str
    description: str
    captured_at: datetime
    sha256: str


@dataclass(frozen=True)
class AppealLetter:
    """A ready appeal: the language it is in, the clause it cites, and its text."""

    language: str
    clause_id: str
    text: str
    evidence: tuple[EvidenceRef, ...]
