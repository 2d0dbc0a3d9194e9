"""Appeals: eligibility by platform clause and letters in the marketplace's language with the evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from libs.errors import InvalidArgument
from services.resolution.appeals.models import ReviewFacts
from services.resolution.appeals.service import AppealBook, assess, draft_letter, evidence_refs, letter_language, load_book
from services.resolution.evidence.models import EvidenceChain, EvidenceItem, EvidenceKind
from services.resolution.evidence.service import append

T0 = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def book() -> AppealBook:
    return load_book()


def chain_of(*kinds: EvidenceKind) -> EvidenceChain:
    chain = EvidenceChain()
    for i, kind in enumerate(kinds):
        chain = append(chain, EvidenceItem(kind, {"n": i}, T0, "seller-central", f"{kind} #{i}"), T0 + timedelta(minutes=i))
    return chain


def test_fba_carrier_review_is_eligible_on_amazon_and_says_which_evidence_is_missing(book: AppealBook) -> None:
    facts = ReviewFacts(platform="amazon", marketplace="DE", fulfilled_by_platform=True, carrier_caused=True)
    partial = assess(book=book, facts=facts, evidence_kinds=["order"])
    assert not partial.eligible
    assert partial.findings[0].clause.id == "amazon.fba.carrier" and partial.findings[0].missing_evidence == ("delivery_proof",)
    full = assess(book=book, facts=facts, evidence_kinds=["order", "delivery_proof"])
    assert full.eligible and full.best.clause.id == "amazon.fba.carrier"


def test_merchant_fulfilled_carrier_complaint_is_not_an_fba_appeal(book: AppealBook) -> None:
    facts = ReviewFacts(platform="amazon", marketplace="US", carrier_caused=True)
    assert not assess(book=book, facts=facts, evidence_kinds=["order", "delivery_proof"]).eligible


def test_ebay_and_trustpilot_clauses(book: AppealBook) -> None:
    ebay = assess(
        book=book,
        facts=ReviewFacts(platform="ebay", marketplace="UK", carrier_caused=True, shipped_on_time_with_tracking=True),
        evidence_kinds=["order", "delivery_proof"],
    )
    assert ebay.best.clause.id == "ebay.feedback.carrier_delay"
    trust = assess(book=book, facts=ReviewFacts(platform="trustpilot", marketplace="DE", reviewer_not_a_customer=True), evidence_kinds=["order"])
    assert trust.best.clause.id == "trustpilot.guidelines.no_experience"


def test_german_letter_cites_the_clause_and_lists_the_evidence(book: AppealBook) -> None:
    facts = ReviewFacts(platform="amazon", marketplace="DE", abusive_language=True)
    chain = chain_of(EvidenceKind.LISTING_SNAPSHOT, EvidenceKind.MESSAGE)
    finding = assess(book=book, facts=facts, evidence_kinds=[l.item.kind for l in chain.links]).best
    letter = draft_letter(
        book=book, finding=finding, facts=facts, review_id="R2XK9QZ1", product_name="Wasserkocher KX-200", order_id="302-1234567-1234567",
        seller_name="KettleWorks GmbH", actions=["replied_publicly", "contacted_buyer"], status="remedy_offered", evidence=evidence_refs(chain),
    )
    text = letter.text
    assert letter.language == "de" and letter.clause_id == "amazon.cg.abusive"
    for part in ("1. Das Problem", "2. Was wir unternommen haben", "3. Aktueller Stand"):
        assert part in text
    assert text.index("1. Das Problem") < text.index("2. Was wir") < text.index("3. Aktueller Stand")
    assert "amazon.cg.abusive" in text and "Anstößige Inhalte" in text and "Offensive content" not in text
    assert "enthält beleidigende und anstößige Ausdrücke" in text
    assert "- Wir haben öffentlich auf die Bewertung geantwortet." in text
    assert "Beigefügte Nachweise (2 Stück" in text
    assert "1. Momentaufnahme der Bewertung und des Angebots" in text and "2. Nachricht des Käufers" in text
    for link in chain.links:
        assert link.item_hash in text


@pytest.mark.parametrize(
    ("marketplace", "language", "heading", "evidence_label"),
    [
        ("US", "en", "3. Where it stands", "Proof of delivery"),
        ("FR", "fr", "3. Où en est la situation", "Preuve de livraison"),
        ("ES", "es", "3. Situación actual", "Prueba de entrega"),
        ("IT", "it", "3. A che punto siamo", "Prova di consegna"),
        ("JP", "ja", "3. 現在の状況", "配達証明"),
        ("CN", "zh", "3. 目前进展", "签收证明"),
    ],
)
def test_letters_in_the_marketplace_language(book: AppealBook, marketplace: str, language: str, heading: str, evidence_label: str) -> None:
    facts = ReviewFacts(platform="amazon", marketplace=marketplace, fulfilled_by_platform=True, carrier_caused=True)
    chain = chain_of(EvidenceKind.ORDER, EvidenceKind.DELIVERY_PROOF)
    finding = assess(book=book, facts=facts, evidence_kinds=["order", "delivery_proof"]).best
    letter = draft_letter(
        book=book, finding=finding, facts=facts, review_id="R1", product_name="KX-200", order_id="503-1", seller_name="KettleWorks",
        actions=["reshipped"], status="resolved", evidence=evidence_refs(chain),
    )
    assert letter_language(marketplace) == language == letter.language
    assert heading in letter.text and evidence_label in letter.text and "amazon.fba.carrier" in letter.text


def test_a_letter_needs_an_applicable_clause_its_evidence_and_an_intact_chain(book: AppealBook) -> None:
    facts = ReviewFacts(platform="amazon", marketplace="DE")
    finding = assess(book=book, facts=facts, evidence_kinds=[]).findings[0]
    kwargs = dict(book=book, facts=facts, review_id="R", product_name="P", order_id="O", seller_name="S", actions=[], status="in_progress")
    with pytest.raises(InvalidArgument, match="does not apply"):
        draft_letter(finding=finding, evidence=(), **kwargs)
    abusive = assess(book=book, facts=replace(facts, abusive_language=True), evidence_kinds=[]).findings[0]
    with pytest.raises(InvalidArgument, match="needs evidence: listing_snapshot"):
        draft_letter(finding=abusive, evidence=(), **kwargs)
    chain = chain_of(EvidenceKind.LISTING_SNAPSHOT, EvidenceKind.ORDER)
    tampered = EvidenceChain((replace(chain.links[0], item=replace(chain.links[0].item, content={"n": 99})), chain.links[1]))
    with pytest.raises(InvalidArgument, match="broken at item 0"):
        evidence_refs(tampered)
