"""Signing in and out of the console, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.gateway.console.access import (
    LOGIN_CSRF_COOKIE, Viewer, acting_viewer, login_token_matches, new_login_token,
)
from services.gateway.console.errors import ConsoleRoute
from services.gateway.console.rendering import LOCALE_COOKIE, LOCALES
from services.gateway.people.sessions import COOKIE, SignInRefused, TooManyAttempts

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def _local(target: str | None) -> str:
    """Only a path on this site: `next=//evil.example` must not send a fresh session elsewhere."""
    return target if target and target.startswith("/") and not target.startswith(("//", "/\\")) else "/inbox"


def _secure(request: Request) -> bool:
    return request.app.state.console_secure_cookies


@router.get("/")
async def home() -> Response:
    return RedirectResponse("/inbox", status_code=303)


def _login_page(request: Request, *, status: int = 200, error: str = "", next_: str = "/inbox", form: dict | None = None,
                headers: dict | None = None) -> Response:  # fmt: skip
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_token()
    response = request.app.state.console.render(request, "login.html", status_code=status, login_token=token, error=error,
                                                next=_local(next_), form=form or {})  # fmt: skip
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@router.get("/login")
async def login_form(request: Request, next: str = "/inbox") -> Response:
    return _login_page(request, next_=next)


@router.post("/login")
async def login(
    request: Request, tenant: Annotated[str, Form(max_length=200)], email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)], csrf_token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/inbox",
) -> Response:  # fmt: skip
    form = {"tenant": tenant, "email": email}
    if not login_token_matches(request, csrf_token):
        return _login_page(request, status=403, error="expired", next_=next, form=form)
    try:
        session_id, _ = await request.app.state.sessions.sign_in(
            tenant_name=tenant.strip(), email=email, password=password, client_ip=request.client.host if request.client else ""
        )
    except SignInRefused:
        return _login_page(request, status=401, error="refused", next_=next, form=form)
    except TooManyAttempts as error:
        return _login_page(request, status=429, error="throttled", next_=next, form=form, headers={"Retry-After": str(error.retry_after)})
    response = RedirectResponse(_local(next), status_code=303)
    # NOTE: SameSite=Lax: links from a notification mail open the console signed in; forms of other
    # sites still cannot act, as every state change needs the CSRF token too.
    response.set_cookie(COOKIE, session_id, httponly=True, samesite="lax", secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, viewer: Annotated[Viewer, Depends(acting_viewer)]) -> Response:
    await request.app.state.sessions.sign_out(viewer.signed_in.session_digest)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/language")
async def switch_language(
    request: Request, language: Annotated[str, Form()], csrf_token: Annotated[str, Form()] = "", back: Annotated[str, Form()] = "/inbox",
) -> Response:  # fmt: skip
    """The interface language switch; on the login page checked against the login token, else the session's."""
    if language not in LOCALES:
        return request.app.state.console.render(request, "error.html", status_code=422, status=422,
                                                detail=f"language: one of {', '.join(LOCALES)}")  # fmt: skip
    if not login_token_matches(request, csrf_token):
        await acting_viewer(request)
    target = _local(back)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(LOCALE_COOKIE, language, httponly=True, samesite="lax", secure=_secure(request), path="/", max_age=365 * 86400)
    return response

