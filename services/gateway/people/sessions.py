"""Signed-in people: server-side sessions behind an HTTP-only cookie, CSRF tokens, login throttling.

Sessions live in PostgreSQL (not in a signed cookie) so logout, disabling a user and the idle
timeout take effect at once on every gateway replica. The cookie holds a 256-bit random id; the
table holds its SHA-256. Every state-changing request made with the cookie must echo the session's
CSRF token in `X-CSRF-Token` (synchroniser token): a page on another site can make the browser
send the cookie, but cannot read the token.
"""

from __future__ import annotations

import hmac
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import asyncpg

from services.gateway.people import repository
from services.gateway.people.accounts import Passwords, normalise_email, token_digest

COOKIE = "rg_session"
CSRF_HEADER = "X-CSRF-Token"


class TooManyAttempts(Exception):
    """Sign-ins refused for a while (429 with Retry-After), after too many failures for the account
    or from the address within the window, even with the right password."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after


class SignInRefused(Exception):
    """401: the one answer for every reason a sign-in fails."""


@dataclass(frozen=True)
class SignedIn:
    """A live session's user, as the gateway's principal needs them."""

    session_digest: bytes
    csrf_token: str
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    role: str
    team: str | None
    locale: str
    time_zone: str


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: float
    lifetime_seconds: float
    max_failures: int
    failure_window_seconds: float
    # Failures one address may make (over any accounts) within the window; 0: ten times
    # `max_failures`, so one office behind one NAT is not locked out by a few typos.
    max_address_failures: int = 0

    def limit_for(self, subject: str) -> int:
        if subject.startswith("ip:"):
            return self.max_address_failures or 10 * self.max_failures
        return self.max_failures


class Sessions:
    def __init__(self, pool: asyncpg.Pool, passwords: Passwords, policy: SessionPolicy) -> None:
        self._pool = pool
        self._passwords = passwords
        self._policy = policy

    async def sign_in(self, *, tenant_name: str, email: str, password: str, client_ip: str) -> tuple[str, SignedIn]:
        """(the new session id for the cookie, who signed in). Unknown tenant, unknown email, wrong
        password and disabled user all get the same answer, so none can be probed for."""
        email = normalise_email(email)
        account, address = f"account:{tenant_name}:{email}", f"ip:{client_ip}"
        async with self._pool.acquire() as conn:
            await self._refuse_if_throttled(conn, [account, address])
            tenant_id = await repository.tenant_named(conn, tenant_name)
            user = await repository.user_for_login(conn, tenant_id, email) if tenant_id else None
        matches, rehash = await self._passwords.verify(user["password_hash"] if user else None, password)
        async with self._pool.acquire() as conn:
            if not matches or user["disabled_at"] is not None:
                await repository.add_failures(conn, [account, address], self._policy.failure_window_seconds)
                raise SignInRefused("wrong tenant, email or password")
            await repository.clear_failures(conn, account)
            if rehash is not None:
                await repository.set_password(conn, user["id"], rehash)
            return await self._start(conn, user)

    async def sign_in_identity(self, *, tenant_id: uuid.UUID, email: str, default_role: str) -> tuple[str, SignedIn]:
        """A session for an identity someone else verified (single sign-on): the tenant's user with
        that email, provisioned with `default_role` on first sign-in; a disabled user is refused."""
        email = normalise_email(email)
        async with self._pool.acquire() as conn:
            user = await repository.user_for_login(conn, tenant_id, email)
            if user is None:
                await repository.insert_user(conn, tenant_id, email, None, default_role, None, "en", "UTC")
                user = await repository.user_for_login(conn, tenant_id, email)
            if user["disabled_at"] is not None:
                raise SignInRefused("this user is disabled")
            return await self._start(conn, user)

    async def resolve(self, session_id: str) -> SignedIn | None:
        digest = token_digest(session_id)
        async with self._pool.acquire() as conn:
            row = await repository.live_session(conn, digest, self._policy.idle_seconds, self._policy.lifetime_seconds)
            if row is not None and row["stale"]:
                await repository.touch_session(conn, digest)
        return None if row is None else _signed_in(digest, row["csrf_token"], row)

    async def sign_out(self, session_digest: bytes) -> None:
        async with self._pool.acquire() as conn:
            await repository.delete_session(conn, session_digest)

    async def _start(self, conn: asyncpg.Connection, user: asyncpg.Record) -> tuple[str, SignedIn]:
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        # NOTE: the user's ended sessions go now, so the table holds live ones (plus whoever never returns).
        await repository.delete_ended_sessions(conn, user["id"], self._policy.idle_seconds, self._policy.lifetime_seconds)
        await repository.insert_session(conn, token_digest(session_id), user["id"], csrf)
        return session_id, _signed_in(token_digest(session_id), csrf, user)

    async def _refuse_if_throttled(self, conn: asyncpg.Connection, subjects: list[str]) -> None:
        window = self._policy.failure_window_seconds
        now = datetime.now(timezone.utc)
        waits = [
            window - (now - row["oldest"]).total_seconds()
            for row in await repository.recent_failures(conn, subjects, window)
            if row["failures"] >= self._policy.limit_for(row["subject"])
        ]
        if waits:
            raise TooManyAttempts(max(1, math.ceil(max(waits))))


def csrf_matches(signed_in: SignedIn, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(signed_in.csrf_token, presented)


def _signed_in(digest: bytes, csrf: str, user: asyncpg.Record) -> SignedIn:
    return SignedIn(
        session_digest=digest, csrf_token=csrf, user_id=user["id"], tenant_id=user["tenant_id"], email=user["email"],
        role=user["role"], team=user["team"], locale=user["locale"], time_zone=user["time_zone"],
    )  # fmt: skip
