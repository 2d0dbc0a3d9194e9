"""Every route of the gateway's OpenAPI document, called as each role and as a key of each scope:
the answer is the rule table's (403 where it refuses, never 401 or 403 where it allows), no route
lacks a rule, and nothing answers a 500."""

from __future__ import annotations

import uuid

import pytest

from services.gateway.dependencies import TenantDep
from services.gateway.people.permissions import ROLES, SCOPES, Access, access_for, role_allows, scopes_allow
from tests.services.resolution.conftest import open_case

METHODS = ("get", "put", "post", "patch", "delete")


def _operations(document: dict, case_id: str) -> list[tuple[str, str, str]]:
    """(method, route template, a URL to call), signing out last (it ends the caller's session)."""
    found = []
    for template, item in document["paths"].items():
        url = template
        for method in METHODS:
            if method not in item:
                continue
            for parameter in item[method].get("parameters", []):
                if parameter["in"] == "path":
                    schema = parameter.get("schema", {})
                    value = case_id if parameter["name"] == "case_id" else (str(uuid.uuid4()) if schema.get("format") == "uuid" else "x")
                    url = url.replace("{" + parameter["name"] + "}", value)
            found.append((method.upper(), template, url))
    return sorted(found, key=lambda op: (op[1] == "/v1/session" and op[0] == "DELETE", op[1], op[0]))


def test_every_route_has_a_rule(gateway) -> None:
    missing = [f"{m} {t}" for m, t, _ in _operations(gateway.app.openapi(), "x") if access_for(m, t) is None]
    assert not missing, f"routes without an access rule (refused to everyone): {missing}"


async def _callers(gateway, tenant, team_id: str) -> dict[str, tuple[object, callable]]:
    """name -> (an HTTP client acting as it, whether it may pass a rule)."""
    callers = {}
    for role in ROLES:
        user = await gateway.person(tenant, role, team=team_id)
        callers[f"role:{role}"] = (await gateway.browser(tenant, user["email"]), lambda access, r=role: role_allows(r, access))
    for scope in SCOPES:
        key = await gateway.key(tenant, (scope,))
        client = gateway.client(Authorization=f"Bearer {key}")
        gateway.browsers.append(client)
        callers[f"key:{scope}"] = (client, lambda access, s=scope: scopes_allow(frozenset({s}), access))
    return callers


async def test_each_role_and_scope_gets_the_rule_tables_answer_on_every_route(gateway, workflow) -> None:
    tenant = await gateway.tenant()
    async with gateway.client(Authorization=f"Bearer {tenant.admin_key}") as admin:
        team = await admin.put("/v1/teams", json={"name": "DACH", "markets": ["DE"], "timezone": "Europe/Berlin"})
    case = await open_case(workflow, str(tenant.id), marketplace="DE")
    operations = [op for op in _operations(gateway.app.openapi(), case.id) if access_for(op[0], op[1]) is not Access.PUBLIC]
    callers = await _callers(gateway, tenant, team.json()["id"])
    wrong = []
    async with gateway.client() as anonymous:
        for method, template, url in operations:
            answer = await anonymous.request(method, url)
            if answer.status_code != 401:
                wrong.append(f"anonymous {method} {template}: {answer.status_code}, not 401")
    for name, (client, allows) in callers.items():
        for method, template, url in operations:
            allowed = allows(access_for(method, template))
            answer = await client.request(method, url)
            if answer.status_code >= 500 and answer.status_code != 503:
                wrong.append(f"{name} {method} {template}: {answer.status_code} {answer.text[:200]}")
            elif answer.status_code == 503 and "retry-after" not in answer.headers:
                wrong.append(f"{name} {method} {template}: 503 without Retry-After")
            elif not allowed and answer.status_code != 403:
                wrong.append(f"{name} {method} {template}: {answer.status_code}, the table refuses it")
            elif allowed and answer.status_code in (401, 403):
                wrong.append(f"{name} {method} {template}: {answer.status_code} {answer.text[:120]}, the table allows it")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ["owner", "viewer"])
async def test_a_route_without_a_rule_is_refused_even_to_an_owner(gateway, role) -> None:
    tenant = await gateway.tenant()
    user = await gateway.person(tenant, role)
    browser = await gateway.browser(tenant, user["email"])

    @gateway.app.get("/v1/forgotten-in-the-table")
    async def forgotten(tenant: TenantDep) -> dict:
        return {"tenant": str(tenant)}

    try:
        answer = await browser.get("/v1/forgotten-in-the-table")
        assert answer.status_code == 403 and "no access rule" in answer.json()["detail"]
        async with gateway.client(Authorization=f"Bearer {tenant.admin_key}") as admin:
            assert (await admin.get("/v1/forgotten-in-the-table")).status_code == 403
    finally:
        gateway.app.router.routes.pop()
