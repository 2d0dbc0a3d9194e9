"""The audit log: every change a person or a key makes is a row (who, route, target, when, outcome),
refused attempts included; reads are not; /v1/audit pages through them newest first."""

from __future__ import annotations

from tests.services.resolution.conftest import open_case


async def test_changes_by_a_person_and_by_a_key_are_recorded_with_who_what_and_outcome(gateway, workflow) -> None:
    tenant = await gateway.tenant()
    case = await open_case(workflow, str(tenant.id), marketplace="DE")
    manager = await gateway.person(tenant, "manager")
    viewer = await gateway.person(tenant, "viewer")
    lead, reader = await gateway.browser(tenant, manager["email"]), await gateway.browser(tenant, viewer["email"])

    assert (await lead.post(f"/v1/cases/{case.id}/transitions", json={"status": "assigned"})).status_code == 200
    assert (await lead.get(f"/v1/cases/{case.id}")).status_code == 200
    assert (await reader.post(f"/v1/cases/{case.id}/transitions", json={"status": "resolved"})).status_code == 403
    async with gateway.client(Authorization=f"Bearer {tenant.admin_key}") as admin:
        assert (await admin.patch(f"/v1/users/{viewer['id']}", json={"role": "agent"})).status_code == 200
        entries = (await admin.get("/v1/audit")).json()["items"]

    seen = [(e["actor"], e["method"], e["route"], e["target"], e["status"]) for e in entries]
    key = f"key:{tenant.admin_key[:8]}"
    assert (key, "PATCH", "/v1/users/{user_id}", f"user_id={viewer['id']}", 200) == seen[0]
    assert (f"user:{viewer['email']}", "POST", "/v1/cases/{case_id}/transitions", f"case_id={case.id}", 403) == seen[1]
    assert (f"user:{manager['email']}", "POST", "/v1/cases/{case_id}/transitions", f"case_id={case.id}", 200) == seen[2]
    # Signing in is recorded under the person; reads are not recorded at all.
    assert (f"user:{viewer['email']}", "POST", "/v1/session", f"user_id={viewer['id']}", 200) in seen
    assert not [s for s in seen if s[1] == "GET"]
    assert all(e["at"] for e in entries)


async def test_the_audit_log_pages_and_is_the_tenants_own(gateway) -> None:
    tenant, other = await gateway.tenant(), await gateway.tenant()
    async with gateway.client(Authorization=f"Bearer {tenant.admin_key}") as admin:
        for n in range(5):
            assert (await admin.post("/v1/users", json={"email": f"p{n}@acme.example", "role": "viewer"})).status_code == 201
        first = (await admin.get("/v1/audit", params={"page_size": 3})).json()
        second = (await admin.get("/v1/audit", params={"page_size": 3, "page_token": first["next_page_token"]})).json()
        assert len(first["items"]) == 3 and len(second["items"]) == 2 and second["next_page_token"] is None
        targets = [e["target"] for e in first["items"] + second["items"]]
        users = {u["email"]: u["id"] for u in (await admin.get("/v1/users")).json()["items"]}
        assert targets == [f"user_id={users[f'p{n}@acme.example']}" for n in reversed(range(5))]
        bad = await admin.get("/v1/audit", params={"page_token": "not-a-token"})
        assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "page_token"
    async with gateway.client(Authorization=f"Bearer {other.admin_key}") as stranger:
        assert (await stranger.get("/v1/audit")).json() == {"items": [], "next_page_token": None}
