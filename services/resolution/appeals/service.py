"""Decides which policy clauses a review can be appealed under and drafts the letter."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

from libs.errors import FieldViolation, InvalidArgument
from services.resolution.appeals.models import (
    Action,
    AppealLetter,
    CaseStatus,
    ClauseFinding,
    Eligibility,
    EvidenceRef,
    PolicyClause,
    ReviewFacts,
)
from services.resolution.evidence.models import EvidenceChain
from services.resolution.evidence.service import verify
from services.resolution.templates.service import make_environment, render_source

log = logging.getLogger(__name__)

CLAUSES_PATH = Path(__file__).with_name("clauses.toml")
LETTERS_PATH = Path(__file__).with_name("letters.toml")

PLATFORM_NAMES = MappingProxyType(
    {"amazon": "Amazon", "ebay": "eBay", "trustpilot": "Trustpilot", "google": "Google", "walmart": "Walmart", "aliexpress": "AliExpress", "shopify": "Shopify"}
)
# NOTE: a marketplace's language is the one its support team reads; English where it is not listed.
MARKETPLACE_LANGUAGES = MappingProxyType(
    {
        "US": "en", "GB": "en", "UK": "en", "CA": "en", "AU": "en", "IE": "en",
        "DE": "de", "AT": "de", "CH": "de",
        "FR": "fr", "BE": "fr",
        "ES": "es", "MX": "es",
        "IT": "it",
        "JP": "ja",
        "CN": "zh",
    }
)
# What each platform calls its product id (in English; letters.toml has `product_ids` per language).
PRODUCT_ID_LABELS = MappingProxyType({"amazon": "ASIN", "ebay": "eBay item", "walmart": "Walmart item", "aliexpress": "AliExpress item"})
_FACTS = frozenset(f.name for f in fields(ReviewFacts)) - {"platform", "marketplace"}


@dataclass(frozen=True)
class AppealBook:
    """Clauses and letter texts, loaded once with `load_book`."""

    clauses: tuple[PolicyClause, ...]
    letters: MappingProxyType[str, dict[str, Any]]
    environment: SandboxedEnvironment


def load_book(*, clauses_path: Path = CLAUSES_PATH, letters_path: Path = LETTERS_PATH, environment: SandboxedEnvironment | None = None) -> AppealBook:
    """Reads the clause table and the localised letters."""
    raw = tomllib.loads(clauses_path.read_text(encoding="utf-8"))
    clauses = []
    for spec in raw["clause"]:
        unknown = set(spec["requires"]) - _FACTS
        if unknown:
            raise ValueError(f"clause {spec['id']} requires unknown facts {sorted(unknown)}")
        clauses.append(
            PolicyClause(
                id=spec["id"],
                platform=spec["platform"],
                ground=spec["ground"],
                title=spec["title"],
                reference=spec["reference"],
                requires=frozenset(spec["requires"]),
                evidence=frozenset(spec["evidence"]),
            )
        )
    letters = tomllib.loads(letters_path.read_text(encoding="utf-8"))
    known = {c.id for c in clauses}
    for language, spec in letters.items():
        missing = {c.ground for c in clauses} - set(spec["grounds"])
        if missing:
            raise ValueError(f"letters in {language} lack grounds {sorted(missing)}")
        # NOTE: a clause without wording in a language is allowed (quoted in English, see draft_letter);
        # wording for a clause that does not exist, or without title and reference, is a typo.
        for clause_id, local in spec.get("clauses", {}).items():
            if clause_id not in known:
                raise ValueError(f"letters in {language} word unknown clause {clause_id}")
            if not {"title", "reference"} <= set(local):
                raise ValueError(f"letters in {language}: clause {clause_id} needs a title and a reference")
    return AppealBook(clauses=tuple(clauses), letters=MappingProxyType(letters), environment=environment or make_environment())


def assess(*, book: AppealBook, facts: ReviewFacts, evidence_kinds: Iterable[str]) -> Eligibility:
    """Every clause of the review's platform, with the facts and evidence each still lacks."""
    have = frozenset(str(k) for k in evidence_kinds)
    platform = facts.platform.strip().lower()
    findings = tuple(
        ClauseFinding(
            clause=clause,
            missing_facts=tuple(sorted(f for f in clause.requires if not facts.holds(f))),
            missing_evidence=tuple(sorted(clause.evidence - have)),
        )
        for clause in book.clauses
        if clause.platform == platform
    )
    # NOTE: clauses that apply come first, ready ones before those still missing evidence.
    findings = tuple(sorted(findings, key=lambda f: (not f.ready, not f.applies)))
    return Eligibility(platform=platform, findings=findings)


