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

    @property
    def is_person(self) -> bool:
        return self.role is not None

    def may(self, access: Access) -> bool:
        return role_allows(self.role, access) if self.is_person else scopes_allow(self.scopes, access)

    @property
    def grant_role(self) -> str:
        """The highest role this principal may hand out: a person's own; an admin-scoped key acts
        as an admin (it cannot make owners: only a person who is an owner can)."""
        return self.role if self.is_person else ("admin" if "admin" in self.scopes else ROLES[0])
