"""Appeal letters quote every clause in the letter's own language, marked as our paraphrase, and cite
the platform's ids, never ours; a clause added without wording is still quoted in English, labelled."""

from __future__ import annotations

import re
import tomllib
from itertools import product
from pathlib import Path

import pytest

from services.resolution.appeals.models import ReviewFacts
from services.resolution.appeals.service import CLAUSES_PATH, LETTERS_PATH, AppealBook, assess, draft_letter, evidence_refs, load_book
from services.resolution.evidence.models import EvidenceKind
from tests.services.resolution.appeals.test_service import chain_of

# The English wording is the clause table itself; every other language has its own in letters.toml.
SOURCE_LANGUAGE = "en"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
ALL_EVIDENCE = (EvidenceKind.ORDER, EvidenceKind.DELIVERY_PROOF, EvidenceKind.LISTING_SNAPSHOT)


@pytest.fixture(scope="module")
def book() -> AppealBook:
    return load_book()


def translated(book: AppealBook) -> list[str]:
    return [lang for lang in book.letters if lang != SOURCE_LANGUAGE]


def letter_for(book: AppealBook, clause_id: str, language: str, *, review_id: str = "R2XK9QZ1", product_id: str = "B0KETTLE01") -> str:
    clause = next(c for c in book.clauses if c.id == clause_id)
    facts = ReviewFacts(platform=clause.platform, marketplace="US", **{f: True for f in clause.requires})
    chain = chain_of(*ALL_EVIDENCE)
    finding = next(f for f in assess(book=book, facts=facts, evidence_kinds=[l.item.kind for l in chain.links]).findings if f.clause.id == clause_id)
    return draft_letter(
        book=book, finding=finding, facts=facts, review_id=review_id, product_name="KX-200", order_id="302-1234567-1234567",
        seller_name="KettleWorks", actions=["replied_publicly"], status="in_progress", evidence=evidence_refs(chain), language=language,
        product_id=product_id,
    ).text


def test_every_clause_has_its_own_wording_in_every_language(book: AppealBook) -> None:
    assert translated(book), "letters.toml ships no language besides English"
    missing, copied = [], []
    for lang in translated(book):
        spec = book.letters[lang]
        assert spec.get("paraphrase_note", "").strip(), f"{lang} has no paraphrase_note"
        for clause in book.clauses:
            local = spec.get("clauses", {}).get(clause.id, {})
            if not (local.get("title", "").strip() and local.get("reference", "").strip()):
                missing.append(f"{lang}: {clause.id}")
            elif local["title"] == clause.title or local["reference"] == clause.reference:
                copied.append(f"{lang}: {clause.id}")
    assert missing == [], f"clauses without wording (title and reference in letters.toml): {missing}"
    assert copied == [], f"wording copied from English: {copied}"


def test_a_clause_added_without_wording_is_quoted_in_english_and_labelled(tmp_path: Path) -> None:
    clauses = tmp_path / "clauses.toml"
    clauses.write_text(CLAUSES_PATH.read_text(encoding="utf-8") + """
[[clause]]
id = "ebay.feedback.new_rule"
platform = "ebay"
ground = "abusive"
title = "Feedback policy – a rule added later"
reference = "eBay Feedback policy: a rule added after the letters were translated"
requires = ["abusive_language"]
evidence = ["listing_snapshot"]
""", encoding="utf-8")
    book = load_book(clauses_path=clauses)
    text = letter_for(book, "ebay.feedback.new_rule", "de")
    assert "eBay Feedback policy: a rule added after the letters were translated (englischsprachige Fassung der Richtlinie, sinngemäß wiedergegeben)." in text
    assert "Feedback policy – a rule added later" in text and "kein wörtliches Zitat" not in text


