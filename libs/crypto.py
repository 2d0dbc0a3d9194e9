"""Encryption at rest for credentials (receiver configs, connector tokens): Fernet with key rotation."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretBox:
    """Encrypts JSON-able values with the first key; decrypts with any (so keys can be rotated)."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("no encryption key: set REVIEWGUARD_SECRET_KEYS (Fernet keys, comma-separated)")
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys])
        except ValueError:
            raise ValueError("REVIEWGUARD_SECRET_KEYS holds a key that is not a Fernet key (32 url-safe base64 bytes)") from None

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, value: object) -> bytes:
        return self._fernet.encrypt(json.dumps(value).encode())

    def open(self, token: bytes) -> object:
        try:
            return json.loads(self._fernet.decrypt(token))
        except InvalidToken:
            raise ValueError("stored secret cannot be decrypted with the configured keys") from None


def local_secret(path: Path, make: Callable[[], str]) -> str:
    """A secret kept in a file of the data folder for a laptop run: read, or made once (mode 0600).

    NOTE: for `reviewguard run` and the CLI only; deployments configure their secrets explicitly."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(make())
    return path.read_text().strip()


class TokenHasher:
    """HMAC-SHA-256 of bearer tokens under a server-side pepper the database never holds, so a copy
    of the table does not let anyone test guessed tokens offline (API keys, gRPC client tokens)."""

    def __init__(self, pepper: str, *, setting: str = "REVIEWGUARD_API_KEY_PEPPER") -> None:
        if len(pepper) < 16:
            raise ValueError(f"{setting} must be at least 16 characters")
        self._pepper = pepper.encode()

    def digest(self, token: str) -> bytes:
        return hmac.new(self._pepper, token.encode(), hashlib.sha256).digest()
