"""Signing in and out of the console: the session cookie, CSRF on every form, throttling, the 403 page."""

from __future__ import annotations

from services.gateway.people.sessions import COOKIE
from tests.services.gateway.console.conftest import hidden, session_csrf


async def test_signing_in_sets_an_http_only_cookie_and_signing_out_ends_the_session(console) -> None:
    async with console.browser() as browser:
        signed_in = await console.sign_in(browser, "viewer@acme.example", next_="/cases")
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/cases"
        cookie = next(h for h in signed_in.headers.get_list("set-cookie") if h.startswith(f"{COOKIE}="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        # A viewer reads reviews and reports, not cases: the page says so (and carries the session's CSRF token).
        page = await browser.get("/cases")
        assert page.status_code == 403 and "You may not see this" in page.text
        # A page with the session's token is never cached nor framed by another site.
        assert page.headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in page.headers["content-security-policy"]
        token = session_csrf(page.text)
        session = browser.cookies[COOKIE]

        out = await browser.post("/logout", data={"csrf_token": token})
        assert out.status_code == 303 and out.headers["location"] == "/login"
    async with console.browser() as replay:
        # The old cookie is dead server-side, not only dropped by the browser.
        replay.cookies.set(COOKIE, session)
        again = await replay.get("/cases")
        assert again.status_code == 303 and again.headers["location"].startswith("/login?next=%2Fcases")


async def test_a_form_without_the_csrf_token_changes_nothing(console) -> None:
    async with console.browser() as browser:
        await console.sign_in(browser, "viewer@acme.example")
        refused = await browser.post("/logout", data={})
        assert refused.status_code == 403 and "reload the page" in refused.text
        forged = await browser.post("/logout", data={"csrf_token": "guessed"})
        assert forged.status_code == 403
        # Still signed in.
        assert (await browser.get("/cases")).status_code == 403


async def test_the_login_form_needs_its_own_token(console) -> None:
    async with console.browser() as browser:
        refused = await browser.post("/login", data={"tenant": console.tenant_name, "email": "viewer@acme.example",
                                                     "password": "correct horse battery staple", "csrf_token": "x"})  # fmt: skip
        assert refused.status_code == 403 and COOKIE not in browser.cookies


async def test_a_wrong_password_is_refused_and_repeated_failures_are_throttled(console) -> None:
    async with console.browser() as browser:
        wrong = await console.sign_in(browser, "owner@acme.example", password="not the password")
        assert wrong.status_code == 401 and "Wrong tenant, email or password." in wrong.text and COOKIE not in browser.cookies
        await console.sign_in(browser, "owner@acme.example", password="not the password")
        await console.sign_in(browser, "owner@acme.example", password="not the password")
        throttled = await console.sign_in(browser, "owner@acme.example")
        assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0 and COOKIE not in browser.cookies


async def test_next_never_leaves_the_site(console) -> None:
    async with console.browser() as browser:
        signed_in = await console.sign_in(browser, "viewer@acme.example", next_="//evil.example/steal")
        assert signed_in.headers["location"] == "/inbox"


async def test_pages_speak_the_users_language_and_the_switch_overrides_it(console) -> None:
    async with console.browser(**{"Accept-Language": "zh-CN,zh;q=0.9"}) as anonymous:
        login = await anonymous.get("/login")
        assert "登录" in login.text and 'lang="zh-Hans"' in login.text
    async with console.browser() as browser:
        await console.sign_in(browser, "li@acme.example")
        page = await browser.get("/cases")
        assert page.status_code == 403 and "您无权查看此内容" in page.text
        switched = await browser.post("/language", data={"language": "en", "csrf_token": session_csrf(page.text), "back": "/cases"})
        assert switched.status_code == 303 and switched.headers["location"] == "/cases"
        assert "You may not see this" in (await browser.get("/cases")).text
        refused = await browser.post("/language", data={"language": "fr", "csrf_token": session_csrf(page.text)})
        assert refused.status_code == 422


async def test_the_login_page_language_switch_needs_the_login_token(console) -> None:
    async with console.browser() as browser:
        token = hidden((await browser.get("/login")).text, "csrf_token")
        forged = await browser.post("/language", data={"language": "zh", "csrf_token": "wrong"})
        assert forged.headers["location"].startswith("/login?next=") and "rg_lang" not in browser.cookies
        switched = await browser.post("/language", data={"language": "zh", "csrf_token": token, "back": "/login"})
        assert switched.status_code == 303 and "登录" in (await browser.get("/login")).text
