"""A tenant's SSO configuration over /v1/sso: stored with its client secret sealed, never shown
back, validated field by field; real PostgreSQL (fixtures: conftest.py)."""

from __future__ import annotations

import logging

import pytest

from tests.services.gateway.sso.conftest import SECRET


async def test_get_shows_the_configuration_and_the_redirect_uri_but_never_the_secret(gateway) -> None:
    async with gateway.browser() as admin:
        answer = await admin.get("/v1/sso")
    assert answer.status_code == 200
    body = answer.json()
    assert body["issuer"] == gateway.idp.provider.issuer and body["client_id"] == "reviewguard"
    assert body["allowed_email_domains"] == ["acme.example"] and body["default_role"] == "agent"
    assert body["redirect_uri"] == "http://gateway/auth/sso/callback"
    assert SECRET not in answer.text


async def test_the_client_secret_is_sealed_at_rest(gateway) -> None:
    async with gateway.pool.acquire() as conn:
        stored = await conn.fetchval("SELECT client_secret FROM sso_configs WHERE tenant_id = $1", gateway.tenant)
    assert SECRET.encode() not in stored
    assert gateway.app.state.sso.box.open(stored) == SECRET


async def test_put_again_replaces_the_configuration(gateway) -> None:
    assert (await gateway.configure(allowed_email_domains=["Other.Example"], default_role="viewer")).status_code == 200
    async with gateway.browser() as admin:
        body = (await admin.get("/v1/sso")).json()
    assert body["allowed_email_domains"] == ["other.example"] and body["default_role"] == "viewer"


async def test_delete_turns_sign_in_off(gateway) -> None:
    async with gateway.browser() as admin:
        assert (await admin.delete("/v1/sso")).status_code == 204
        assert (await admin.get("/v1/sso")).status_code == 404
        assert (await admin.delete("/v1/sso")).status_code == 404
    answer = await gateway.sign_in()
    assert answer.status_code == 404 and gateway.identities == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("issuer", "http://login.example.com"),  # plain http off loopback: secret and codes in clear
        ("issuer", "not a url"),
        ("client_id", ""),
        ("allowed_email_domains", ["not a domain"]),
        ("default_role", "owner"),
    ],
)
async def test_bad_input_is_422_naming_the_field_and_changes_nothing(gateway, field, value) -> None:
    answer = await gateway.configure(**{field: value})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert SECRET not in answer.text
    async with gateway.browser() as admin:
        assert (await admin.get("/v1/sso")).json()["default_role"] == "agent"


async def test_an_https_issuer_is_accepted(gateway) -> None:
    assert (await gateway.configure(issuer="https://login.example.com/realms/acme/")).status_code == 200
    async with gateway.browser() as admin:
        assert (await admin.get("/v1/sso")).json()["issuer"] == "https://login.example.com/realms/acme"


async def test_a_sign_in_logs_neither_the_client_secret_nor_the_code_nor_tokens(gateway, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    async with gateway.browser() as browser:
        to_provider = await browser.get(f"/auth/sso/{gateway.tenant_name}/start")
        callback = (await browser.get(to_provider.headers["location"])).headers["location"]
        code = callback.split("code=")[1].split("&")[0]
        assert (await browser.get(callback)).status_code == 200
    # NOTE: the test browser's own request lines (to http://gateway/...) carry the code by design.
    logged = "\n".join(r.getMessage() for r in caplog.records if "http://gateway/" not in r.getMessage())
    assert SECRET not in logged and code not in logged
    assert not any(token in logged for token in gateway.idp.provider.access_tokens)
