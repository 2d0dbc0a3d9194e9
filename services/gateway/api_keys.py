"""Bearer API keys: hashed under a server-side pepper, verified through a short-TTL cache.

Keys are 256-bit random tokens (`rg_` + 43 characters), but an operator may also register a
chosen one (the demo key). A bare SHA-256 of a chosen key can be guessed offline from a database
dump, so keys are stored as HMAC-SHA-256 under a pepper the database never holds. Rows written
before the pepper (bare SHA-256) are still accepted and re-hashed on their first use.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable

from dataclasses import dataclass

import asyncpg
from cachetools import TTLCache

from libs.crypto import TokenHasher, local_secret
from libs.settings import Settings
from services.gateway import repository

KEY_PREFIX = "rg_"


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_pepper() -> str:
    return secrets.token_urlsafe(32)


def local_pepper(settings: Settings) -> str:
    """The configured pepper, else the one kept in the data folder (made on first use): what
    `reviewguard run` hands its gateway and what `reviewguard tenant create` hashes with."""
    if settings.api_key_pepper is not None:
        return settings.api_key_pepper.get_secret_value()
    return local_secret(settings.data_dir.resolve() / "api-key.pepper", new_pepper)


class KeyHasher(TokenHasher):
    """API keys' hasher (libs/crypto.py), with the bare SHA-256 of round 1 for old rows."""

    @staticmethod
    def legacy_digest(api_key: str) -> bytes:
        """How keys were stored before the pepper (round 1)."""
        return hashlib.sha256(api_key.encode()).digest()


@dataclass(frozen=True)
class KeyGrant:
    """What a valid key may do: act for `tenant_id` within `scopes` (read, write, admin)."""

    tenant_id: uuid.UUID
    prefix: str
    scopes: frozenset[str]


class ApiKeys:
    """The tenant an API key acts for, remembered `ttl` seconds (unknown keys too, so a flood of
    bad keys does not become a flood of queries); a revoked key stops working within `ttl`."""

    def __init__(self, *, pool: asyncpg.Pool, hasher: KeyHasher, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._pool = pool
        self._hasher = hasher
        self._cache: TTLCache[bytes, KeyGrant | None] = TTLCache(maxsize=100_000, ttl=ttl, timer=clock)

    async def verify(self, api_key: str, *, timeout: float | None = None) -> tuple[bytes, KeyGrant | None]:
        """(the key's digest, which names it to rate limits without the key; its grant or None)."""
        digest = self._hasher.digest(api_key)
        try:
            return digest, self._cache[digest]
        except KeyError:
            pass
        async with self._pool.acquire(timeout=timeout) as conn:
            row = await repository.grant_for_key(conn, digest, self._hasher.legacy_digest(api_key), timeout=timeout)
        grant = None if row is None else KeyGrant(row["tenant_id"], row["key_prefix"], frozenset(row["scopes"]))
        self._cache[digest] = grant
        return digest, grant
