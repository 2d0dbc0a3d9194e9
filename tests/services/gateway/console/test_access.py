"""Who may open what in the console: nobody unsigned, and a viewer neither the desk nor alerts."""

from __future__ import annotations

import uuid

import pytest

from services.gateway.console.errors import FRAGMENT_HEADER
from tests.services.gateway.console.conftest import session_csrf

CASE, ALERT = uuid.uuid4(), uuid.uuid4()
PAGES = ["/inbox", "/inbox/rows", f"/reviews/{uuid.uuid4()}", "/cases", f"/cases/{CASE}", "/alerts", "/dashboard", "/dashboard/export?format=csv",
         f"/cases/{CASE}/evidence-pack"]
# The desk's actions: a viewer reads reviews and reports only (services/gateway/people/permissions.py).
VIEWER_REFUSED_GET = ["/cases", f"/cases/{CASE}", "/alerts", f"/cases/{CASE}/evidence-pack"]
VIEWER_REFUSED_POST = [f"/cases/{CASE}/reply", f"/cases/{CASE}/transition", f"/cases/{CASE}/assign", f"/cases/{CASE}/compliance",
                       f"/alerts/{ALERT}/acknowledge", f"/alerts/{ALERT}/resolve", "/inbox/assign"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
async def test_without_a_session_every_page_leads_to_the_login(console, path: str) -> None:
    async with console.browser() as browser:
        page = await browser.get(path)
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=%2F")
        fragment = await browser.get(path, headers={FRAGMENT_HEADER: "1"})
        assert fragment.status_code == 401


async def test_a_viewer_gets_the_403_page_for_the_desk_and_alerts_and_changes_nothing(console) -> None:
    async with console.browser() as browser:
        await console.sign_in(browser, "viewer@acme.example")
        for path in VIEWER_REFUSED_GET:
            page = await browser.get(path)
            assert page.status_code == 403 and "You may not see this" in page.text, path
        token = session_csrf(page.text)
        for path in VIEWER_REFUSED_POST:
            # NOTE: the backends are absent here: a refusal that reached them would be a 500, not a 403.
            acted = await browser.post(path, data={"csrf_token": token, "status": "resolved", "text": "hello"})
            assert acted.status_code == 403 and "You may not see this" in acted.text, path


async def test_bad_filter_values_are_refused_naming_the_field(console) -> None:
    async with console.browser() as browser:
        await console.sign_in(browser, "owner@acme.example")
        page = await browser.get("/inbox?rating_gte=9")
        assert page.status_code == 422 and "rating_gte" in page.text
        page = await browser.get("/cases?view=everything")
        assert page.status_code == 422 and "view" in page.text


def _viewer(role: str, team: str | None):
    from services.gateway.console.access import Viewer
    from services.gateway.console.rendering import Formats, zone_named
    from services.gateway.people.sessions import SignedIn

    signed_in = SignedIn(session_digest=b"d", csrf_token="t", user_id=uuid.uuid4(), tenant_id=uuid.uuid4(), email="a@acme.example",
                         role=role, team=team, locale="en", time_zone="UTC")  # fmt: skip
    return Viewer(signed_in=signed_in, formats=Formats(language="en", zone=zone_named("UTC")))


def test_an_agents_cases_are_its_teams_markets_and_a_manager_sees_every_market() -> None:
    from services.gateway.console.access import Forbidden

    teams = [{"id": "t1", "name": "DE", "markets": ["DE", "AT"]}, {"id": "t2", "name": "US", "markets": ["US"]}]
    agent = _viewer("agent", "DE")
    assert agent.team_markets(teams) == {"DE", "AT"}
    agent.require_market(teams, "at")
    with pytest.raises(Forbidden, match="does not handle the US market"):
        agent.require_market(teams, "US")
    # By id as well as by name; a team that is gone scopes to nothing rather than to everything.
    assert _viewer("agent", "t2").team_markets(teams) == {"US"}
    assert _viewer("agent", "gone").team_markets(teams) == frozenset()
    # The API's rule (people/guard.py): only agents are narrowed, and an agent without a team sees no cases.
    assert _viewer("manager", "DE").team_markets(teams) is None and _viewer("viewer", "DE").team_markets(teams) is None
    assert _viewer("agent", None).team_markets(teams) == frozenset()
