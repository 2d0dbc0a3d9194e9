"""Per-tenant translation settings: off by default, one provider, keys as SecretStr."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

DEEPL_FREE_URL = "https://api-free.deepl.com"
DEEPL_PRO_URL = "https://api.deepl.com"
GOOGLE_URL = "https://translation.googleapis.com"


class RetrySettings(BaseModel):
    """Retries on 429, 5xx and network errors: exponential with jitter, at most `max_attempts` tries."""

    model_config = ConfigDict(frozen=True)

    max_attempts: int = Field(default=4, ge=1, le=10)
    initial_wait_s: float = Field(default=0.5, ge=0)
    max_wait_s: float = Field(default=8.0, ge=0)
    jitter_s: float = Field(default=0.5, ge=0)
    max_retry_after_s: float = Field(default=30.0, ge=0, description="cap on a server's Retry-After")


class DeepLConfig(BaseModel):
    """DeepL API; the plan picks the base URL ("auto": keys ending in ':fx' are Free)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Literal["deepl"] = "deepl"
    api_key: SecretStr
    plan: Literal["auto", "free", "pro"] = "auto"
    base_url: str | None = Field(default=None, description="overrides the plan's URL (tests, proxies)")
    english: Literal["EN-US", "EN-GB"] = "EN-US"

    def url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        free = self.plan == "free" or (self.plan == "auto" and self.api_key.get_secret_value().endswith(":fx"))
        return DEEPL_FREE_URL if free else DEEPL_PRO_URL


class GoogleConfig(BaseModel):
    """Google Cloud Translation - Basic (v2) with an API key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Literal["google"] = "google"
    api_key: SecretStr
    base_url: str = GOOGLE_URL
    # NOTE: the key goes in the X-Goog-Api-Key header by default: in the documented ?key= form it
    # would sit in every URL, and URLs end up in HTTP client and proxy logs.
    key_in_query: bool = False


class LibreTranslateConfig(BaseModel):
    """A LibreTranslate server (self-hosted or libretranslate.com); the key is optional."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Literal["libretranslate"] = "libretranslate"
    base_url: str
    api_key: SecretStr | None = None
    concurrency: int = Field(default=4, ge=1, le=32)


ProviderConfig = Annotated[DeepLConfig | GoogleConfig | LibreTranslateConfig, Field(discriminator="provider")]


class TranslationSettings(BaseModel):
    """A tenant's translation choice; nothing is sent anywhere unless `enabled`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = False
    target: str = Field(default="en", pattern=r"^[a-z]{2}$", description="the team's working language")
    provider: ProviderConfig | None = None
    timeout_s: float = Field(default=10.0, gt=0)
    retry: RetrySettings = RetrySettings()
    # NOTE: a team that turns translation on wants this week's foreign reviews readable too, not only
    # the next ones; but every backfilled review is billed by the provider, so the window is bounded
    # and the tenant's to choose (0 = only reviews analysed from now on).
    backfill_days: int = Field(
        default=7, ge=0, le=90,
        description="when saved with translation on, also translate reviews analysed in the last N days",
    )
