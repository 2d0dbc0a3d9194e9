"""A tenant's near-duplicate index: LSH band buckets over stored signatures, clusters of near-identical texts.

Adding or querying one review costs the same however many the tenant holds: its band keys are looked
up in one dict per band, each bucket keeps at most `BUCKET_CAP` reviews, and a cluster is joined
through one similar member. Nothing already stored is re-clustered on the hot path; only an edited
review's own cluster is re-linked.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash
from datasketch.lsh import _optimal_param

from services.nlp.duplicates.signature import NUM_PERM, Signer, values_from_bytes

log = logging.getLogger(__name__)

THRESHOLD = 0.8
# NOTE: the reviews sharing a full bucket share its band (r equal MinHash values) with any later one
# that lands there, so they are that newcomer's likeliest near-duplicates: checking the first 8 keeps
# a campaign of a thousand copies (or "Great product!" ten thousand times) at constant cost.
BUCKET_CAP = 8
_MIX = np.uint64(0x9E3779B97F4A7C15)
_GROW = 1024


def _low_bits(values: np.ndarray) -> np.ndarray:
    """The low 16 bits of each MinHash value, what the index keeps and compares.

    NOTE: b-bit minwise hashing (Li and König): two different values agree in their low 16 bits with
    probability 1/65,536, so the share of equal values still estimates Jaccard (biased by under 2e-5)
    and bands still match only near-identical texts, at half the memory of 32-bit values (a million
    reviews: 256 MB instead of 512).
    """
    return (values.astype(np.uint64, copy=False) & np.uint64(0xFFFF)).astype(np.uint16)


@dataclass(frozen=True)
class Near:
    """A stored review whose estimated Jaccard similarity to the query is at least the threshold."""

    review_id: str
    similarity: float


class DuplicateIndex:
    """Near-duplicate clusters among one tenant's reviews.

    A cluster is a connected group of reviews each near-identical (estimated Jaccard ≥ `threshold`)
    to at least one other; its id is the id of its earliest review, so it stays put as the cluster
    grows. Not thread-safe: the service keeps one per tenant and updates it under a tenant lock.
    """

    def __init__(self, *, signer: Signer | None = None, threshold: float = THRESHOLD, bucket_cap: int = BUCKET_CAP) -> None:
        self._signer = signer or Signer()
        self.threshold = threshold
        self.bucket_cap = bucket_cap
        # NOTE: the same (bands, rows) datasketch's MinHashLSH picks, so candidates are the ones it found.
        bands, rows = _optimal_param(threshold, self._signer.num_perm, 0.5, 0.5)
        self._bands = [(b * rows, (b + 1) * rows) for b in range(bands)]
        # band -> band key -> slot, or list of slots (at most bucket_cap) when several share it
        self._buckets: list[dict[int, int | list[int]]] = [{} for _ in range(bands)]
        # A slot is one stored version of a review, numbered in insertion order (its age).
        self._values = np.empty((_GROW, self._signer.num_perm), dtype=np.uint16)
        self._ids: list[str | None] = []
        self._slot: dict[str, int] = {}
        self._parent = array("q")
        self._size: dict[int, int] = {}  # root slot -> members, clusters of two or more only
        self._members: dict[int, list[int]] = {}  # root slot -> member slots in insertion order, same

    @classmethod
    def from_signatures(
        cls, rows: Iterable[tuple[str, bytes]], *, signer: Signer | None = None, threshold: float = THRESHOLD
    ) -> "DuplicateIndex":
        """Rebuilds an index from stored (review_id, signature bytes) rows, oldest first."""
        index = cls(signer=signer, threshold=threshold)
        index.add_many((review_id, values_from_bytes(data)) for review_id, data in rows)
        return index

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, review_id: str) -> bool:
        return review_id in self._slot

    def sign(self, text: str) -> LeanMinHash:
        """The signature of `text` as this index computes it (store `to_bytes` of it)."""
        return self._signer.sign(text)

    def add(self, review_id: str, text: str) -> str | None:
        """Adds a review; its cluster id when it is near-identical to a stored one, else None."""
        return self.add_signature(review_id, self._signer.sign(text))

    def add_signature(self, review_id: str, signature: LeanMinHash) -> str | None:
        """Adds a review by its signature; its cluster id when it has near-identical company.

        Adding a stored review again with the same signature changes nothing; with another one (an
        edit) its old text is replaced.
        """
        return self.add_many([(review_id, signature.hashvalues)])[0][0]

    def add_many(self, rows: Iterable[tuple[str, np.ndarray]]) -> list[tuple[str | None, int]]:
        """Adds (review_id, MinHash values) one after another, as `add_signature` would.

        Returns, per row, its cluster id (None without near-identical company) and the cluster's size
        right after that row was added.
        """
        rows = list(rows)
        if not rows:
            return []
        values = _low_bits(np.asarray([v for _, v in rows]))
        if values.ndim != 2 or values.shape[1] != self._signer.num_perm:
            raise ValueError(f"signature has {values.shape[-1]} permutations, the index {self._signer.num_perm}")
        keys = self._band_keys(values)
        added = []
        for i, (review_id, _) in enumerate(rows):
            cluster = self._add(review_id, values[i], keys[i])
            added.append((cluster, self.cluster_size(review_id)))
        return added

    def remove(self, review_id: str) -> None:
        """Forgets a review; the cluster it was in is re-linked without it."""
        slot = self._slot.pop(review_id, None)
        if slot is None:
            return
        self._unbucket(slot)
        self._ids[slot] = None
        root = self._find(slot)
        members = self._members.pop(root, None)
        self._size.pop(root, None)
        if members is None:
            return
        # NOTE: union-find cannot split a set; only this cluster is re-linked, oldest member first.
        rest = [m for m in members if m != slot]
        inside = set(rest)
        for m in rest:
            self._parent[m] = m
        keys = self._band_keys(self._values[rest])
        for m, key in zip(rest, keys):
            for other in self._matching_roots(self._values[m], key, among=inside, exclude=m):
                self._union(m, other)

    def near(self, text: str, *, limit: int = 20) -> list[Near]:
        """Stored reviews near-identical to `text`, most similar first; nothing is stored."""
        values = _low_bits(np.asarray(self._signer.sign(text).hashvalues))
        keys = self._band_keys(values[None, :])[0]
        candidates = self._candidates(keys)
        if not candidates:
            return []
        similarity = self._similarity(values, candidates)
        found = [(float(s), c) for s, c in zip(similarity.tolist(), candidates) if s >= self.threshold]
        found.sort(key=lambda f: (-f[0], f[1]))
        return [Near(self._ids[c], s) for s, c in found[:limit]]

    def cluster_of(self, review_id: str) -> str | None:
        """The cluster id of a stored review, None when it has no near-identical company."""
        slot = self._slot.get(review_id)
        if slot is None:
            return None
        root = self._find(slot)
        return self._ids[root] if root in self._size else None

    def cluster_size(self, review_id: str) -> int:
        """How many reviews share the review's cluster (1 when it has no near-duplicate)."""
        slot = self._slot.get(review_id)
        return 0 if slot is None else self._size.get(self._find(slot), 1)

    def clusters(self) -> dict[str, list[str]]:
        """Every cluster of two or more reviews: cluster id to member ids in insertion order."""
        return {self._ids[root]: [self._ids[m] for m in members] for root, members in sorted(self._members.items())}

    def _add(self, review_id: str, values: np.ndarray, keys: tuple[int, ...]) -> str | None:
        old = self._slot.get(review_id)
        if old is not None:
            if np.array_equal(self._values[old], values):
                return self.cluster_of(review_id)
            # NOTE: an edited review replaces its old text; links from the old text are dropped.
            self.remove(review_id)
        roots = self._matching_roots(values, keys, among=None, exclude=None)
        slot = len(self._ids)
        if slot == self._values.shape[0]:
            grown = np.empty((slot + slot // 2, self._values.shape[1]), dtype=np.uint16)
            grown[:slot] = self._values
            self._values = grown
        self._values[slot] = values
        self._ids.append(review_id)
        self._slot[review_id] = slot
        self._parent.append(slot)
        self._bucket(slot, keys)
        for root in roots:
            self._union(slot, root)
        return self._ids[self._find(slot)] if roots else None

    def _band_keys(self, values: np.ndarray) -> list[tuple[int, ...]]:
        """One 64-bit key per band of each signature (equal bands, equal keys)."""
        rows = self._bands[0][1]
        bands = values[:, : len(self._bands) * rows].astype(np.uint64).reshape(values.shape[0], len(self._bands), rows)
        key = np.zeros(bands.shape[:2], dtype=np.uint64)
        for j in range(rows):
            key ^= bands[:, :, j]
            key *= _MIX
        return [tuple(k) for k in key.tolist()]

    def _bucket(self, slot: int, keys: tuple[int, ...]) -> None:
        for bucket, key in zip(self._buckets, keys):
            held = bucket.get(key)
            if held is None:
                bucket[key] = slot
            elif isinstance(held, int):
                bucket[key] = [held, slot]
            elif len(held) < self.bucket_cap:
                held.append(slot)

    def _unbucket(self, slot: int) -> None:
        for bucket, key in zip(self._buckets, self._band_keys(self._values[slot][None, :])[0]):
            held = bucket.get(key)
            if held == slot:
                del bucket[key]
            elif isinstance(held, list) and slot in held:
                held.remove(slot)
                if len(held) == 1:
                    bucket[key] = held[0]

    def _candidates(self, keys: tuple[int, ...]) -> list[int]:
        """Slots sharing a bucket with `keys`, oldest first, each once."""
        found: set[int] = set()
        for bucket, key in zip(self._buckets, keys):
            held = bucket.get(key)
            if held is None:
                continue
            if isinstance(held, int):
                found.add(held)
            else:
                found.update(held)
        return sorted(found)

    def _similarity(self, values: np.ndarray, slots: list[int]) -> np.ndarray:
        # NOTE: the estimate LeanMinHash.jaccard gives: the share of equal MinHash values.
        return np.count_nonzero(self._values[slots] == values, axis=1) / values.shape[0]

    def _matching_roots(
        self, values: np.ndarray, keys: tuple[int, ...], *, among: set[int] | None, exclude: int | None
    ) -> set[int]:
        # NOTE: one similar member is enough to join a cluster, so each cluster's first member that
        # passes ends the search for it; LSH candidates below the threshold are dropped by the estimate.
        candidates = [c for c in self._candidates(keys) if c != exclude and (among is None or c in among)]
        if not candidates:
            return set()
        similar = self._similarity(values, candidates) >= self.threshold
        return {self._find(c) for c, ok in zip(candidates, similar.tolist()) if ok}

    def _find(self, slot: int) -> int:
        parent = self._parent
        root = slot
        while parent[root] != root:
            root = parent[root]
        while parent[slot] != root:
            parent[slot], slot = root, parent[slot]
        return root

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return
        # NOTE: the older review (lower slot) stays the root, so a cluster keeps the id it was first given.
        if rb < ra:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] = self._size.pop(ra, 1) + self._size.pop(rb, 1)
        older = self._members.pop(ra, None) or [ra]
        newer = self._members.pop(rb, None) or [rb]
        # NOTE: a new review joining is the newest slot, so appending keeps the order without a sort.
        if older[-1] < newer[0]:
            older.extend(newer)
        else:
            older = sorted(older + newer)
        self._members[ra] = older


__all__ = ["BUCKET_CAP", "NUM_PERM", "DuplicateIndex", "Near"]
