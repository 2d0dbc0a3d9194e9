"""Evidence chain: intact chains verify, and each kind of tampering is found at the right link."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from libs.errors import InvalidArgument
from services.resolution.evidence.models import BreakReason, EvidenceChain, EvidenceItem, EvidenceKind
from services.resolution.evidence.service import append, export, item_hash, link_hash, verify

T0 = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def build() -> EvidenceChain:
    items = [
        EvidenceItem(EvidenceKind.ORDER, {"order_id": "302-1234567-1234567", "total": "89.90", "currency": "EUR"}, T0, "amazon-sp-api", "Order"),
        EvidenceItem(EvidenceKind.DELIVERY_PROOF, b"%PDF-1.7 DHL POD 00340434161094042557", T0 + timedelta(hours=1), "dhl", "Proof of delivery"),
        EvidenceItem(EvidenceKind.CUSTOMS, b"CN23 declaration", T0 + timedelta(hours=2), "customs-broker", "CN23"),
        EvidenceItem(EvidenceKind.MESSAGE, {"from": "buyer", "text": "Das Gerät kam beschädigt an."}, T0 + timedelta(hours=3), "amazon-messaging"),
        EvidenceItem(EvidenceKind.LISTING_SNAPSHOT, {"asin": "B0KETTLE01", "title": "Wasserkocher 1,7 l"}, T0 + timedelta(hours=4), "crawler"),
    ]
    chain = EvidenceChain()
    for offset, item in enumerate(items):
        chain = append(chain, item, T0 + timedelta(hours=5, minutes=offset))
    return chain


def test_an_untouched_chain_verifies_and_json_key_order_does_not_matter() -> None:
    chain = build()
    result = verify(chain)
    assert result.intact and result.length == 5 and result.broken_at is None
    assert result.head == chain.links[-1].link_hash
    item = chain.links[0].item
    assert item_hash(replace(item, content={"currency": "EUR", "total": "89.90", "order_id": "302-1234567-1234567"})) == chain.links[0].item_hash


def test_changed_content_is_found_at_its_index() -> None:
    chain = build()
    links = list(chain.links)
    links[3] = replace(links[3], item=replace(links[3].item, content={"from": "buyer", "text": "Alles bestens."}))
    result = verify(EvidenceChain(tuple(links)))
    assert not result.intact and result.broken_at == 3 and result.reason is BreakReason.CONTENT_CHANGED


def test_changed_metadata_counts_as_a_content_change() -> None:
    chain = build()
    links = list(chain.links)
    links[1] = replace(links[1], item=replace(links[1].item, captured_at=T0 - timedelta(days=2)))
    result = verify(EvidenceChain(tuple(links)))
    assert result.broken_at == 1 and result.reason is BreakReason.CONTENT_CHANGED


def test_rehashed_item_breaks_the_link_hash() -> None:
    chain = build()
    links = list(chain.links)
    forged = replace(links[2].item, content=b"forged declaration")
    links[2] = replace(links[2], item=forged, item_hash=item_hash(forged))
    result = verify(EvidenceChain(tuple(links)))
    assert result.broken_at == 2 and result.reason is BreakReason.LINK_HASH_MISMATCH


def test_swapped_items_are_reported_as_reordered() -> None:
    chain = build()
    links = list(chain.links)
    links[1], links[2] = links[2], links[1]
    result = verify(EvidenceChain(tuple(links)))
    assert result.broken_at == 1 and result.reason is BreakReason.REORDERED


def test_removed_item_breaks_the_chain_where_it_was() -> None:
    chain = build()
    result = verify(EvidenceChain(chain.links[:2] + chain.links[3:]))
    assert result.broken_at == 2 and result.reason is BreakReason.REORDERED


def test_timestamp_going_backwards_is_found_even_with_consistent_hashes() -> None:
    chain = build()
    # Rebuild the tail as a forger would, with a back-dated append time for the fourth item.
    forged = EvidenceChain(chain.links[:3])
    forged_links = list(append(forged, chain.links[3].item, T0 + timedelta(hours=5, minutes=2)).links)
    backdated = replace(forged_links[3], appended_at=T0 + timedelta(hours=5, minutes=1))
    backdated = replace(backdated, link_hash=link_hash(index=3, item_sha256=backdated.item_hash, prev_hash=backdated.prev_hash, appended_at=backdated.appended_at))
    result = verify(EvidenceChain((*forged_links[:3], backdated)))
    assert result.broken_at == 3 and result.reason is BreakReason.TIMESTAMP_BACKWARDS


def test_append_refuses_a_clock_going_back_or_evidence_from_the_future() -> None:
    chain = build()
    item = EvidenceItem(EvidenceKind.FILE, b"photo", T0, "buyer-upload")
    with pytest.raises(InvalidArgument, match="backwards"):
        append(chain, item, T0)
    with pytest.raises(InvalidArgument, match="captured after"):
        append(EvidenceChain(), replace(item, captured_at=T0 + timedelta(days=1)), T0)
    with pytest.raises(InvalidArgument, match="time zone"):
        append(EvidenceChain(), item, datetime(2026, 11, 20, 10, 0))


def test_export_lists_every_item_with_its_hashes() -> None:
    records = export(build())
    assert [r["kind"] for r in records] == ["order", "delivery_proof", "customs", "message", "listing_snapshot"]
    assert records[1]["prev_sha256"] == records[0]["link_sha256"]
    assert records[1]["content"].startswith("JVBERi0")  # base64 of %PDF
