"""Signing in and out with a password: the session cookie, CSRF, the idle timeout and the throttle."""

from __future__ import annotations

import json

from services.gateway.app import create_app
from tests.services.gateway.people.conftest import PASSWORD, Gateway, settings_for


async def test_sign_in_sets_a_secure_http_only_cookie_and_who_am_i_answers(gateway) -> None:
    tenant = await gateway.tenant()
    user = await gateway.person(tenant, "manager")
    async with gateway.client() as browser:
        answer = await browser.post("/v1/session", json={"tenant": tenant.name, "email": user["email"].upper(), "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        cookie = answer.headers["set-cookie"].lower()
        assert "rg_session=" in cookie and "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
        assert PASSWORD not in answer.text
        me = (await browser.get("/v1/session")).json()
        assert me["kind"] == "user" and me["user"]["email"] == user["email"] and me["user"]["role"] == "manager"
        assert me["csrf_token"] == answer.json()["csrf_token"]


async def test_wrong_password_unknown_email_and_unknown_tenant_get_one_401(gateway) -> None:
    tenant = await gateway.tenant()
    user = await gateway.person(tenant, "agent")
    async with gateway.client() as browser:
        answers = [
            await browser.post("/v1/session", json={"tenant": tenant.name, "email": user["email"], "password": "wrong password!"}),
            await browser.post("/v1/session", json={"tenant": tenant.name, "email": "nobody@acme.example", "password": PASSWORD}),
            await browser.post("/v1/session", json={"tenant": "no-such-tenant", "email": user["email"], "password": PASSWORD}),
        ]
        assert [a.status_code for a in answers] == [401, 401, 401]
        assert len({a.json()["detail"] for a in answers}) == 1
        assert "set-cookie" not in answers[0].headers
        assert (await browser.get("/v1/session")).status_code == 401


async def test_a_state_changing_request_with_the_cookie_needs_the_csrf_token(gateway) -> None:
    tenant = await gateway.tenant()
    user = await gateway.person(tenant, "admin")
    browser = await gateway.browser(tenant, user["email"])
    token = browser.headers.pop("X-CSRF-Token")
    body = {"email": "new@acme.example", "role": "viewer"}
    refused = await browser.post("/v1/users", json=body)
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    wrong = await browser.post("/v1/users", json=body, headers={"X-CSRF-Token": token + "x"})
    assert wrong.status_code == 403
    users = (await browser.get("/v1/users")).json()["items"]
    assert "new@acme.example" not in [u["email"] for u in users], "a refused request changed nothing"
    made = await browser.post("/v1/users", json=body, headers={"X-CSRF-Token": token})
    assert made.status_code == 201, made.text


async def test_logout_ends_the_session_at_once(gateway) -> None:
    tenant = await gateway.tenant()
    user = await gateway.person(tenant, "viewer")
    browser = await gateway.browser(tenant, user["email"])
    cookie = browser.cookies["rg_session"]
    assert (await browser.delete("/v1/session")).status_code == 204
    assert "rg_session" not in browser.cookies
    # The old cookie, replayed (a copy kept somewhere), is dead too.
    async with gateway.client() as replay:
        replay.cookies.set("rg_session", cookie, domain="gateway")
        assert (await replay.get("/v1/session")).status_code == 401


async def test_an_idle_session_ends_and_a_used_one_lives_on(gateway) -> None:
    tenant = await gateway.tenant()
    user = await gateway.person(tenant, "viewer")
    idle, busy = await gateway.browser(tenant, user["email"]), await gateway.browser(tenant, user["email"])
    async with gateway.app.state.pool.acquire() as conn:
        idle_for = gateway.settings.gateway.session_idle_seconds
        # Unused for longer than the idle timeout: over.
        await conn.execute("UPDATE sessions SET last_seen_at = now() - make_interval(secs => $1::float8)", idle_for + 5)
        assert (await idle.get("/v1/session")).status_code == 401
        # Last used within the timeout: a use now resets its idle clock, so it lives on past the
        # moment the earlier use would have run out.
        await conn.execute("UPDATE sessions SET last_seen_at = now() - make_interval(secs => $1::float8)", idle_for - 120)
        assert (await busy.get("/v1/session")).status_code == 200
        await conn.execute("UPDATE sessions SET last_seen_at = last_seen_at - make_interval(secs => 125)")
        assert (await busy.get("/v1/session")).status_code == 200, "the use reset its idle clock"


async def test_five_failures_lock_the_account_with_retry_after_even_for_the_right_password(gateway) -> None:
    tenant = await gateway.tenant()
    user = await gateway.person(tenant, "agent")
    async with gateway.client() as guesser:
        for _ in range(gateway.settings.gateway.login_max_failures):
            wrong = await guesser.post("/v1/session", json={"tenant": tenant.name, "email": user["email"], "password": "guess-guess-1"})
            assert wrong.status_code == 401
        locked = await guesser.post("/v1/session", json={"tenant": tenant.name, "email": user["email"], "password": PASSWORD})
        assert locked.status_code == 429
        assert 0 < int(locked.headers["Retry-After"]) <= gateway.settings.gateway.login_failure_window_seconds
        assert "set-cookie" not in locked.headers
    async with gateway.app.state.pool.acquire() as conn:
        # The window passes (the failures age past it): the right password works again.
        await conn.execute("UPDATE login_failures SET failed_at = failed_at - make_interval(secs => $1::float8)",
                           gateway.settings.gateway.login_failure_window_seconds + 1)
    async with gateway.client() as owner:
        ok = await owner.post("/v1/session", json={"tenant": tenant.name, "email": user["email"], "password": PASSWORD})
        assert ok.status_code == 200, ok.text


async def test_a_disabled_user_is_signed_out_and_cannot_sign_in(gateway) -> None:
    tenant = await gateway.tenant()
    user = await gateway.person(tenant, "agent")
    browser = await gateway.browser(tenant, user["email"])
    async with gateway.client(Authorization=f"Bearer {tenant.admin_key}") as admin:
        disabled = await admin.patch(f"/v1/users/{user['id']}", json={"disabled": True})
        assert disabled.status_code == 200 and disabled.json()["disabled"] is True
        assert (await browser.get("/v1/session")).status_code == 401
        again = await browser.post("/v1/session", json={"tenant": tenant.name, "email": user["email"], "password": PASSWORD})
        assert again.status_code == 401


async def test_bad_sign_in_and_invitation_input_is_a_422_naming_the_field_and_changes_nothing(gateway) -> None:
    tenant = await gateway.tenant()
    async with gateway.client(Authorization=f"Bearer {tenant.admin_key}") as admin:
        invited = await admin.post("/v1/users", json={"email": "ana@acme.example", "role": "agent"})
        token = invited.json()["token"]
        for body, field in (
            ({"token": token, "password": "short"}, "password"),
            ({"token": token, "password": "long enough \ud800 text"}, "password"),
            ({"token": token, "password": 1234567890}, "password"),
        ):
            # NOTE: json.dumps escapes the lone surrogate as JSON may ("\ud800"); httpx's json= cannot send it.
            answer = await admin.post("/v1/invitations/accept", content=json.dumps(body), headers={"Content-Type": "application/json"})
            assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, answer.text
            assert "\ud800" not in answer.text and "short" not in answer.text
        assert (await admin.post("/v1/users", json={"email": "not-an-email", "role": "agent"})).json()["errors"][0]["field"] == "email"
        assert (await admin.post("/v1/users", json={"email": "bo@acme.example", "role": "root"})).json()["errors"][0]["field"] == "role"
        # The token still works: the refused attempts did not use it up.
        assert (await admin.post("/v1/invitations/accept", json={"token": token, "password": PASSWORD})).status_code == 200
        assert (await admin.post("/v1/invitations/accept", json={"token": token, "password": PASSWORD})).status_code == 404
    async with gateway.client() as browser:
        odd = await browser.post("/v1/session", content=json.dumps({"tenant": tenant.name, "email": "ana@acme.example", "password": "\ud800"}),
                                 headers={"Content-Type": "application/json"})
        assert odd.status_code == 422 and odd.json()["errors"][0]["field"] == "password"


async def test_one_locked_account_does_not_lock_out_colleagues_behind_the_same_address(gateway) -> None:
    tenant = await gateway.tenant()
    guessed, colleague = await gateway.person(tenant, "agent"), await gateway.person(tenant, "agent")
    async with gateway.client() as office:
        for _ in range(gateway.settings.gateway.login_max_failures):
            await office.post("/v1/session", json={"tenant": tenant.name, "email": guessed["email"], "password": "typo-typo-typo"})
        assert (await office.post("/v1/session", json={"tenant": tenant.name, "email": guessed["email"], "password": PASSWORD})).status_code == 429
        ok = await office.post("/v1/session", json={"tenant": tenant.name, "email": colleague["email"], "password": PASSWORD})
        assert ok.status_code == 200, ok.text


async def test_an_address_guessing_over_many_accounts_is_stopped(database_url, resolution_port) -> None:
    settings = settings_for(database_url, resolution_port, login_max_failures_per_address=3)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        gateway = Gateway(app, settings, database_url)
        tenant = await gateway.tenant()
        user = await gateway.person(tenant, "viewer")
        async with gateway.client() as guesser:
            for n in range(3):
                wrong = await guesser.post("/v1/session", json={"tenant": tenant.name, "email": f"u{n}@acme.example", "password": "guess-guess"})
                assert wrong.status_code == 401
            stopped = await guesser.post("/v1/session", json={"tenant": tenant.name, "email": user["email"], "password": PASSWORD})
            assert stopped.status_code == 429 and int(stopped.headers["Retry-After"]) > 0


async def test_a_person_sets_their_language_and_time_zone(gateway) -> None:
    tenant = await gateway.tenant()
    user = await gateway.person(tenant, "viewer")
    browser = await gateway.browser(tenant, user["email"])
    changed = await browser.patch("/v1/session", json={"locale": "zh-Hans", "time_zone": "Asia/Shanghai"})
    assert changed.status_code == 200, changed.text
    me = (await browser.get("/v1/session")).json()["user"]
    assert (me["locale"], me["time_zone"]) == ("zh-Hans", "Asia/Shanghai")
    for body, field in (({"time_zone": "Mars/Olympus"}, "time_zone"), ({"locale": "klingon"}, "locale")):
        refused = await browser.patch("/v1/session", json=body)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field
    me = (await browser.get("/v1/session")).json()["user"]
    assert (me["locale"], me["time_zone"]) == ("zh-Hans", "Asia/Shanghai"), "a refused change changed nothing"
