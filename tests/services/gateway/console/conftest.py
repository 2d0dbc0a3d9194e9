"""The console over the real gateway app (ASGI) and real PostgreSQL, with people made by the
production account code; backends are not needed by what these tests open."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from argon2 import PasswordHasher

from libs import db
from libs.settings import Settings
from services.gateway.app import create_app
from services.gateway.console import site
from services.gateway.dependencies import Backends
from services.gateway.people import accounts
from services.gateway.repository import ensure_tenant
from services.gateway.tenants import MIGRATIONS, SCHEMA

PASSWORD = "correct horse battery staple"
GATEWAY = "http://gateway"


@pytest.fixture
async def pool(database_url: str):
    await db.migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await db.create_pool(database_url, schema=SCHEMA)
    yield pool
    await pool.close()


class Console:
    def __init__(self, pool, settings: Settings) -> None:
        self.pool = pool
        self.tenant_name = f"t-{uuid.uuid4().hex[:8]}"
        self.app = create_app(settings)
        # NOTE: no lifespan: the test sets the pool and sessions the wiring root would.
        self.app.state.pool = pool
        self.app.state.sessions = site.sessions_for(pool, settings)
        self.app.state.backends = Backends(ingest=None, nlp=None, alerting=None, resolution=None, channels={})

    async def add_user(self, email: str, role: str, *, team: str | None = None, locale: str = "en") -> None:
        async with self.pool.acquire() as conn:
            tenant = await ensure_tenant(conn, self.tenant_name)
        await accounts.create_user(self.pool, accounts.Passwords(PasswordHasher()), granter_role="owner", tenant_id=tenant, email=email,
                                   role=role, team=team, password=PASSWORD, locale=locale)  # fmt: skip

    def browser(self, **headers) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app, client=("127.0.0.9", 5000)), base_url=GATEWAY, headers=headers)

    async def sign_in(self, browser: httpx.AsyncClient, email: str, password: str = PASSWORD, next_: str = "/inbox") -> httpx.Response:
        form = await browser.get("/login")
        token = hidden(form.text, "csrf_token")
        return await browser.post("/login", data={"tenant": self.tenant_name, "email": email, "password": password,
                                                  "csrf_token": token, "next": next_})  # fmt: skip


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} in the page"
    return match.group(1)


def session_csrf(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


@pytest.fixture
async def console(pool) -> Console:
    console = Console(pool, Settings(login_max_failures=3))
    await console.add_user("owner@acme.example", "owner")
    await console.add_user("viewer@acme.example", "viewer")
    await console.add_user("li@acme.example", "viewer", locale="zh-CN")
    return console
