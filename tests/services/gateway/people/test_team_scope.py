"""An agent works on its team's markets only: team DE sees and acts on DE cases, never a US one."""

from __future__ import annotations

from tests.services.resolution.conftest import open_case


async def _teams(gateway, tenant) -> dict[str, str]:
    ids = {}
    async with gateway.client(Authorization=f"Bearer {tenant.admin_key}") as admin:
        for name, markets in (("DACH", ["DE", "AT"]), ("US", ["US"])):
            team = await admin.put("/v1/teams", json={"name": name, "markets": markets, "timezone": "Europe/Berlin"})
            assert team.status_code == 200, team.text
            ids[name] = team.json()["id"]
    return ids


async def test_an_agent_of_team_de_cannot_read_or_change_a_us_case(gateway, workflow) -> None:
    tenant = await gateway.tenant()
    teams = await _teams(gateway, tenant)
    de_case = await open_case(workflow, str(tenant.id), marketplace="DE")
    us_case = await open_case(workflow, str(tenant.id), marketplace="US")
    agent = await gateway.person(tenant, "agent", team=teams["DACH"])
    desk = await gateway.browser(tenant, agent["email"])

    listed = await desk.get("/v1/cases")
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [de_case.id]

    assert (await desk.get(f"/v1/cases/{de_case.id}")).status_code == 200
    refused = await desk.get(f"/v1/cases/{us_case.id}")
    assert refused.status_code == 403 and "US" in refused.json()["detail"]
    for path in ("events", "replies", "offers", "evidence", "evidence/pack"):
        assert (await desk.get(f"/v1/cases/{us_case.id}/{path}")).status_code == 403, path
    moved = await desk.post(f"/v1/cases/{us_case.id}/transitions", json={"status": "assigned"})
    assert moved.status_code == 403
    async with gateway.client(Authorization=f"Bearer {tenant.admin_key}") as admin:
        assert (await admin.get(f"/v1/cases/{us_case.id}")).json()["status"] == "new", "the refused change did not happen"
        # A manager (and a key) sees every market's cases.
        assert {c["id"] for c in (await admin.get("/v1/cases")).json()["items"]} == {de_case.id, us_case.id}
    assert (await desk.post(f"/v1/cases/{de_case.id}/transitions", json={"status": "assigned"})).status_code == 200

    manager = await gateway.person(tenant, "manager", team=teams["DACH"])
    lead = await gateway.browser(tenant, manager["email"])
    assert (await lead.get(f"/v1/cases/{us_case.id}")).status_code == 200


async def test_an_agent_without_a_team_sees_no_cases(gateway, workflow) -> None:
    tenant = await gateway.tenant()
    case = await open_case(workflow, str(tenant.id), marketplace="DE")
    agent = await gateway.person(tenant, "agent")
    desk = await gateway.browser(tenant, agent["email"])
    assert (await desk.get("/v1/cases")).json()["items"] == []
    assert (await desk.get(f"/v1/cases/{case.id}")).status_code == 403


async def test_a_user_is_put_only_on_a_team_the_tenant_has(gateway) -> None:
    tenant = await gateway.tenant()
    async with gateway.client(Authorization=f"Bearer {tenant.admin_key}") as admin:
        refused = await admin.post("/v1/users", json={"email": "ana@acme.example", "role": "agent", "team": "no-such-team"})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "team"
        assert (await admin.get("/v1/users")).json()["items"] == []