def test_wording_for_a_clause_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    letters = tmp_path / "letters.toml"
    letters.write_text(LETTERS_PATH.read_text(encoding="utf-8") + '\n[de.clauses."ebay.feedback.abusiv"]\ntitle = "T"\nreference = "R"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown clause ebay.feedback.abusiv"):
        load_book(letters_path=letters)


def test_a_german_ebay_carrier_delay_letter_quotes_the_policy_in_german(book: AppealBook) -> None:
    facts = ReviewFacts(platform="ebay", marketplace="DE", carrier_caused=True, shipped_on_time_with_tracking=True)
    chain = chain_of(EvidenceKind.ORDER, EvidenceKind.DELIVERY_PROOF)
    finding = assess(book=book, facts=facts, evidence_kinds=[l.item.kind for l in chain.links]).best
    letter = draft_letter(
        book=book, finding=finding, facts=facts, review_id="1839204817", product_name="Wasserkocher KX-200", order_id="12-34567-89012",
        seller_name="KettleWorks GmbH", actions=["investigated_carrier"], status="resolved", evidence=evidence_refs(chain), product_id="395112345678",
    )
    text = letter.text
    assert letter.language == "de" and letter.clause_id == "ebay.feedback.carrier_delay"
    assert "nach ebay.feedback.carrier_delay (Verkäuferschutz – negative Bewertungen wegen Verzögerungen des Versanddienstleisters" in text
    assert ("Richtlinie: eBay-Verkäuferschutz / Grundsatz zu Bewertungen: Bewertungen zu Lieferverzögerungen werden entfernt, wenn der Artikel "
            "fristgerecht und mit Sendungsverfolgung versandt wurde (sinngemäße Wiedergabe, kein wörtliches Zitat).") in text
    assert "Die Bewertung 1839204817 zu Wasserkocher KX-200 (eBay-Artikelnummer 395112345678, Bestellung 12-34567-89012, Marktplatz DE)" in text
    assert "englischsprachige Fassung" not in text and "Seller protections" not in text and "shipping delays" not in text and "eBay item" not in text


def test_a_japanese_trustpilot_letter_quotes_the_policy_in_japanese(book: AppealBook) -> None:
    facts = ReviewFacts(platform="trustpilot", marketplace="JP", reviewer_not_a_customer=True)
    chain = chain_of(EvidenceKind.ORDER)
    finding = assess(book=book, facts=facts, evidence_kinds=["order"]).best
    letter = draft_letter(
        book=book, finding=finding, facts=facts, review_id="6745a1f0c2b9e8d4f1a3b5c7", product_name="電気ケトル KX-200", order_id="TP-20261120-7",
        seller_name="ケトルワークス", actions=["replied_publicly", "contacted_buyer"], status="in_progress", evidence=evidence_refs(chain),
    )
    text = letter.text
    assert letter.language == "ja" and letter.clause_id == "trustpilot.guidelines.no_experience"
    assert "trustpilot.guidelines.no_experience（レビュアー向けガイドライン – レビューは実際の体験に基づくものであること）に基づき" in text
    assert ("該当するポリシー：Trustpilotレビュアー向けガイドライン「実際の体験」：レビュアーが顧客であったことを示す根拠がない場合、"
            "企業はそのレビューを報告できます（趣旨を要約したもので、原文の引用ではございません）\n") in text
    assert "（レビューID：6745a1f0c2b9e8d4f1a3b5c7）" in text
    assert "英語版" not in text and "Guidelines for Reviewers" not in text and "Genuine experience" not in text


@pytest.mark.parametrize("language", ["de", "fr", "es", "it", "ja", "zh"])
def test_no_letter_falls_back_to_english(book: AppealBook, language: str) -> None:
    spec = book.letters[language]
    for clause in book.clauses:
        text = letter_for(book, clause.id, language)
        assert spec["original_note"] not in text and clause.reference not in text, f"{language} {clause.id}"
        assert f"{spec['clauses'][clause.id]['reference']}{'' if language in ('ja', 'zh') else ' '}{spec['paraphrase_note']}" in text


def test_no_letter_contains_an_internal_uuid(book: AppealBook) -> None:
    for language, clause in product(book.letters, book.clauses):
        text = letter_for(book, clause.id, language)
        assert "R2XK9QZ1" in text and "B0KETTLE01" in text, f"{language} {clause.id} does not cite the platform's ids"
        assert not UUID.search(text), f"{language} {clause.id}: {UUID.search(text).group()}"
        # Unknown platform ids are left out, not replaced.
        bare = letter_for(book, clause.id, language, review_id="", product_id="")
        assert not UUID.search(bare) and "B0KETTLE01" not in bare and "None" not in bare, f"{language} {clause.id}"
