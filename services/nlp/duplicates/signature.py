"""MinHash signatures of review texts and their compact byte form for PostgreSQL (bytea)."""

from __future__ import annotations

import struct
import zlib

import numpy as np
from datasketch import LeanMinHash, MinHash

from services.nlp.duplicates.shingles import shingles

NUM_PERM = 128
SEED = 1
SCHEME = "affine32"
# NOTE: a version byte lets a later format (another hash, more permutations) coexist with stored rows.
_MAGIC = b"MH"
_VERSION = 1
_HEADER = struct.Struct("<2sBIH")  # magic, version, seed, num_perm


class Signer:
    """Computes MinHash signatures; immutable after construction, safe to share between threads."""

    def __init__(self, *, num_perm: int = NUM_PERM, seed: int = SEED) -> None:
        # NOTE: permutations are drawn once here and reused; datasketch would redraw them per object.
        # CRC32 is a stable 32-bit hash in C: stored signatures must match across processes and
        # restarts, which rules out Python's salted hash(), and SHA-1 per shingle is 5x slower.
        template = MinHash(num_perm=num_perm, seed=seed, hashfunc=zlib.crc32, scheme=SCHEME)
        self.num_perm, self.seed = num_perm, seed
        self._permutations = template.permutations

    def sign(self, text: str) -> LeanMinHash:
        """The signature of one text (of the empty set when the text has no characters)."""
        minhash = MinHash(num_perm=self.num_perm, seed=self.seed, hashfunc=zlib.crc32,
                          permutations=self._permutations, scheme=SCHEME)
        minhash.update_batch([s.encode("utf-8") for s in shingles(text)])
        return LeanMinHash(minhash)

    def sign_many(self, texts: list[str]) -> list[LeanMinHash]:
        """Signatures of a batch, same order."""
        return [self.sign(t) for t in texts]


def to_bytes(signature: LeanMinHash) -> bytes:
    """The signature as bytes (header + little-endian uint32 values): 521 bytes for 128 permutations."""
    values = np.asarray(signature.hashvalues, dtype="<u4")
    return _HEADER.pack(_MAGIC, _VERSION, signature.seed, len(values)) + values.tobytes()


def from_bytes(data: bytes) -> LeanMinHash:
    """The signature `to_bytes` wrote; ValueError on anything else."""
    if len(data) < _HEADER.size:
        raise ValueError("not a signature: too short")
    magic, version, seed, num_perm = _HEADER.unpack_from(data)
    if magic != _MAGIC or version != _VERSION:
        raise ValueError(f"not a version-{_VERSION} signature")
    if len(data) != _HEADER.size + 4 * num_perm:
        raise ValueError("signature length does not match its header")
    values = np.frombuffer(data, dtype="<u4", offset=_HEADER.size).astype(np.uint32)
    return LeanMinHash(seed=seed, hashvalues=values, scheme=SCHEME)
