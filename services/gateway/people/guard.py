"""The one check in front of every /v1 route: who is calling (an API key or a session cookie), and
whether the rule table, the CSRF token and, for an agent, the team's markets let them.

`dependencies.get_principal` runs it; routes never check permissions themselves.
"""

from __future__ import annotations

from fastapi import HTTPException, Request, status

from libs.errors import PermissionDenied
from reviewguard.resolution.v1 import resolution_pb2
from services.gateway.people import sessions as people_sessions
from services.gateway.people.permissions import Access, access_for
from services.gateway.people.principal import Principal

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Routes about one case: an agent reaches them only for a case of its team's markets.
CASE_ROUTES = "/v1/cases/{case_id}"


def route_template(scope) -> str | None:
    """The matched route's template as the OpenAPI document names it ("/v1/cases/{case_id}").

    NOTE: FastAPI keeps a route included through nested routers in scope["route"] under its own
    router's path ("/departments/product"); the effective context it records holds the full one.
    """
    effective = scope.get("fastapi", {}).get("effective_route_context")
    if effective is not None and getattr(effective, "path_format", None):
        return effective.path_format
    route = scope.get("route")
    return route.path if route is not None else None


def route_access(request: Request) -> Access:
    """The rule of the matched route; a route without one is refused (deny by default)."""
    template = route_template(request.scope)
    access = access_for(request.method, template) if template is not None else None
    if access is None:
        raise PermissionDenied("no access rule covers this route, so it is refused")
    return access


async def from_cookie(request: Request, session_id: str) -> Principal:
    signed_in = await request.app.state.sessions.resolve(session_id)
    if signed_in is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the session has ended (signed out, idle too long or expired): sign in again")
    if request.method not in SAFE_METHODS and not people_sessions.csrf_matches(signed_in, request.headers.get(people_sessions.CSRF_HEADER)):
        # NOTE: a page on another site can make the browser send the cookie, not read the token.
        raise PermissionDenied(f"missing or wrong {people_sessions.CSRF_HEADER} header (the session's CSRF token)")
    # NOTE: GET /v1/session answers the CSRF token from it, without reading the session again.
    request.state.signed_in = signed_in
    return Principal(
        tenant_id=signed_in.tenant_id, actor=f"user:{signed_in.email}", limit_key=signed_in.session_digest,
        role=signed_in.role, team=signed_in.team, user_id=signed_in.user_id, by_cookie=True,
    )  # fmt: skip


def authorize(principal: Principal, access: Access) -> None:
    if not principal.may(access):
        who = f"the role {principal.role}" if principal.is_person else f"an API key with scopes {', '.join(sorted(principal.scopes)) or 'none'}"
        raise PermissionDenied(f"{who} may not do this (it needs {access.role} or the {access.scope} scope)")


async def team_markets(request: Request, principal: Principal) -> frozenset[str]:
    """The markets of an agent's team (none without a team: an agent works on its team's cases only)."""
    if not principal.team:
        return frozenset()
    teams = await request.app.state.backends.resolution.ListTeams(resolution_pb2.ListTeamsRequest(tenant_id=str(principal.tenant_id)))
    return frozenset(m.upper() for t in teams.teams if t.id == principal.team for m in t.markets)


async def check_case_scope(request: Request, principal: Principal) -> None:
    """403 for an agent on a case outside its team's markets. The same answer whether the case is
    outside them or is another's, so nothing about other markets' cases is told."""
    if principal.sees_every_market or not (route_template(request.scope) or "").startswith(CASE_ROUTES):
        return
    case = await request.app.state.backends.resolution.GetCase(
        resolution_pb2.GetCaseRequest(tenant_id=str(principal.tenant_id), case_id=request.path_params["case_id"])
    )
    if case.marketplace.upper() not in await team_markets(request, principal):
        raise PermissionDenied(f"this case is in the {case.marketplace} market, which your team does not serve")
