"""The public shapes of people, sessions and the audit log (/v1/users, /v1/session, /v1/audit)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
from pydantic import AfterValidator, BaseModel, Field, SecretStr, field_validator

from services.gateway.edge import RequestModel, text_problem
from services.gateway.people.permissions import ROLES

Role = Literal[ROLES]  # type: ignore[valid-type]
# The console's languages (BCP 47): English and Simplified Chinese.
LOCALES = ("en", "zh-Hans")
Locale = Literal[LOCALES]  # type: ignore[valid-type]


def _safe_secret(value: SecretStr) -> SecretStr:
    """The edge's text rule for secrets too (RequestModel checks plain texts only), without quoting them."""
    if problem := text_problem(value.get_secret_value()):
        raise ValueError(problem)
    return value


Secret = Annotated[SecretStr, AfterValidator(_safe_secret)]


def _email(value: str) -> str:
    value = value.strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or " " in value:
        raise ValueError("must be an email address such as ana@example.com")
    return value


class UserRead(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    team: str | None = Field(description="the resolution team (GET /v1/teams) whose markets an agent works on")
    locale: Locale
    time_zone: str
    disabled: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> UserRead:
        return cls(id=row["id"], email=row["email"], role=row["role"], team=row["team"], locale=row["locale"],
                   time_zone=row["time_zone"], disabled=row["disabled_at"] is not None, created_at=row["created_at"])  # fmt: skip


class UserList(BaseModel):
    """One page; pass `next_page_token` back as `page_token` for the next."""

    items: list[UserRead]
    next_page_token: str | None = Field(description="null on the last page")


class InvitationCreate(RequestModel):
    email: str = Field(max_length=320, examples=["ana@acme.example"])
    role: Role
    team: str | None = Field(None, max_length=200, description="a team id of GET /v1/teams; an agent without one sees no cases")

    _check_email = field_validator("email")(classmethod(lambda cls, v: _email(v)))


class InvitationCreated(BaseModel):
    user: UserRead
    token: str = Field(description="shown once: send it to the person, who accepts with POST /v1/invitations/accept")
    expires_at: datetime


class UserUpdate(RequestModel):
    """Only the fields sent change; `team: null` takes the user off their team."""

    role: Role | None = None
    team: str | None = Field(None, max_length=200)
    disabled: bool | None = Field(None, description="true ends the user's sessions at once")


class PreferencesUpdate(RequestModel):
    """A person's own settings; only the fields sent change."""

    locale: Locale | None = None
    time_zone: str | None = Field(None, max_length=64, examples=["Asia/Shanghai"], description="an IANA time zone")

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Europe/Berlin or Asia/Shanghai") from None
        return value


class InvitationAccept(RequestModel):
    token: Secret = Field(min_length=1, max_length=200)
    password: Secret = Field(min_length=1, max_length=1000, description="at least 10 characters")


class SignIn(RequestModel):
    tenant: str = Field(min_length=1, max_length=200, description="the tenant's name")
    email: str = Field(min_length=1, max_length=320)
    password: Secret = Field(min_length=1, max_length=1000)


class SessionRead(BaseModel):
    """Who the request acts for. `csrf_token` (a session only) goes in `X-CSRF-Token` on every
    state-changing request made with the session cookie."""

    kind: Literal["user", "key"]
    tenant_id: uuid.UUID
    actor: str
    user: UserRead | None = None
    scopes: list[str] = Field(default_factory=list, description="an API key's scopes")
    csrf_token: str | None = None
    idle_timeout_seconds: float | None = None


class AuditEntryRead(BaseModel):
    id: uuid.UUID
    at: datetime
    actor: str = Field(description="`user:<email>` or `key:<prefix>`")
    method: str
    route: str = Field(description="the route template, e.g. /v1/cases/{case_id}/transitions")
    target: str | None = Field(description="the ids the request named (`case_id=…`), or the id it made")
    status: int = Field(description="the HTTP status it was answered with")


class AuditPage(BaseModel):
    """One page; pass `next_page_token` back as `page_token` for the next."""

    items: list[AuditEntryRead]
    next_page_token: str | None
