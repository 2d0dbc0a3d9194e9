"""People's routes: users and invitations (/v1/users, /v1/invitations), signing in and out
(/v1/session), the audit log (/v1/audit), and the single sign-on hand-off (`on_identity`).

Who may call each is the rule table's (permissions.py), enforced by dependencies.get_principal.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse, RedirectResponse

from libs.errors import Conflict, FieldViolation, InvalidArgument
from reviewguard.resolution.v1 import resolution_pb2
from services.gateway.dependencies import PageDep, PrincipalDep
from services.gateway.people import accounts, audit, repository
from services.gateway.people.schemas import (
    AuditEntryRead,
    AuditPage,
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    PreferencesUpdate,
    SessionRead,
    SignIn,
    UserList,
    UserRead,
    UserUpdate,
)
from services.gateway.people.sessions import COOKIE, SignedIn, SignInRefused, TooManyAttempts
from services.gateway.schemas import ERROR_RESPONSES
from services.gateway.sso.provider import Identity

router = APIRouter(tags=["people"], responses=ERROR_RESPONSES)


async def _check_team(request: Request, tenant_id: uuid.UUID, team: str | None) -> None:
    if team is None:
        return
    teams = await request.app.state.backends.resolution.ListTeams(resolution_pb2.ListTeamsRequest(tenant_id=str(tenant_id)))
    if team not in {t.id for t in teams.teams}:
        raise InvalidArgument(f"no team {team!r} in this tenant (GET /v1/teams)", [FieldViolation("team", "not a team of this tenant")])


@router.get("/v1/users", response_model=UserList, summary="The tenant's users")
async def list_users(request: Request, principal: PrincipalDep, page: PageDep) -> UserList:
    async with request.app.state.pool.acquire() as conn:
        rows = await repository.users(conn, principal.tenant_id)
    items, next_token = page.of(rows)
    return UserList(items=[UserRead.from_row(r) for r in items], next_page_token=next_token)


@router.post("/v1/users", status_code=201, response_model=InvitationCreated, summary="Invite a person")
async def invite_user(request: Request, principal: PrincipalDep, body: InvitationCreate) -> InvitationCreated:
    """Creates the user without a password and answers the invitation's token once; a person may
    hand out at most their own role, and only an owner makes owners."""
    await _check_team(request, principal.tenant_id, body.team)
    user, token, expires_at = await accounts.invite(
        request.app.state.pool, request.app.state.passwords, granter_role=principal.grant_role, tenant_id=principal.tenant_id,
        email=body.email, role=body.role, team=body.team,
    )  # fmt: skip
    audit.audit_as(request.state, principal.tenant_id, principal.actor, f"user_id={user['id']}")
    return InvitationCreated(user=UserRead.from_row(user), token=token, expires_at=expires_at)


@router.patch("/v1/users/{user_id}", response_model=UserRead, summary="Change a user's role, team or disabled flag")
async def update_user(request: Request, user_id: uuid.UUID, principal: PrincipalDep, body: UserUpdate) -> UserRead:
    sent = body.model_fields_set
    if "role" in sent and body.role is None:
        raise InvalidArgument("role cannot be null", [FieldViolation("role", "one of the roles")])
    if "disabled" in sent and body.disabled is None:
        raise InvalidArgument("disabled cannot be null", [FieldViolation("disabled", "true or false")])
    await _check_team(request, principal.tenant_id, body.team)
    row = await accounts.update_user(
        request.app.state.pool, granter_role=principal.grant_role, granter_id=principal.user_id, tenant_id=principal.tenant_id,
        user_id=user_id, role=body.role, team=body.team, clear_team="team" in sent and body.team is None, disabled=body.disabled,
    )  # fmt: skip
    return UserRead.from_row(row)


@router.post("/v1/invitations/accept", response_model=UserRead, summary="Accept an invitation, choosing a password")
async def accept_invitation(request: Request, body: InvitationAccept) -> UserRead:
    """The token is good once, for seven days; then sign in with POST /v1/session."""
    pool = request.app.state.pool
    user_id = await accounts.accept_invitation(
        pool, request.app.state.passwords, token=body.token.get_secret_value(), password=body.password.get_secret_value()
    )
    async with pool.acquire() as conn:
        user = await repository.user_by_id(conn, user_id)
    audit.audit_as(request.state, user["tenant_id"], f"user:{user['email']}", f"user_id={user_id}")
    return UserRead.from_row(user)


def _session_cookie(request: Request, response: Response, session_id: str) -> None:
    """HTTP-only (no script reads it), SameSite=Lax (no other site's form or fetch sends it; a link
    followed from the identity provider's page still does, which the SSO hand-off needs), Secure
    unless the gateway is served over plain http on loopback (a laptop's `make run`)."""
    settings = request.app.state.settings
    secure = not (request.url.scheme == "http" and request.url.hostname in ("127.0.0.1", "localhost", "::1"))
    response.set_cookie(COOKIE, session_id, httponly=True, secure=secure, samesite="lax", path="/",
                        max_age=int(settings.gateway.session_lifetime_seconds))  # fmt: skip


def _signed_in_read(request: Request, signed_in: SignedIn, user: UserRead | None = None) -> SessionRead:
    return SessionRead(
        kind="user", tenant_id=signed_in.tenant_id, actor=f"user:{signed_in.email}", user=user, csrf_token=signed_in.csrf_token,
        idle_timeout_seconds=request.app.state.settings.gateway.session_idle_seconds,
    )  # fmt: skip


async def _user_read(request: Request, tenant_id: uuid.UUID, user_id: uuid.UUID) -> UserRead:
    async with request.app.state.pool.acquire() as conn:
        return UserRead.from_row(await repository.user(conn, tenant_id, user_id))


@router.post("/v1/session", response_model=SessionRead, summary="Sign in with email and password")
async def sign_in(request: Request, response: Response, body: SignIn) -> SessionRead:
    """Sets the HTTP-only session cookie and answers the CSRF token. One 401 for every wrong
    tenant, email or password; after too many failures for the account or from the address, 429
    with Retry-After, even for the right password."""
    try:
        session_id, signed_in = await request.app.state.sessions.sign_in(
            tenant_name=body.tenant, email=body.email, password=body.password.get_secret_value(),
            client_ip=request.client.host if request.client else "unknown",
        )  # fmt: skip
    except TooManyAttempts as throttled:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(throttled), headers={"Retry-After": str(throttled.retry_after)}) from None
    except SignInRefused:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong tenant, email or password") from None
    audit.audit_as(request.state, signed_in.tenant_id, f"user:{signed_in.email}", f"user_id={signed_in.user_id}")
    _session_cookie(request, response, session_id)
    return _signed_in_read(request, signed_in, await _user_read(request, signed_in.tenant_id, signed_in.user_id))


@router.get("/v1/session", response_model=SessionRead, summary="Who am I")
async def who_am_i(request: Request, principal: PrincipalDep) -> SessionRead:
    if not principal.is_person:
        return SessionRead(kind="key", tenant_id=principal.tenant_id, actor=principal.actor, scopes=sorted(principal.scopes))
    signed_in: SignedIn = request.state.signed_in
    return _signed_in_read(request, signed_in, await _user_read(request, principal.tenant_id, signed_in.user_id))


@router.patch("/v1/session", response_model=SessionRead, summary="Change my language or time zone")
async def update_preferences(request: Request, principal: PrincipalDep, body: PreferencesUpdate) -> SessionRead:
    """The console's language and the time zone dates are shown in, for the signed-in person."""
    if not principal.is_person:
        raise Conflict("this request was made with an API key, which has no person's preferences")
    async with request.app.state.pool.acquire() as conn:
        row = await repository.set_preferences(conn, principal.user_id, body.locale, body.time_zone)
    return _signed_in_read(request, request.state.signed_in, UserRead.from_row(row))


@router.delete("/v1/session", status_code=204, summary="Sign out")
async def sign_out(request: Request, principal: PrincipalDep) -> Response:
    """Ends the session at once, on every gateway replica (an API key has none: 409)."""
    if not principal.by_cookie:
        raise Conflict("this request was made with an API key, which has no session to end")
    await request.app.state.sessions.sign_out(principal.limit_key)
    answer = Response(status_code=204)
    answer.delete_cookie(COOKIE, path="/")
    return answer


@router.get("/v1/audit", response_model=AuditPage, summary="Who changed what, newest first")
async def list_audit(
    request: Request,
    principal: PrincipalDep,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> AuditPage:
    rows, next_token = await audit.page(request.app.state.pool, principal.tenant_id, page_size=page_size, page_token=page_token)
    return AuditPage(items=[AuditEntryRead(**dict(r)) for r in rows], next_page_token=next_token or None)


async def sso_sign_in(request: Request, identity: Identity) -> Response:
    """create_app's default `on_identity`: the verified person gets a session, as by a password.

    Decision: a person the tenant's provider vouches for, and whose verified email is in the
    tenant's allowed domains, is provisioned on first sign-in with the SSO configuration's
    `default_role` (never owner; `viewer` unless the admin chose otherwise) rather than refused
    until invited. The tenant's directory already says who works there, and the admin who set up
    SSO chose the domains and the role; an admin can still disable the user or change the role,
    and a disabled user stays refused."""
    if not identity.email or not identity.email_verified:
        return JSONResponse({"detail": "the provider did not vouch for a verified email, which a ReviewGuard user is known by"},
                            status_code=403)  # fmt: skip
    try:
        session_id, signed_in = await request.app.state.sessions.sign_in_identity(
            tenant_id=identity.tenant_id, email=identity.email, default_role=identity.default_role
        )
    except SignInRefused as refused:
        return JSONResponse({"detail": str(refused)}, status_code=403)
    # NOTE: a GET (the provider's redirect), so the audit middleware, which records changing methods, does not see it.
    who = audit.Audited(signed_in.tenant_id, f"user:{signed_in.email}")
    await audit.record(request.app.state.pool, who, "GET", "/auth/sso/callback", f"user_id={signed_in.user_id}", 303)
    answer = RedirectResponse("/", status_code=303)
    _session_cookie(request, answer, session_id)
    return answer

