"""Translation failures; messages carry the provider and status, never a key or a URL."""

from __future__ import annotations


class TranslationError(Exception):
    """A provider refused or failed a request."""

    def __init__(self, message: str, *, provider: str, status: int | None = None) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.status = status


class TranslationAuthError(TranslationError):
    """The key was missing, wrong or not allowed (401/403, Google's 400 "API key not valid")."""


class TranslationQuotaError(TranslationError):
    """The account's character quota is used up (DeepL 456); retrying does not help."""


class TranslationUnavailable(TranslationError):
    """Still rate-limited or failing (429/5xx/network) after the last retry."""


class RetryableError(TranslationError):
    """A failure worth another attempt; `retry_after` is the server's hint in seconds."""

    def __init__(self, message: str, *, provider: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, provider=provider, status=status)
        self.retry_after = retry_after
