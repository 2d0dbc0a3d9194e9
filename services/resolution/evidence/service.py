"""Appends evidence to a hash chain and proves the chain intact or finds the first broken link."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from datetime import datetime, timezone

from libs.errors import FieldViolation, InvalidArgument
from services.resolution.evidence.models import (
    GENESIS_HASH,
    BreakReason,
    ChainLink,
    EvidenceChain,
    EvidenceItem,
    VerificationResult,
)

log = logging.getLogger(__name__)


def _canonical(value: object) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8, so equal documents hash equally."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def canonical_json(value: object) -> bytes:
    """The canonical JSON bytes that JSON evidence is hashed (and stored) as."""
    return _canonical(value)


def _utc(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")


def content_hash(item: EvidenceItem) -> str:
    """SHA-256 of the item's content: raw bytes as they are, JSON in canonical form."""
    if isinstance(item.content, (bytes, bytearray)):
        raw = b"bytes:" + bytes(item.content)
    else:
        raw = b"json:" + _canonical(item.content)
    return hashlib.sha256(raw).hexdigest()


def item_hash(item: EvidenceItem) -> str:
    """SHA-256 over the content hash and the metadata (kind, source, capture time, description)."""
    envelope = {
        "kind": str(item.kind),
        "content_sha256": content_hash(item),
        "captured_at": _utc(item.captured_at),
        "source": item.source,
        "description": item.description,
        "metadata": dict(item.metadata),
    }
    return hashlib.sha256(_canonical(envelope)).hexdigest()


def link_hash(*, index: int, item_sha256: str, prev_hash: str, appended_at: datetime) -> str:
    """SHA-256 binding an item to its position, its predecessor and the time it was appended."""
    envelope = {"index": index, "item_sha256": item_sha256, "prev": prev_hash, "appended_at": _utc(appended_at)}
    return hashlib.sha256(_canonical(envelope)).hexdigest()


def append(chain: EvidenceChain, item: EvidenceItem, now: datetime) -> EvidenceChain:
    """A new chain with `item` linked after the current head, timestamped `now`."""
    for name, at in (("now", now), ("item.captured_at", item.captured_at)):
        if at.tzinfo is None or at.utcoffset() is None:
            raise InvalidArgument(f"{name} must carry a time zone", [FieldViolation(name, "naive datetime")])
    if item.captured_at > now:
        raise InvalidArgument("evidence cannot be captured after it is appended", [FieldViolation("item.captured_at", "in the future")])
    if chain.links and now < chain.links[-1].appended_at:
        raise InvalidArgument("the chain's clock cannot go backwards", [FieldViolation("now", "before the last link")])
    if not isinstance(item.content, (bytes, bytearray)):
        try:
            _canonical(item.content)
        except (TypeError, ValueError) as error:
            raise InvalidArgument(f"evidence content is not JSON: {error}", [FieldViolation("item.content", "not JSON")]) from None
    index = len(chain.links)
    digest = item_hash(item)
    link = ChainLink(
        index=index,
        item=item,
        item_hash=digest,
        prev_hash=chain.head,
        appended_at=now,
        link_hash=link_hash(index=index, item_sha256=digest, prev_hash=chain.head, appended_at=now),
    )
    return EvidenceChain(links=(*chain.links, link))


def verify(chain: EvidenceChain) -> VerificationResult:
    """Recomputes every hash; names the first broken link and why, or proves the chain intact."""
    prev = GENESIS_HASH
    prev_time: datetime | None = None
    stored_hashes = {link.link_hash: link.index for link in chain.links}

    def broken(position: int, reason: BreakReason, detail: str) -> VerificationResult:
        log.warning("evidence chain broken at %d: %s", position, detail)
        return VerificationResult(intact=False, length=len(chain.links), head=chain.head, broken_at=position, reason=reason, detail=detail)

    for position, link in enumerate(chain.links):
        if link.index != position or (link.prev_hash != prev and link.prev_hash in stored_hashes):
            return broken(position, BreakReason.REORDERED, f"link {link.index} sits at position {position}")
        if item_hash(link.item) != link.item_hash:
            return broken(position, BreakReason.CONTENT_CHANGED, f"{link.item.kind} from {link.item.source} no longer matches its hash")
        if link.prev_hash != prev:
            return broken(position, BreakReason.LINK_HASH_MISMATCH, "points to a predecessor that is not the previous link")
        expected = link_hash(index=link.index, item_sha256=link.item_hash, prev_hash=link.prev_hash, appended_at=link.appended_at)
        if expected != link.link_hash:
            return broken(position, BreakReason.LINK_HASH_MISMATCH, "link hash does not match its index, item, predecessor and time")
        if prev_time is not None and link.appended_at < prev_time:
            return broken(position, BreakReason.TIMESTAMP_BACKWARDS, f"appended {_utc(link.appended_at)}, before the previous link {_utc(prev_time)}")
        prev, prev_time = link.link_hash, link.appended_at
    return VerificationResult(intact=True, length=len(chain.links), head=chain.head)


def export(chain: EvidenceChain) -> list[dict]:
    """The chain as JSON-ready records (bytes base64-encoded), e.g. to attach to an appeal."""
    return [
        {
            "index": link.index,
            "kind": str(link.item.kind),
            "source": link.item.source,
            "description": link.item.description,
            "captured_at": _utc(link.item.captured_at),
            "appended_at": _utc(link.appended_at),
            "item_sha256": link.item_hash,
            "prev_sha256": link.prev_hash,
            "link_sha256": link.link_hash,
            "content": base64.b64encode(bytes(link.item.content)).decode() if isinstance(link.item.content, (bytes, bytearray)) else link.item.content,
        }
        for link in chain.links
    ]
