"""MinHash signatures of review texts and their compact byte form for PostgreSQL (bytea).

A signature is datasketch's "affine32" MinHash of the text's shingle set, each shingle hashed
with CRC-32 of its UTF-8 bytes: bit for bit what `MinHash(hashfunc=zlib.crc32, scheme="affine32")`
fed with the shingles gives (so stored rows stay comparable and the byte format keeps version 1),
but computed for a whole batch at once with numpy: CRC-32 by per-byte tables (it is linear),
datasketch's murmur3 pre-mix, then the `num_perm` permutations `a*h + b mod 2**32` and per-text
minimums.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash

from services.nlp.duplicates.shingles import CJK_K, LATIN_K, normalised_codes, shingles

NUM_PERM = 128
SEED = 1
SCHEME = "affine32"
# NOTE: a version byte lets a later format (another hash, more permutations) coexist with stored rows.
_MAGIC = b"MH"
_VERSION = 1
_HEADER = struct.Struct("<2sBIH")  # magic, version, seed, num_perm
_MAX_SHINGLE_BYTES = 4 * max(LATIN_K, CJK_K)  # UTF-8 takes at most 4 bytes a character
_EMPTY = np.uint32(0xFFFFFFFF)  # the value of every permutation for the empty set (datasketch's start)
# NOTE: shingles per block of the permutation step (whole texts, so a block may run longer): its
# (num_perm, block) uint32 buffer is 4 MB for 128 permutations; smaller blocks lose more to per-call
# overhead than they gain in cache, much larger ones only cost memory.
_BLOCK = 8192


@lru_cache(maxsize=1)
def _crc_tables() -> tuple[np.ndarray, np.ndarray]:
    """(contribution, constant) such that zlib.crc32(b_0 .. b_{L-1}) = XOR_j contribution[L-1-j, b_j] ^ constant[L].

    CRC-32 is linear: contribution[d, b] is the register after byte b and then d zero bytes,
    starting from 0; constant[L] is what zlib's initial 0xFFFFFFFF and final inversion add to L bytes.
    One table lookup per byte, and no byte waits for the one before it.
    """
    table = np.zeros(256, dtype=np.uint32)
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
        table[byte] = crc
    contribution = np.empty((_MAX_SHINGLE_BYTES, 256), dtype=np.uint32)
    contribution[0] = table
    for distance in range(1, _MAX_SHINGLE_BYTES):
        before = contribution[distance - 1]
        contribution[distance] = table[before & 0xFF] ^ (before >> np.uint32(8))
    constant = np.zeros(_MAX_SHINGLE_BYTES + 1, dtype=np.uint32)
    register = 0xFFFFFFFF
    for length in range(1, _MAX_SHINGLE_BYTES + 1):
        register = int(table[register & 0xFF]) ^ (register >> 8)
        constant[length] = register ^ 0xFFFFFFFF
    contribution.flags.writeable = constant.flags.writeable = False
    # NOTE: checked against zlib itself, so a slip here cannot silently change stored signatures.
    sample = np.frombuffer(b"123456789 \xe5\xa5\xbd\xf0\x9f\x98\x80", dtype=np.uint8)
    for length in range(1, sample.size + 1):
        got = int(np.bitwise_xor.reduce(contribution[np.arange(length - 1, -1, -1), sample[:length]])) ^ int(constant[length])
        if got != zlib.crc32(sample[:length].tobytes()):
            raise AssertionError("CRC-32 tables do not match zlib")
    return contribution, constant


def _crc32_windows(data: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """zlib.crc32(data[s:s + length]) for every s of `starts` (data: uint8)."""
    contribution, constant = _crc_tables()
    rows = (length - 1 - np.arange(length)) * 256
    index = data[starts[None, :] + np.arange(length)[:, None]].astype(np.intp) + rows[:, None]
    return np.bitwise_xor.reduce(contribution.ravel()[index], axis=0) ^ constant[length]


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, as datasketch pre-mixes every hash for the affine schemes."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


class Signer:
    """Computes MinHash signatures; immutable after construction, safe to share between threads."""

    def __init__(self, *, num_perm: int = NUM_PERM, seed: int = SEED) -> None:
        # NOTE: the permutations are datasketch's own for (num_perm, seed, scheme), drawn once.
        # CRC-32 is a stable 32-bit hash: stored signatures must match across processes and restarts,
        # which rules out Python's salted hash().
        template = MinHash(num_perm=num_perm, seed=seed, hashfunc=zlib.crc32, scheme=SCHEME)
        self.num_perm, self.seed = num_perm, seed
        self._permutations = template.permutations
        a, b = template.permutations
        self._a = np.ascontiguousarray(a, dtype=np.uint32)[:, None]
        self._b = np.ascontiguousarray(b, dtype=np.uint32)[:, None]
        self._header = _HEADER.pack(_MAGIC, _VERSION, seed, num_perm)

    def hashvalues(self, texts: Sequence[str]) -> np.ndarray:
        """The signatures of a batch as a (len(texts), num_perm) uint32 array, same order."""
        m = len(texts)
        out = np.full((m, self.num_perm), _EMPTY, dtype=np.uint32)
        if not m:
            return out
        norm = normalised_codes(texts)
        length, k = np.diff(norm.bounds), norm.k
        # A text of n > k characters has n - k + 1 shingles of k characters, a shorter one is a single
        # shingle of all its characters, an empty one has none.
        count = np.where(length > k, length - k + 1, np.minimum(length, 1))
        if not count.any():
            return out
        width = np.minimum(length, k)
        first = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(count, out=first[1:])
        owner = np.repeat(np.arange(m), count)
        start = norm.bounds[:-1][owner] + np.arange(first[-1]) - first[:-1][owner]
        end = start + width[owner]
        hashes = _fmix32(self._shingle_crcs(norm.codes, start, end))
        signed = np.flatnonzero(count)
        out[signed] = self._minimums(hashes, first[signed], first[-1])
        return out

    def sign(self, text: str) -> LeanMinHash:
        """The signature of one text (of the empty set when the text has no characters).

        One text at a time, datasketch itself is quicker than the batch path's fixed numpy costs;
        both give the same values (tests hold them equal).
        """
        minhash = MinHash(num_perm=self.num_perm, seed=self.seed, hashfunc=zlib.crc32,
                          permutations=self._permutations, scheme=SCHEME)
        minhash.update_batch([s.encode("utf-8") for s in shingles(text)])
        return LeanMinHash(minhash)

    def sign_many(self, texts: Sequence[str]) -> list[LeanMinHash]:
        """Signatures of a batch, same order."""
        return [LeanMinHash(seed=self.seed, hashvalues=row, scheme=SCHEME) for row in self.hashvalues(texts)]

    def sign_bytes_many(self, texts: Sequence[str]) -> list[bytes]:
        """`to_bytes` of the signatures of a batch, same order, without building LeanMinHash objects."""
        values = self.hashvalues(texts).astype("<u4", copy=False)
        size = 4 * self.num_perm
        data = values.tobytes()
        header = self._header
        return [header + data[i : i + size] for i in range(0, len(data), size)]

    @staticmethod
    def _shingle_crcs(codes: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """zlib.crc32 of the UTF-8 bytes of each shingle codes[start:end]."""
        data = np.frombuffer(codes.astype("<u4", copy=False).tobytes().decode("utf-32-le").encode("utf-8"), dtype=np.uint8)
        offset = np.zeros(codes.size + 1, dtype=np.int64)
        np.cumsum(1 + (codes >= 0x80).astype(np.int64) + (codes >= 0x800) + (codes >= 0x10000), out=offset[1:])
        byte_start = offset[start]
        size = offset[end] - byte_start
        crcs = np.empty(start.size, dtype=np.uint32)
        # NOTE: shingles of equal byte length are hashed together.
        for length in np.flatnonzero(np.bincount(size)).tolist():
            group = np.flatnonzero(size == length)
            crcs[group] = _crc32_windows(data, byte_start[group], length)
        return crcs

    def _minimums(self, hashes: np.ndarray, firsts: np.ndarray, total: int) -> np.ndarray:
        """Per text, the minimum of every permutation over its shingles' hashes.

        `firsts` are the first shingle of each text in `hashes` (texts with shingles only, in order;
        a text's shingles run to the next text's first, the last one's to `total`).
        """
        a, b = self._a, self._b
        out = np.empty((firsts.size, self.num_perm), dtype=np.uint32)
        ends = np.append(firsts[1:], total)
        buffer = np.empty((self.num_perm, _BLOCK), dtype=np.uint32)
        i = 0
        while i < firsts.size:
            lo = firsts[i]
            # as many whole texts as fit in a block (at least one, however long)
            j = max(int(np.searchsorted(ends, lo + _BLOCK, side="right")), i + 1)
            hi = ends[j - 1]
            if hi - lo > buffer.shape[1]:
                buffer = np.empty((self.num_perm, hi - lo), dtype=np.uint32)
            block = buffer[:, : hi - lo]
            np.multiply(a, hashes[None, lo:hi], out=block)
            np.add(block, b, out=block)
            out[i:j] = np.minimum.reduceat(block, firsts[i:j] - lo, axis=1).T
            i = j
        return out


def to_bytes(signature: LeanMinHash) -> bytes:
    """The signature as bytes (header + little-endian uint32 values): 521 bytes for 128 permutations."""
    values = np.asarray(signature.hashvalues, dtype="<u4")
    return _HEADER.pack(_MAGIC, _VERSION, signature.seed, len(values)) + values.tobytes()


def _parse(data: bytes) -> tuple[int, np.ndarray]:
    if len(data) < _HEADER.size:
        raise ValueError("not a signature: too short")
    magic, version, seed, num_perm = _HEADER.unpack_from(data)
    if magic != _MAGIC or version != _VERSION:
        raise ValueError(f"not a version-{_VERSION} signature")
    if len(data) != _HEADER.size + 4 * num_perm:
        raise ValueError("signature length does not match its header")
    return seed, np.frombuffer(data, dtype="<u4", offset=_HEADER.size).astype(np.uint32)


def from_bytes(data: bytes) -> LeanMinHash:
    """The signature `to_bytes` wrote; ValueError on anything else."""
    seed, values = _parse(data)
    return LeanMinHash(seed=seed, hashvalues=values, scheme=SCHEME)


def values_from_bytes(data: bytes) -> np.ndarray:
    """The MinHash values of a signature `to_bytes` wrote (what `from_bytes(data).hashvalues` holds,
    without building a LeanMinHash: an index rebuilt from a million rows spends its time there)."""
    return _parse(data)[1]