def letter_language(marketplace: str) -> str:
    """The language an appeal to this marketplace is written in."""
    return MARKETPLACE_LANGUAGES.get(marketplace.strip().upper(), "en")


def evidence_refs(chain: EvidenceChain) -> tuple[EvidenceRef, ...]:
    """The chain's items as letter entries; refuses a chain that fails verification."""
    result = verify(chain)
    if not result.intact:
        raise InvalidArgument(f"evidence chain is broken at item {result.broken_at}: {result.detail}", [FieldViolation("evidence", str(result.reason))])
    return tuple(
        EvidenceRef(kind=str(link.item.kind), description=link.item.description or link.item.source, captured_at=link.item.captured_at, sha256=link.item_hash)
        for link in chain.links
    )


def draft_letter(
    *,
    book: AppealBook,
    finding: ClauseFinding,
    facts: ReviewFacts,
    review_id: str,
    product_name: str,
    order_id: str,
    seller_name: str,
    actions: Sequence[Action | str],
    status: CaseStatus | str,
    evidence: Sequence[EvidenceRef],
    language: str | None = None,
    product_id: str = "",
) -> AppealLetter:
    """The appeal letter in three parts (problem, what was done, where it stands), citing the clause.

    Written in the marketplace's language unless `language` is given, giving the platform's policy in
    that language (our rendering, marked by the language's `paraphrase_note`; the English wording,
    marked by `original_note`, where the language has none for the clause); cites the platform's own
    ids (`review_id` is the platform's review id, `product_id` its ASIN or item number, labelled as
    the platform calls it in that language; either is left out when unknown, never replaced by an
    internal id); lists every evidence item with its SHA-256. Refuses a clause that does not apply or
    lacks the evidence it needs.
    """
    if not finding.applies:
        raise InvalidArgument(f"clause {finding.clause.id} does not apply: {', '.join(finding.missing_facts)} not established")
    attached = {ref.kind for ref in evidence}
    lacking = sorted(finding.clause.evidence - attached)
    if lacking:
        raise InvalidArgument(f"clause {finding.clause.id} needs evidence: {', '.join(lacking)}", [FieldViolation("evidence", ", ".join(lacking))])
    lang = language or letter_language(facts.marketplace)
    spec = book.letters.get(lang)
    if spec is None:
        raise InvalidArgument(f"no appeal letters in {lang!r}", [FieldViolation("language", f"one of {', '.join(book.letters)}")])
    local = spec.get("clauses", {}).get(finding.clause.id)
    # NOTE: the wording in letters.toml is ours, not the platform's official text, so one note per
    # language (`paraphrase_note`) marks every quoted clause as a paraphrase: it cannot be forgotten
    # in a single clause's wording and reads the same in every letter. A clause added later without
    # wording in this language is quoted in English, marked by `original_note` instead.
    if local is not None:
        title, reference, note = local["title"], local["reference"], spec.get("paraphrase_note", "")
    else:
        title, reference, note = finding.clause.title, finding.clause.reference, spec.get("original_note", "")
    if note:
        reference = f"{reference}{'' if lang in ('ja', 'zh') and local is not None else ' '}{note}"
    separator = {"ja": "、", "zh": "，"}.get(lang, ", ")
    product_label = spec.get("product_ids", {}).get(finding.clause.platform) or PRODUCT_ID_LABELS.get(finding.clause.platform, "SKU")
    context = {
        "platform_name": PLATFORM_NAMES.get(finding.clause.platform, finding.clause.platform),
        "review_kind": spec["review_kind"],
        "clause_id": finding.clause.id,
        "clause_title": title,
        "clause_reference": reference,
        "review_id": review_id,
        "product_ref": f"{product_label} {product_id}{separator}" if product_id else "",
        "product_name": product_name,
        "order_id": order_id,
        "marketplace": facts.marketplace.upper(),
        "ground_text": spec["grounds"][finding.clause.ground],
        "actions": [spec["actions"][str(Action(a))] for a in actions],
        "status_text": spec["status"][str(CaseStatus(status))],
        "evidence": [
            {
                "label": spec["evidence"].get(ref.kind, ref.kind),
                "description": ref.description,
                "captured": ref.captured_at.isoformat(timespec="minutes"),
                "sha256": ref.sha256,
            }
            for ref in evidence
        ],
        "seller_name": seller_name,
    }
    text = render_source(spec["body"], context=context, environment=book.environment, optional=frozenset({"review_id", "product_ref"}))
    return AppealLetter(language=lang, clause_id=finding.clause.id, text=text, evidence=tuple(evidence))
