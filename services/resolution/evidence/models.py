"""Evidence items, the links that chain them, and the verdict of a verification."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

GENESIS_HASH = "0" * 64


class EvidenceKind(StrEnum):
    ORDER = "order"
    DELIVERY_PROOF = "delivery_proof"
    CUSTOMS = "customs"
    MESSAGE = "message"
    LISTING_SNAPSHOT = "listing_snapshot"
    FILE = "file"


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence: raw bytes (a PDF, a photo) or a JSON document (an order, a message)."""

    kind: EvidenceKind
    content: bytes | Mapping[str, Any] | Sequence[Any]
    captured_at: datetime
    source: str
    description: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChainLink:
    """An item in the chain: its own hash, the previous link's hash, and when it was appended."""

    index: int
    item: EvidenceItem
    item_hash: str
    prev_hash: str
    appended_at: datetime
    link_hash: str


@dataclass(frozen=True)
class EvidenceChain:
    """The links of one case, oldest first; `append` returns a new chain."""

    links: tuple[ChainLink, ...] = ()

    @property
    def head(self) -> str:
        return self.links[-1].link_hash if self.links else GENESIS_HASH

    def __len__(self) -> int:
        return len(self.links)


class BreakReason(StrEnum):
    CONTENT_CHANGED = "content_changed"
    LINK_HASH_MISMATCH = "link_hash_mismatch"
    REORDERED = "reordered"
    TIMESTAMP_BACKWARDS = "timestamp_backwards"


@dataclass(frozen=True)
class VerificationResult:
    """Whether the chain is intact; if not, the first broken link and why."""

    intact: bool
    length: int
    head: str
    broken_at: int | None = None
    reason: BreakReason | None = None
    detail: str = ""
