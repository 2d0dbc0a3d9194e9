"""Users and invitations: who belongs to a tenant, with which role and team.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommendation);
hashing runs in a thread so a login does not stall the event loop for its ~50 ms.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from libs.errors import Conflict, FieldViolation, InvalidArgument, NotFound, PermissionDenied
from services.gateway.people import permissions, repository

MIN_PASSWORD_LENGTH = 10
INVITATION_LIFETIME = timedelta(days=7)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def token_digest(token: str) -> bytes:
    """Session ids and invitation tokens are 256-bit random values: a plain SHA-256 is enough to
    keep a database dump from holding usable ones (unlike passwords, nothing to brute-force)."""
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Passwords:
    hasher: PasswordHasher

    async def hash(self, password: str) -> str:
        _check_password(password)
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> tuple[bool, str | None]:
        """(matches, a new hash when the stored one was made with older parameters).

        NOTE: a user without a password (invited, or SSO only) is checked against a dummy hash,
        so the answer takes as long as for a real one and tells nothing."""
        try:
            await asyncio.to_thread(self.hasher.verify, stored or _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return False, None
        if stored is None:
            return False, None
        rehash = await asyncio.to_thread(self.hasher.hash, password) if self.hasher.check_needs_rehash(stored) else None
        return True, rehash


_DUMMY_HASH = PasswordHasher().hash(secrets.token_urlsafe(16))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidArgument(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters",
            [FieldViolation("password", f"at least {MIN_PASSWORD_LENGTH} characters")],
        )


async def create_user(
    pool: asyncpg.Pool, passwords: Passwords, *, granter_role: str, tenant_id: uuid.UUID, email: str, role: str,
    team: str | None, password: str | None, locale: str = "en", time_zone: str = "UTC",
) -> asyncpg.Record:
    """A new user; without a password they can only sign in after accepting an invitation (or by SSO)."""
    _check_grant(granter_role, role)
    password_hash = await passwords.hash(password) if password is not None else None
    async with pool.acquire() as conn:
        row = await repository.insert_user(conn, tenant_id, normalise_email(email), password_hash, role, team, locale, time_zone)
    if row is None:
        raise Conflict(f"a user with email {normalise_email(email)} already exists in this tenant")
    return row


async def invite(
    pool: asyncpg.Pool, passwords: Passwords, *, granter_role: str, tenant_id: uuid.UUID, email: str, role: str,
    team: str | None, now: datetime | None = None,
) -> tuple[asyncpg.Record, str, datetime]:
    """The invited user, the single-use token (shown once, to be sent to them) and its expiry."""
    user = await create_user(
        pool, passwords, granter_role=granter_role, tenant_id=tenant_id, email=email, role=role, team=team, password=None
    )
    token = secrets.token_urlsafe(32)
    expires_at = (now or datetime.now(timezone.utc)) + INVITATION_LIFETIME
    async with pool.acquire() as conn:
        await repository.insert_invitation(conn, token_digest(token), tenant_id, user["id"], expires_at)
    return user, token, expires_at


async def accept_invitation(pool: asyncpg.Pool, passwords: Passwords, *, token: str, password: str) -> uuid.UUID:
    """Sets the invited user's password; a used, expired or unknown token is one clear 404."""
    password_hash = await passwords.hash(password)
    async with pool.acquire() as conn, conn.transaction():
        user_id = await repository.accept_invitation(conn, token_digest(token))
        if user_id is None:
            raise NotFound("no open invitation with this token (used, expired or unknown)")
        await repository.set_password(conn, user_id, password_hash)
    return user_id


async def update_user(
    pool: asyncpg.Pool, *, granter_role: str, granter_id: uuid.UUID | None, tenant_id: uuid.UUID, user_id: uuid.UUID,
    role: str | None, team: str | None, clear_team: bool, disabled: bool | None,
) -> asyncpg.Record:
    """Changes a user's role, team or disabled flag; disabling ends their sessions at once."""
    async with pool.acquire() as conn, conn.transaction():
        current = await repository.user(conn, tenant_id, user_id)
        if current is None:
            raise NotFound(f"no user {user_id} in this tenant")
        # NOTE: nobody changes someone above their own rank, and the last owner cannot be demoted
        # or disabled (the tenant would be left with nobody able to manage owners).
        _check_grant(granter_role, current["role"])
        if role is not None:
            _check_grant(granter_role, role)
        if current["role"] == "owner" and (role not in (None, "owner") or disabled) and await repository.count_owners(conn, tenant_id) <= 1:
            raise Conflict("this is the tenant's last owner: make another owner first")
        if granter_id == user_id and disabled:
            raise InvalidArgument("you cannot disable yourself", [FieldViolation("disabled", "not your own account")])
        row = await repository.update_user(conn, tenant_id, user_id, role=role, team=team, clear_team=clear_team, disabled=disabled)
        if disabled:
            await repository.delete_sessions_of(conn, user_id)
    return row


def _check_grant(granter_role: str, role: str) -> None:
    if not permissions.may_grant(granter_role, role):
        raise PermissionDenied(f"a {granter_role} cannot manage users with the role {role}")
