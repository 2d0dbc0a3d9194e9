"""Who is looking at a page, and whether they may: the /v1 rule table, the team's markets, CSRF."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request

from libs import paging

from services.gateway.dependencies import PageRequest
from services.gateway.people.permissions import access_for
from services.gateway.routes import resolution as resolution_routes
from services.gateway.people.principal import Principal
from services.gateway.people.sessions import COOKIE, CSRF_HEADER, SignedIn, csrf_matches
from services.gateway.console.rendering import LOCALE_COOKIE, Formats, pick_language, zone_named

CSRF_FIELD = "csrf_token"
# Before sign-in there is no session to hold a CSRF token: the login form's token is a random value
# that must match this cookie (double submit), so another site cannot sign a browser in.
LOGIN_CSRF_COOKIE = "rg_login_csrf"


class NotSignedIn(Exception):
    """No live session: pages redirect to the login page, fragments answer 401."""


class Forbidden(Exception):
    """The person may not see or do this (403 page)."""


class CsrfRefused(Exception):
    """A state-changing request without the session's CSRF token (403)."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in person behind a console request, with how their pages are formatted."""

    signed_in: SignedIn
    formats: Formats

    @property
    def principal(self) -> Principal:
        s = self.signed_in
        return Principal(tenant_id=s.tenant_id, actor=f"user:{s.email}", limit_key=s.session_digest, role=s.role,
                         team=s.team, user_id=s.user_id)  # fmt: skip

    @property
    def tenant(self):
        return self.signed_in.tenant_id

    @property
    def csrf_token(self) -> str:
        return self.signed_in.csrf_token

    def may(self, method: str, api_route: str) -> bool:
        """Whether the /v1 route this page reads or acts through allows this person (the one rule table)."""
        access = access_for(method, api_route)
        return access is not None and self.principal.may(access)

    def require(self, method: str, api_route: str) -> None:
        if not self.may(method, api_route):
            raise Forbidden(f"your role ({self.signed_in.role}) may not use {method} {api_route}")

    def team_markets(self, teams: list[dict]) -> frozenset[str] | None:
        """The markets this person's cases are limited to; None = every market.

        NOTE: the API's rule (people/guard.py, README "People, roles"): only an agent is narrowed to
        its team's markets, and an agent without a team (or whose team is gone) sees none."""
        if self.signed_in.role != "agent":
            return None
        if not self.signed_in.team:
            return frozenset()
        for team in teams:
            if self.signed_in.team in (team.get("id"), team.get("name")):
                return frozenset(m.upper() for m in team.get("markets", []))
        return frozenset()

    def require_market(self, teams: list[dict], marketplace: str) -> None:
        markets = self.team_markets(teams)
        if markets is not None and marketplace.upper() not in markets:
            raise Forbidden(f"your team ({self.signed_in.team}) does not handle the {marketplace} market")


async def current_viewer(request: Request) -> Viewer:
    session_id = request.cookies.get(COOKIE)
    signed_in = await request.app.state.sessions.resolve(session_id) if session_id else None
    if signed_in is None:
        raise NotSignedIn()
    language = pick_language(switched=request.cookies.get(LOCALE_COOKIE), user_locale=signed_in.locale,
                             accept_language=request.headers.get("accept-language", ""))  # fmt: skip
    viewer = Viewer(signed_in=signed_in, formats=Formats(language=language, zone=zone_named(signed_in.time_zone)))
    # NOTE: so an error page raised later in the request speaks the person's language too.
    request.state.formats = viewer.formats
    request.state.viewer = viewer
    return viewer


async def acting_viewer(request: Request) -> Viewer:
    """The viewer of a state-changing request, which must carry the session's CSRF token (form or header)."""
    viewer = await current_viewer(request)
    presented = request.headers.get(CSRF_HEADER)
    if presented is None and request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/")):
        presented = (await request.form()).get(CSRF_FIELD)
    if not csrf_matches(viewer.signed_in, presented if isinstance(presented, str) else None):
        raise CsrfRefused()
    return viewer


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def login_token_matches(request: Request, presented: str | None) -> bool:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    return bool(expected and presented) and secrets.compare_digest(expected, presented)


async def teams_of(viewer: Viewer, backends) -> list[dict]:
    """The tenant's teams (with their markets) when the viewer's cases are scoped by one; else none needed."""
    if viewer.team_markets([]) is None:
        return []
    # NOTE: a tenant's teams are few (README, "Paging"): one page holds them.
    page = PageRequest(paging.MAX_PAGE_SIZE)
    return (await resolution_routes.list_teams(tenant=viewer.tenant, backends=backends, page=page))["items"]
