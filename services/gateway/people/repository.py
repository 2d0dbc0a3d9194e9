"""All SQL of people: users, invitations, sessions, failed logins and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

_USER_COLUMNS = "id, tenant_id, email, role, team, locale, time_zone, disabled_at, created_at"


async def tenant_named(conn: asyncpg.Connection, name: str) -> uuid.UUID | None:
    return await conn.fetchval("SELECT id FROM tenants WHERE name = $1", name)


async def insert_user(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, email: str, password_hash: str | None, role: str, team: str | None,
    locale: str, time_zone: str,
) -> asyncpg.Record | None:
    """The new user, or None when the tenant already has one with that email."""
    return await conn.fetchrow(
        f"""INSERT INTO users (tenant_id, email, password_hash, role, team, locale, time_zone)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, email) DO NOTHING
            RETURNING {_USER_COLUMNS}""",
        tenant_id, email, password_hash, role, team, locale, time_zone,
    )  # fmt: skip


async def user(conn: asyncpg.Connection, tenant_id: uuid.UUID, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2", tenant_id, user_id)


async def user_by_id(conn: asyncpg.Connection, user_id: uuid.UUID) -> asyncpg.Record | None:
    """A user found by id alone: for an invitation's user, whose tenant the token stood for."""
    return await conn.fetchrow(f"SELECT {_USER_COLUMNS} FROM users WHERE id = $1", user_id)


async def user_for_login(conn: asyncpg.Connection, tenant_id: uuid.UUID, email: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE tenant_id = $1 AND email = $2", tenant_id, email
    )


async def users(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {_USER_COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY email", tenant_id)


async def update_user(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, user_id: uuid.UUID, *, role: str | None, team: str | None,
    clear_team: bool, disabled: bool | None,
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""UPDATE users SET role = coalesce($3, role),
                             team = CASE WHEN $5 THEN NULL ELSE coalesce($4, team) END,
                             disabled_at = CASE WHEN $6::bool IS NULL THEN disabled_at
                                                WHEN $6 THEN coalesce(disabled_at, now()) ELSE NULL END
            WHERE tenant_id = $1 AND id = $2 RETURNING {_USER_COLUMNS}""",
        tenant_id, user_id, role, team, clear_team, disabled,
    )  # fmt: skip


async def set_preferences(conn: asyncpg.Connection, user_id: uuid.UUID, locale: str | None, time_zone: str | None) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""UPDATE users SET locale = coalesce($2, locale), time_zone = coalesce($3, time_zone)
            WHERE id = $1 RETURNING {_USER_COLUMNS}""",
        user_id, locale, time_zone,
    )  # fmt: skip


async def set_password(conn: asyncpg.Connection, user_id: uuid.UUID, password_hash: str) -> None:
    await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)


async def count_owners(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM users WHERE tenant_id = $1 AND role = 'owner' AND disabled_at IS NULL", tenant_id
    )


async def insert_invitation(conn: asyncpg.Connection, token_hash: bytes, tenant_id: uuid.UUID, user_id: uuid.UUID, expires_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO invitations (token_hash, tenant_id, user_id, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash, tenant_id, user_id, expires_at,
    )  # fmt: skip


async def accept_invitation(conn: asyncpg.Connection, token_hash: bytes) -> uuid.UUID | None:
    """Marks an open, unexpired invitation accepted (once: concurrent accepts get None) -> its user."""
    return await conn.fetchval(
        """UPDATE invitations SET accepted_at = now()
           WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now() RETURNING user_id""",
        token_hash,
    )  # fmt: skip


async def insert_session(conn: asyncpg.Connection, id_hash: bytes, user_id: uuid.UUID, csrf_token: str) -> None:
    await conn.execute("INSERT INTO sessions (id_hash, user_id, csrf_token) VALUES ($1, $2, $3)", id_hash, user_id, csrf_token)


async def live_session(conn: asyncpg.Connection, id_hash: bytes, idle_seconds: float, lifetime_seconds: float) -> asyncpg.Record | None:
    """The session (its CSRF token, whether its idle clock needs a reset) and its enabled user, if
    neither the idle timeout nor the lifetime ran out."""
    return await conn.fetchrow(
        f"""SELECT s.csrf_token, s.last_seen_at < now() - interval '60 seconds' AS stale,
                   {', '.join('u.' + c.strip() for c in _USER_COLUMNS.split(','))}
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id_hash = $1 AND u.disabled_at IS NULL
              AND s.last_seen_at > now() - make_interval(secs => $2::float8)
              AND s.created_at > now() - make_interval(secs => $3::float8)""",
        id_hash, idle_seconds, lifetime_seconds,
    )  # fmt: skip


async def delete_ended_sessions(conn: asyncpg.Connection, user_id: uuid.UUID, idle_seconds: float, lifetime_seconds: float) -> None:
    await conn.execute(
        """DELETE FROM sessions WHERE user_id = $1 AND (last_seen_at <= now() - make_interval(secs => $2::float8)
                                                    OR created_at <= now() - make_interval(secs => $3::float8))""",
        user_id, idle_seconds, lifetime_seconds,
    )  # fmt: skip


async def touch_session(conn: asyncpg.Connection, id_hash: bytes) -> None:
    await conn.execute("UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1", id_hash)


async def delete_session(conn: asyncpg.Connection, id_hash: bytes) -> None:
    await conn.execute("DELETE FROM sessions WHERE id_hash = $1", id_hash)


async def delete_sessions_of(conn: asyncpg.Connection, user_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM sessions WHERE user_id = $1", user_id)


async def recent_failures(conn: asyncpg.Connection, subjects: list[str], window_seconds: float) -> list[asyncpg.Record]:
    """Per subject: failures within the window and the oldest of them."""
    return await conn.fetch(
        """SELECT subject, count(*) AS failures, min(failed_at) AS oldest FROM login_failures
           WHERE subject = ANY($1::text[]) AND failed_at > now() - make_interval(secs => $2::float8) GROUP BY subject""",
        subjects, window_seconds,
    )  # fmt: skip


async def add_failures(conn: asyncpg.Connection, subjects: list[str], window_seconds: float) -> None:
    # NOTE: rows past the window say nothing any more; dropping them here keeps the table small.
    await conn.execute(
        "DELETE FROM login_failures WHERE subject = ANY($1::text[]) AND failed_at < now() - make_interval(secs => $2::float8)",
        subjects, window_seconds,
    )  # fmt: skip
    await conn.executemany("INSERT INTO login_failures (subject) VALUES ($1)", [(s,) for s in subjects])


async def clear_failures(conn: asyncpg.Connection, subject: str) -> None:
    await conn.execute("DELETE FROM login_failures WHERE subject = $1", subject)


async def insert_audit(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, actor: str, method: str, route: str, target: str | None, status: int
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (tenant_id, actor, method, route, target, status) VALUES ($1, $2, $3, $4, $5, $6)",
        tenant_id, actor, method, route, target, status,
    )  # fmt: skip


async def audit_page(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, at, actor, method, route, target, status FROM audit_log
           WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (at, id) < ($2, $3))
           ORDER BY at DESC, id DESC LIMIT $4""",
        tenant_id, after[0] if after else None, after[1] if after else None, limit + 1,
    )  # fmt: skip
