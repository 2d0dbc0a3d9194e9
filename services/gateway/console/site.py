"""Mounts the console on the gateway app: its pages, its static files and its renderer."""

from __future__ import annotations

import asyncpg
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from libs.settings import Settings
from services.gateway.console import alerts, dashboard, desk, inbox, sign_in
from services.gateway.console.rendering import STATIC, Renderer
from services.gateway.people.accounts import Passwords
from services.gateway.people.sessions import SessionPolicy, Sessions

STATIC_PATH = "/static/console"


def mount(app: FastAPI, settings: Settings) -> None:
    """The console's routes at `/`; the sessions it signs people in with are app.state.sessions (the wiring root's)."""
    app.state.console = Renderer(poll_seconds=settings.gateway.console_poll_seconds)
    # NOTE: a Secure cookie is never sent over plain HTTP, so it is set only where people reach the
    # console over HTTPS (REVIEWGUARD_PUBLIC_BASE_URL); a local `make run` is plain HTTP on loopback.
    app.state.console_secure_cookies = settings.public_url().startswith("https://")
    for module in (sign_in, inbox, desk, alerts, dashboard):
        app.include_router(module.router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="console-static")


def sessions_for(pool: asyncpg.Pool, settings: Settings, passwords: Passwords | None = None) -> Sessions:
    """The people's sessions over the gateway's pool, with the settings' timeouts and login throttle
    (the one construction: the wiring root and the console's tests use it)."""
    own = settings.gateway
    return Sessions(pool, passwords or Passwords(PasswordHasher()), SessionPolicy(
        idle_seconds=own.session_idle_seconds, lifetime_seconds=own.session_lifetime_seconds,
        max_failures=own.login_max_failures, failure_window_seconds=own.login_failure_window_seconds,
        max_address_failures=own.login_max_failures_per_address,
    ))  # fmt: skip
