"""The audit trail: every state-changing request a person or an API key makes, with who, which
route, the target, when and the outcome, written by one ASGI middleware for every route.

NOTE: the row is written when the response starts, before the caller hears the answer, so a change
the caller saw succeed is never missing from the trail. Refused attempts (403, 409, 422...) are
recorded too: who tried what is what an audit is read for. A request nobody could be named for
(401) has no row: there is no one to name.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import asyncpg

from libs import paging
from services.gateway.people import guard, repository
from services.gateway.people.principal import Principal

log = logging.getLogger(__name__)

CHANGES = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Audited:
    """Who a request is recorded under; `target` overrides the route's path ids (a new user's id)."""

    tenant_id: uuid.UUID
    actor: str
    target: str | None = None


def audit_as(state, tenant_id: uuid.UUID, actor: str, target: str | None = None) -> None:
    """Names who a route that has no principal (a sign-in) acted for, or the id it made."""
    state.audited = Audited(tenant_id, actor, target)


class AuditTrail:
    """ASGI middleware around the app; it reads who acted from the request's state, which
    dependencies.get_principal (or audit_as) fills in."""

    def __init__(self, app) -> None:
        self._app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in CHANGES:
            return await self._app(scope, receive, send)
        # NOTE: the same dict backs request.state further in (Starlette keeps it in the scope).
        state = scope.setdefault("state", {})
        recorded = False

        async def recording_send(message):
            nonlocal recorded
            if message["type"] == "http.response.start" and not recorded:
                recorded = True
                await _record(scope, state, message["status"])
            await send(message)

        try:
            await self._app(scope, receive, recording_send)
        except Exception:
            if not recorded:
                await _record(scope, state, 500)
            raise


def _who(state: dict) -> Audited | None:
    audited: Audited | None = state.get("audited")
    principal: Principal | None = state.get("principal")
    if principal is not None:
        return Audited(principal.tenant_id, principal.actor, audited.target if audited else None)
    return audited


async def _record(scope, state: dict, status: int) -> None:
    who = _who(state)
    if who is None:
        return
    template = guard.route_template(scope) or scope["path"]
    target = who.target or _path_ids(scope.get("path_params") or {})
    await record(scope["app"].state.pool, who, scope["method"], template, target, status)


async def record(pool: asyncpg.Pool, who: Audited, method: str, route: str, target: str | None, status: int) -> None:
    """One row; also for a change that is not a state-changing method (the SSO callback's sign-in)."""
    try:
        async with pool.acquire() as conn:
            await repository.insert_audit(conn, who.tenant_id, who.actor, method, route, target, status)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        # NOTE: the change is done (a backend made it); failing its answer now would only hide it.
        log.error("audit row not written", extra={"fields": {"route": route, "actor": who.actor, "error": type(error).__name__}})


def _path_ids(params: dict) -> str | None:
    """`case_id=…`, or `case_id=… offer_id=…` for a route under another's id."""
    return " ".join(f"{name}={value}" for name, value in params.items()) or None


async def page(pool: asyncpg.Pool, tenant_id: uuid.UUID, *, page_size: int, page_token: str) -> tuple[list[asyncpg.Record], str]:
    """The tenant's audit rows, newest first, one page; the token of the next ("" on the last)."""
    limit = paging.page_size(page_size)
    after = paging.decode(page_token)
    async with pool.acquire() as conn:
        rows = await repository.audit_page(conn, tenant_id, after, limit)
    return paging.page(rows, limit, key=lambda r: (r["at"], r["id"]))
