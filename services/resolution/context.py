"""What every resolution use case works with: the pool, the clock, the compiled toolkit, the defaults.

Built once by `ResolutionService` (from the wiring root's arguments) and handed to the use-case
functions of the topic packages, so they need no class of their own and no global state.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.resolution.appeals import service as appeals
from services.resolution.compliance.service import Checker, load_checker
from services.resolution.policy import repository as policy_repository
from services.resolution.policy.models import TenantPolicy, parse_policy
from services.resolution.requests import service as review_requests
from services.resolution.templates import service as templates

# NOTE: where people open a case from a link (the gateway's public address); the wiring root
# passes settings.public_base_url.
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Toolkit:
    """The compiled domain material the service works with; built once in the wiring root."""

    checker: Checker
    templates: templates.TemplateLibrary
    appeals: appeals.AppealBook
    invitations: Mapping[str, str]

    @classmethod
    def load(cls) -> "Toolkit":
        return cls(
            checker=load_checker(),
            templates=templates.load_library(),
            appeals=appeals.load_book(),
            invitations=review_requests.load_invitations(),
        )


@dataclass(frozen=True)
class Context:
    pool: asyncpg.Pool
    clock: Callable[[], datetime]
    toolkit: Toolkit
    defaults: TenantPolicy
    public_base_url: str = DEFAULT_PUBLIC_BASE_URL

    def case_url(self, case_id: uuid.UUID | str) -> str:
        return f"{self.public_base_url.rstrip('/')}/v1/cases/{case_id}"

    async def policy(self, conn: asyncpg.Connection, tenant: uuid.UUID) -> TenantPolicy:
        stored = await policy_repository.get(conn, tenant)
        return parse_policy(stored[1], defaults=self.defaults) if stored else self.defaults

    async def policies(self, conn: asyncpg.Connection, tenants: Iterable[uuid.UUID]) -> dict[uuid.UUID, TenantPolicy]:
        """The policies of several tenants in one query (tenants without one get the defaults)."""
        wanted = list(set(tenants))
        stored = await policy_repository.get_many(conn, wanted)
        return {t: parse_policy(stored[t], defaults=self.defaults) if t in stored else self.defaults for t in wanted}
