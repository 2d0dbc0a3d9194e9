"""The whole gateway app (its own lifespan: migrations, pool, sessions) over real PostgreSQL, with a
real resolution service in process for teams and cases, and helpers to act as a key or a person."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest

from libs.grpc_server import GrpcServer
from libs.settings import Settings
from reviewguard.resolution.v1 import resolution_pb2_grpc
from services.gateway.app import create_app
from services.gateway.tenants import provision_tenant
from services.resolution.grpc_api import ResolutionServicer
from tests.services.resolution.conftest import clock, pool, toolkit, workflow  # noqa: F401 - fixtures

PEPPER = "people-test-pepper-0001"
# NOTE: https, so the client sends the Secure session cookie back as a browser would.
GATEWAY = "https://gateway"
PASSWORD = "correct horse battery"


@dataclass
class Tenant:
    name: str
    id: uuid.UUID
    admin_key: str


class Gateway:
    def __init__(self, app, settings: Settings, database_url: str) -> None:
        self.app = app
        self.settings = settings
        self.database_url = database_url
        self.browsers: list[httpx.AsyncClient] = []

    def client(self, **headers: str) -> httpx.AsyncClient:
        """A fresh browser (its own cookie jar) or, with headers, an API client."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=GATEWAY, headers=headers)

    async def tenant(self, scopes: tuple[str, ...] = ("read", "write", "admin")) -> Tenant:
        name = f"t-{uuid.uuid4().hex[:8]}"
        tenant_id, key = await provision_tenant(self.database_url, name, pepper=PEPPER, scopes=scopes)
        return Tenant(name, tenant_id, key)

    async def key(self, tenant: Tenant, scopes: tuple[str, ...]) -> str:
        _, key = await provision_tenant(self.database_url, tenant.name, pepper=PEPPER, scopes=scopes)
        return key

    async def person(self, tenant: Tenant, role: str, *, team: str | None = None, email: str | None = None) -> dict:
        """Invites (with the tenant's admin key) and accepts: the user as the API answers it."""
        email = email or f"{role}-{uuid.uuid4().hex[:6]}@acme.example"
        async with self.client(Authorization=f"Bearer {tenant.admin_key}") as admin:
            invited = await admin.post("/v1/users", json={"email": email, "role": role, **({"team": team} if team else {})})
            assert invited.status_code == 201, invited.text
            accepted = await admin.post("/v1/invitations/accept", json={"token": invited.json()["token"], "password": PASSWORD})
            assert accepted.status_code == 200, accepted.text
        return invited.json()["user"]

    async def browser(self, tenant: Tenant, email: str) -> httpx.AsyncClient:
        """A browser signed in as `email`, sending the CSRF token as the console's pages do (closed
        with the fixture)."""
        browser = self.client()
        self.browsers.append(browser)
        signed_in = await browser.post("/v1/session", json={"tenant": tenant.name, "email": email, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        browser.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]
        return browser


def settings_for(database_url: str, resolution_port: int, **changes) -> Settings:
    return Settings(
        database_url=database_url, api_key_pepper=PEPPER, resolution_port=resolution_port, rate_limit_per_key="",
        daily_quota_per_tenant=0, api_key_cache_seconds=0, **changes,
    )  # fmt: skip


@pytest.fixture
async def resolution_port(workflow):  # noqa: F811 - the imported fixture
    server = GrpcServer(bind="127.0.0.1:0", service_names=["reviewguard.resolution.v1.ResolutionService"])
    resolution_pb2_grpc.add_ResolutionServiceServicer_to_server(ResolutionServicer(workflow), server.server)
    await server.start()
    yield server.port
    await server.stop(0)


@pytest.fixture
async def gateway(database_url: str, resolution_port: int):
    settings = settings_for(database_url, resolution_port)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        gw = Gateway(app, settings, database_url)
        yield gw
        for browser in gw.browsers:
            await browser.aclose()
