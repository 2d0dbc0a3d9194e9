"""Who stands behind a request: an API key or a signed-in person, and whether they may call it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.gateway.people.permissions import ROLES, Access, role_allows, scopes_allow


@dataclass(frozen=True)
class Principal:
    tenant_id: uuid.UUID
    # 'key:<prefix>' or 'user:<email>': how the audit log names them.
    actor: str
    # What rate limits count under (a key's digest, a session's digest).
    limit_key: bytes
    # A person's role and team; None for an API key, which has scopes instead.
    role: str | None = None
    team: str | None = None
    user_id: uuid.UUID | None = None
    scopes: frozenset[str] = frozenset()
    # Signed in with the session cookie (not a key): state-changing requests then need the CSRF token.
    by_cookie: bool = False

    @property
    def is_person(self) -> bool:
        return self.role is not None

    def may(self, access: Access) -> bool:
        return role_allows(self.role, access) if self.is_person else scopes_allow(self.scopes, access)

    @property
    def grant_role(self) -> str:
        """The highest role this principal may hand out: a person's own; an admin-scoped key acts
        as an owner.

        NOTE: the tenant's admin key is its root credential (made with the tenant by the operator);
        without it nobody could invite a tenant's first owner."""
        return self.role if self.is_person else ("owner" if "admin" in self.scopes else ROLES[0])

    @property
    def sees_every_market(self) -> bool:
        """Whether team markets narrow what this principal sees of cases: only an agent's do."""
        return self.role != "agent"
