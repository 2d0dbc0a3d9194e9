"""Single sign-on as the wiring root builds it (no on_identity given): the person the tenant's local
OpenID Provider vouches for gets a console session, provisioned on first sign-in with the SSO
configuration's default role; a disabled user stays out."""

from __future__ import annotations

import httpx
import pytest

from libs.crypto import SecretBox
from services.gateway.app import create_app
from tests.services.gateway.people.conftest import GATEWAY, Gateway, settings_for
from tests.services.gateway.sso.oidc_provider import Provider, ProviderServer

SECRET = "client-secret-do-not-leak"


@pytest.fixture
def idp():
    server = ProviderServer(Provider(client_id="reviewguard", client_secret=SECRET, redirect_uri=f"{GATEWAY}/auth/sso/callback"))
    yield server
    server.stop()


@pytest.fixture
async def sso_gateway(database_url: str, resolution_port: int, idp):
    settings = settings_for(database_url, resolution_port, secret_keys=SecretBox.new_key(), public_base_url=GATEWAY,
                            outbound_allow_hosts=[f"127.0.0.1:{idp.port}"])  # fmt: skip
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield Gateway(app, settings, database_url)


def _browser(gateway, idp) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        mounts={GATEWAY: httpx.ASGITransport(app=gateway.app), f"http://127.0.0.1:{idp.port}": httpx.AsyncHTTPTransport()},
        base_url=GATEWAY,
    )


async def _configure(gateway, idp, tenant, role: str) -> None:
    async with gateway.client(Authorization=f"Bearer {tenant.admin_key}") as admin:
        answer = await admin.put("/v1/sso", json={"issuer": idp.provider.issuer, "client_id": "reviewguard", "client_secret": SECRET,
                                                  "allowed_email_domains": ["acme.example"], "default_role": role})
        assert answer.status_code == 200, answer.text


async def test_a_verified_person_is_provisioned_with_the_default_role_and_signed_in(sso_gateway, idp) -> None:
    tenant = await sso_gateway.tenant()
    await _configure(sso_gateway, idp, tenant, "agent")
    async with _browser(sso_gateway, idp) as browser:
        back = await browser.get(f"/auth/sso/{tenant.name}/start", follow_redirects=True)
        # NOTE: the callback sends the person to the console's root, which then opens the inbox.
        (callback,) = [r for r in back.history if r.url.path == "/auth/sso/callback"]
        assert callback.status_code == 303 and callback.headers["location"] == "/"
        me = await browser.get("/v1/session")
        assert me.status_code == 200, me.text
        assert me.json()["user"]["email"] == "li.wei@acme.example" and me.json()["user"]["role"] == "agent"
        assert SECRET not in back.text and SECRET not in me.text
    # A second sign-in finds the same user, not a new one.
    async with _browser(sso_gateway, idp) as again:
        await again.get(f"/auth/sso/{tenant.name}/start", follow_redirects=True)
        assert (await again.get("/v1/session")).status_code == 200
    async with sso_gateway.client(Authorization=f"Bearer {tenant.admin_key}") as admin:
        users = (await admin.get("/v1/users")).json()["items"]
        assert [u["email"] for u in users] == ["li.wei@acme.example"]
        signed_in = [(e["actor"], e["route"], e["target"]) for e in (await admin.get("/v1/audit")).json()["items"] if e["method"] == "GET"]
        assert signed_in == [("user:li.wei@acme.example", "/auth/sso/callback", f"user_id={users[0]['id']}")] * 2


async def test_a_disabled_user_is_refused_by_single_sign_on_too(sso_gateway, idp) -> None:
    tenant = await sso_gateway.tenant()
    await _configure(sso_gateway, idp, tenant, "viewer")
    user = await sso_gateway.person(tenant, "agent", email="li.wei@acme.example")
    async with sso_gateway.client(Authorization=f"Bearer {tenant.admin_key}") as admin:
        assert (await admin.patch(f"/v1/users/{user['id']}", json={"disabled": True})).status_code == 200
    async with _browser(sso_gateway, idp) as browser:
        refused = await browser.get(f"/auth/sso/{tenant.name}/start", follow_redirects=True)
        assert refused.status_code == 403 and "rg_session" not in browser.cookies
