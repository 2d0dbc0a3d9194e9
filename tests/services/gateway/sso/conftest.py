"""The SSO tests' gateway (the real app over ASGI, real PostgreSQL) and local OpenID Provider."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import Request
from fastapi.responses import JSONResponse

from libs import db
from libs.crypto import SecretBox
from libs.settings import Settings
from services.gateway.app import create_app
from services.gateway.dependencies import get_tenant
from services.gateway.repository import ensure_tenant
from services.gateway.sso import routes as sso_routes
from services.gateway.tenants import MIGRATIONS, SCHEMA
from tests.services.gateway.sso.oidc_provider import Provider, ProviderServer

GATEWAY = "http://gateway"
SECRET = "client-secret-do-not-leak"


@pytest.fixture
async def pool(database_url: str):
    await db.migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await db.create_pool(database_url, schema=SCHEMA)
    yield pool
    await pool.close()


@pytest.fixture
def idp():
    server = ProviderServer(Provider(client_id="reviewguard", client_secret=SECRET, redirect_uri=f"{GATEWAY}/auth/sso/callback"))
    yield server
    server.stop()


class Gateway:
    """The gateway as one tenant's browser and admin see it; `identities` are what on_identity got."""

    def __init__(self, pool, idp: ProviderServer, *, wired: bool = True) -> None:
        self.identities = []
        self.tenant_name = f"t-{uuid.uuid4().hex[:8]}"
        self.idp = idp

        async def on_identity(request: Request, identity) -> JSONResponse:
            self.identities.append(identity)
            return JSONResponse({"signed_in": identity.subject})

        self.settings = Settings(secret_keys=SecretBox.new_key(), public_base_url=GATEWAY,
                                 outbound_allow_hosts=[f"127.0.0.1:{idp.port}"])  # fmt: skip
        self.app = create_app(self.settings, on_identity=on_identity if wired else None)
        # NOTE: no lifespan (no backends needed): the test sets what the SSO routes use.
        self.app.state.pool = pool
        self.app.state.sso = sso_routes.build(self.settings, on_identity if wired else None)
        self.pool = pool

    async def __aenter__(self):
        async with self.pool.acquire() as conn:
            self.tenant = await ensure_tenant(conn, self.tenant_name)
        self.app.dependency_overrides[get_tenant] = lambda: self.tenant
        return self

    async def __aexit__(self, *exc) -> None:
        pass

    def browser(self) -> httpx.AsyncClient:
        """Gateway over ASGI, the provider over real HTTP, cookies kept like a browser's."""
        return httpx.AsyncClient(
            mounts={GATEWAY: httpx.ASGITransport(app=self.app), f"http://127.0.0.1:{self.idp.port}": httpx.AsyncHTTPTransport()},
            base_url=GATEWAY,
        )

    async def configure(self, **changes) -> httpx.Response:
        body = {"issuer": self.idp.provider.issuer, "client_id": "reviewguard", "client_secret": SECRET,
                "allowed_email_domains": ["acme.example"], "default_role": "agent", **changes}  # fmt: skip
        async with self.browser() as admin:
            return await admin.put("/v1/sso", json=body)

    async def sign_in(self, browser: httpx.AsyncClient | None = None) -> httpx.Response:
        if browser is None:
            async with self.browser() as fresh:
                return await fresh.get(f"/auth/sso/{self.tenant_name}/start", follow_redirects=True)
        return await browser.get(f"/auth/sso/{self.tenant_name}/start", follow_redirects=True)


@pytest.fixture
async def gateway(pool, idp):
    async with Gateway(pool, idp) as gw:
        assert (await gw.configure()).status_code == 200
        yield gw


@pytest.fixture
async def unwired_gateway(pool, idp):
    """The gateway as its wiring root builds it before users and sessions exist (no on_identity)."""
    async with Gateway(pool, idp, wired=False) as gw:
        assert (await gw.configure()).status_code == 200
        yield gw
