"""A tenant's SSO configuration: the API's shapes, the issuer rule, and its SQL.

Decision (issuer scheme): an issuer must be `https://`. Plain `http://` is accepted only for a
loopback host (127.0.0.1, ::1, localhost), which is what a developer's or a test's local provider
is; anything else would send the client secret and codes in clear. Where the issuer may connect to
is still the outbound policy's (libs/outbound.py), checked on every request to the provider.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import asyncpg
from pydantic import BaseModel, Field, SecretStr, field_validator

from libs.crypto import SecretBox

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
# NOTE: a person signed in by SSO for the first time never becomes the owner; an owner grants that.
PROVISIONABLE_ROLES = ("admin", "manager", "agent", "viewer")


class SsoConfigIn(BaseModel):
    """The tenant's OIDC provider, as registered there (the redirect URI is GET /v1/sso's)."""

    issuer: str = Field(max_length=500, examples=["https://login.example.com/realms/acme"])
    client_id: str = Field(min_length=1, max_length=200)
    client_secret: SecretStr = Field(min_length=1, max_length=500, description="sealed at rest; never returned")
    allowed_email_domains: list[str] = Field(
        default_factory=list, max_length=50, description="only people with a verified email at one of these may sign in; empty: any"
    )
    default_role: str = Field("viewer", description="the role of a person provisioned by their first sign-in")

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be an absolute URL without query or fragment")
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
            raise ValueError("must be https (plain http only for a loopback provider)")
        return value.strip().rstrip("/")

    @field_validator("allowed_email_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        domains = [d.strip().lower().lstrip("@") for d in value]
        if any(not d or "." not in d or "@" in d or " " in d for d in domains):
            raise ValueError("each entry must be a domain such as example.com")
        return sorted(set(domains))

    @field_validator("default_role")
    @classmethod
    def _role(cls, value: str) -> str:
        if value not in PROVISIONABLE_ROLES:
            raise ValueError(f"must be one of {', '.join(PROVISIONABLE_ROLES)}")
        return value


class SsoConfigOut(BaseModel):
    """The tenant's SSO configuration without its client secret."""

    issuer: str
    client_id: str
    allowed_email_domains: list[str]
    default_role: str
    redirect_uri: str = Field(description="register this at the provider as the client's redirect URI")
    start_url: str = Field(description="where a person of this tenant starts signing in")


@dataclass(frozen=True)
class SsoConfig:
    """A stored configuration with its secret opened, for the sign-in flow only."""

    tenant_id: uuid.UUID
    issuer: str
    client_id: str
    client_secret: str
    allowed_domains: tuple[str, ...]
    default_role: str


async def save(conn: asyncpg.Connection, box: SecretBox, tenant_id: uuid.UUID, config: SsoConfigIn) -> None:
    await conn.execute(
        """INSERT INTO sso_configs (tenant_id, issuer, client_id, client_secret, allowed_domains, default_role)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (tenant_id) DO UPDATE SET issuer = EXCLUDED.issuer, client_id = EXCLUDED.client_id,
               client_secret = EXCLUDED.client_secret, allowed_domains = EXCLUDED.allowed_domains,
               default_role = EXCLUDED.default_role, updated_at = now()""",
        tenant_id, config.issuer, config.client_id, box.seal(config.client_secret.get_secret_value()),
        config.allowed_email_domains, config.default_role,
    )  # fmt: skip


async def load(conn: asyncpg.Connection, box: SecretBox, tenant_id: uuid.UUID) -> SsoConfig | None:
    row = await conn.fetchrow("SELECT * FROM sso_configs WHERE tenant_id = $1", tenant_id)
    if row is None:
        return None
    return SsoConfig(
        tenant_id=row["tenant_id"], issuer=row["issuer"], client_id=row["client_id"],
        client_secret=box.open(row["client_secret"]), allowed_domains=tuple(row["allowed_domains"]),
        default_role=row["default_role"],
    )  # fmt: skip


async def delete(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> bool:
    return await conn.execute("DELETE FROM sso_configs WHERE tenant_id = $1", tenant_id) == "DELETE 1"


async def find_tenant(conn: asyncpg.Connection, name_or_id: str) -> uuid.UUID | None:
    """The tenant a sign-in link names, by id or by name."""
    try:
        by_id = uuid.UUID(name_or_id)
    except ValueError:
        by_id = None
    return await conn.fetchval("SELECT id FROM tenants WHERE id = $1 OR name = $2", by_id, name_or_id)
