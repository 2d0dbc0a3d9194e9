"""A tenant's near-duplicate index: LSH over stored signatures, clusters of near-identical texts."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from datasketch import LeanMinHash, MinHashLSH

from services.nlp.duplicates.signature import NUM_PERM, Signer, from_bytes

log = logging.getLogger(__name__)

THRESHOLD = 0.8


@dataclass(frozen=True)
class Near:
    """A stored review whose estimated Jaccard similarity to the query is at least the threshold."""

    review_id: str
    similarity: float


class DuplicateIndex:
    """Near-duplicate clusters among one tenant's reviews.

    A cluster is a connected group of reviews each near-identical (estimated Jaccard ≥ `threshold`)
    to at least one other; its id is the id of its earliest review, so it stays put as the cluster
    grows. Not thread-safe: the service keeps one per tenant and updates it from one task.
    """

    def __init__(self, *, signer: Signer | None = None, threshold: float = THRESHOLD) -> None:
        self._signer = signer or Signer()
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=self._signer.num_perm)
        self._signatures: dict[str, LeanMinHash] = {}
        self._order: dict[str, int] = {}
        self._added = 0
        self._parent: dict[str, str] = {}
        self._size: dict[str, int] = {}

    @classmethod
    def from_signatures(
        cls, rows: Iterable[tuple[str, bytes]], *, signer: Signer | None = None, threshold: float = THRESHOLD
    ) -> "DuplicateIndex":
        """Rebuilds an index from stored (review_id, signature bytes) rows, oldest first."""
        index = cls(signer=signer, threshold=threshold)
        for review_id, data in rows:
            index.add_signature(review_id, from_bytes(data))
        return index

    def __len__(self) -> int:
        return len(self._signatures)

    def sign(self, text: str) -> LeanMinHash:
        """The signature of `text` as this index computes it (store `to_bytes` of it)."""
        return self._signer.sign(text)

    def add(self, review_id: str, text: str) -> str | None:
        """Adds a review; its cluster id when it is near-identical to a stored one, else None."""
        return self.add_signature(review_id, self._signer.sign(text))

    def add_signature(self, review_id: str, signature: LeanMinHash) -> str | None:
        """Adds a review by its signature; its cluster id when it has near-identical company."""
        if len(signature) != self._signer.num_perm:
            raise ValueError(f"signature has {len(signature)} permutations, the index {self._signer.num_perm}")
        if review_id in self._signatures:
            # NOTE: an edited review replaces its old text; links from the old text are dropped.
            self.remove(review_id)
        roots = self._matching_roots(signature, exclude=None)
        self._lsh.insert(review_id, signature)
        self._signatures[review_id] = signature
        self._added += 1
        self._order[review_id] = self._added
        self._parent[review_id], self._size[review_id] = review_id, 1
        for root in roots:
            self._union(review_id, root)
        return self._find(review_id) if roots else None

    def remove(self, review_id: str) -> None:
        """Forgets a review; the clusters it joined are rebuilt without it."""
        if review_id not in self._signatures:
            return
        self._lsh.remove(review_id)
        del self._signatures[review_id]
        del self._order[review_id]
        # NOTE: union-find cannot split a set, so the links are recomputed (edits are rare).
        self._parent = {rid: rid for rid in self._signatures}
        self._size = {rid: 1 for rid in self._signatures}
        for rid, signature in self._signatures.items():
            for root in self._matching_roots(signature, exclude=rid):
                self._union(rid, root)

    def near(self, text: str, *, limit: int = 20) -> list[Near]:
        """Stored reviews near-identical to `text`, most similar first; nothing is stored."""
        return self._matches(self._signer.sign(text), exclude=None)[:limit]

    def cluster_of(self, review_id: str) -> str | None:
        """The cluster id of a stored review, None when it has no near-identical company."""
        if review_id not in self._signatures:
            return None
        root = self._find(review_id)
        return root if self._size[root] > 1 else None

    def cluster_size(self, review_id: str) -> int:
        """How many reviews share the review's cluster (1 when it has no near-duplicate)."""
        return self._size.get(self._find(review_id), 1) if review_id in self._signatures else 0

    def clusters(self) -> dict[str, list[str]]:
        """Every cluster of two or more reviews: cluster id to member ids in insertion order."""
        groups: dict[str, list[str]] = {}
        for rid in sorted(self._signatures, key=self._order.__getitem__):
            groups.setdefault(self._find(rid), []).append(rid)
        return {root: members for root, members in groups.items() if len(members) > 1}

    def _matches(self, signature: LeanMinHash, *, exclude: str | None) -> list[Near]:
        # NOTE: LSH returns candidates, some below the threshold; the estimate decides.
        found = []
        for candidate in self._lsh.query(signature):
            if candidate == exclude:
                continue
            similarity = signature.jaccard(self._signatures[candidate])
            if similarity >= self.threshold:
                found.append(Near(candidate, similarity))
        found.sort(key=lambda n: (-n.similarity, self._order[n.review_id]))
        return found

    def _matching_roots(self, signature: LeanMinHash, *, exclude: str | None) -> set[str]:
        # NOTE: one similar member is enough to join a cluster; checking one per cluster keeps a
        # campaign of a thousand copies linear instead of quadratic.
        roots: set[str] = set()
        for candidate in self._lsh.query(signature):
            if candidate == exclude:
                continue
            root = self._find(candidate)
            if root not in roots and signature.jaccard(self._signatures[candidate]) >= self.threshold:
                roots.add(root)
        return roots

    def _find(self, review_id: str) -> str:
        parent = self._parent
        root = review_id
        while parent[root] != root:
            root = parent[root]
        while parent[review_id] != root:
            parent[review_id], review_id = root, parent[review_id]
        return root

    def _union(self, a: str, b: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return
        # NOTE: the older review stays the root, so a cluster keeps the id it was first given.
        if self._order[rb] < self._order[ra]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] += self._size.pop(rb)


__all__ = ["NUM_PERM", "DuplicateIndex", "Near"]
