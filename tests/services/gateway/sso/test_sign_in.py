"""OIDC single sign-on end to end: the real gateway app (over httpx's ASGI transport) and a local
OpenID Provider on 127.0.0.1 (real HTTP), the browser an httpx client that follows redirects;
the tenant's configuration in real PostgreSQL (fixtures: conftest.py)."""

from __future__ import annotations

import time

import httpx
import pytest

from services.gateway.sso import routes as sso_routes
from tests.services.gateway.sso.oidc_provider import Person

async def test_a_person_of_an_allowed_domain_signs_in_and_on_identity_gets_the_verified_identity(gateway) -> None:
    answer = await gateway.sign_in()
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"signed_in": "user-1"}
    (identity,) = gateway.identities
    assert (identity.tenant_id, identity.subject, identity.email, identity.email_verified, identity.name, identity.default_role) == (
        gateway.tenant, "user-1", "li.wei@acme.example", True, "Li Wei", "agent")
    assert identity.issuer == gateway.idp.provider.issuer


async def test_the_tenant_can_be_named_by_id_in_the_sign_in_link(gateway) -> None:
    async with gateway.browser() as browser:
        answer = await browser.get(f"/auth/sso/{gateway.tenant}/start", follow_redirects=True)
    assert answer.status_code == 200 and gateway.identities[0].tenant_id == gateway.tenant


async def test_claims_the_id_token_lacks_are_read_from_userinfo(gateway) -> None:
    gateway.idp.provider.id_token_omits = ("email", "email_verified", "name")
    assert (await gateway.sign_in()).status_code == 200
    assert gateway.identities[0].email == "li.wei@acme.example" and gateway.identities[0].email_verified


async def test_a_callback_whose_state_is_not_this_browsers_is_refused(gateway) -> None:
    async with gateway.browser() as browser:
        to_provider = await browser.get(f"/auth/sso/{gateway.tenant_name}/start")
        back = await browser.get(to_provider.headers["location"])
        callback = httpx.URL(back.headers["location"])
        answer = await browser.get("/auth/sso/callback", params={"code": callback.params["code"], "state": "forged"})
    assert answer.status_code == 400 and "state" in answer.json()["detail"]
    assert gateway.identities == [] and gateway.idp.provider.token_requests == 0


async def test_a_callback_without_a_sign_in_under_way_is_refused(gateway) -> None:
    async with gateway.browser() as browser:
        answer = await browser.get("/auth/sso/callback", params={"code": "x", "state": "y"})
    assert answer.status_code == 400 and "start again" in answer.json()["detail"]


async def test_a_code_replayed_is_refused_by_the_provider_and_signs_no_one_in(gateway) -> None:
    async with gateway.browser() as browser:
        to_provider = await browser.get(f"/auth/sso/{gateway.tenant_name}/start")
        flow_cookie = browser.cookies[sso_routes.COOKIE]
        callback = (await browser.get(to_provider.headers["location"])).headers["location"]
        assert (await browser.get(callback)).status_code == 200
        browser.cookies.set(sso_routes.COOKIE, flow_cookie, domain="gateway.local", path="/auth/sso")
        replay = await browser.get(callback)
    assert replay.status_code == 401 and "invalid_grant" in replay.json()["detail"]
    assert len(gateway.identities) == 1


async def test_an_intercepted_code_is_useless_in_another_browser_pkce(gateway) -> None:
    async with gateway.browser() as victim, gateway.browser() as attacker:
        victims = await victim.get(f"/auth/sso/{gateway.tenant_name}/start")
        stolen = httpx.URL((await victim.get(victims.headers["location"])).headers["location"]).params["code"]
        attackers = await attacker.get(f"/auth/sso/{gateway.tenant_name}/start")
        own_state = httpx.URL(attackers.headers["location"]).params["state"]
        answer = await attacker.get("/auth/sso/callback", params={"code": stolen, "state": own_state})
    assert answer.status_code == 401 and "invalid_grant" in answer.json()["detail"]
    assert gateway.identities == []


@pytest.mark.parametrize(
    "change",
    [
        {"tamper_id_token": True},
        {"claim_overrides": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}},
        {"claim_overrides": {"aud": "some-other-client"}},
        {"claim_overrides": {"iss": "https://impostor.example"}},
        {"claim_overrides": {"nonce": "not-the-one-sent"}},
        {"sign_with_unpublished_key": True},
    ],
    ids=["tampered", "expired", "wrong-audience", "wrong-issuer", "wrong-nonce", "unknown-key"],
)
async def test_an_id_token_that_does_not_verify_signs_no_one_in(gateway, change) -> None:
    for name, value in change.items():
        setattr(gateway.idp.provider, name, value)
    answer = await gateway.sign_in()
    assert answer.status_code == 401, answer.text
    assert "ID token" in answer.json()["detail"]
    assert gateway.identities == []


async def test_a_person_of_another_email_domain_is_refused(gateway) -> None:
    gateway.idp.provider.person = Person(email="someone@elsewhere.example")
    answer = await gateway.sign_in()
    assert answer.status_code == 403 and "domain" in answer.json()["detail"]
    assert gateway.identities == []


async def test_an_unverified_email_is_refused_where_domains_are_restricted(gateway) -> None:
    gateway.idp.provider.person = Person(email_verified=False)
    answer = await gateway.sign_in()
    assert answer.status_code == 403 and "verified" in answer.json()["detail"]


async def test_the_provider_denying_access_is_shown_as_such(gateway) -> None:
    gateway.idp.provider.answer_error = "access_denied"
    answer = await gateway.sign_in()
    assert answer.status_code == 403 and "access_denied" in answer.json()["detail"]


async def test_a_second_sign_in_after_the_provider_rotated_its_keys_succeeds_by_refetching_the_jwks(gateway) -> None:
    assert (await gateway.sign_in()).status_code == 200
    gateway.idp.provider.rotate_keys()
    assert (await gateway.sign_in()).status_code == 200
    assert len(gateway.identities) == 2
    # NOTE: once for the first sign-in (cached after), once more for the new kid.
    assert gateway.idp.provider.jwks_requests == 2


async def test_a_provider_that_is_down_answers_503_not_500(gateway) -> None:
    gateway.idp.stop()
    answer = await gateway.sign_in()
    assert answer.status_code == 503 and "unavailable" in answer.json()["detail"]
    assert "Retry-After" in answer.headers


async def test_a_provider_gone_between_start_and_callback_answers_503(gateway) -> None:
    async with gateway.browser() as browser:
        to_provider = await browser.get(f"/auth/sso/{gateway.tenant_name}/start")
        callback = (await browser.get(to_provider.headers["location"])).headers["location"]
        gateway.idp.stop()
        answer = await browser.get(callback)
    assert answer.status_code == 503


async def test_without_the_users_wiring_a_verified_sign_in_answers_501(unwired_gateway) -> None:
    answer = await unwired_gateway.sign_in()
    assert answer.status_code == 501 and "not available yet" in answer.json()["detail"]
