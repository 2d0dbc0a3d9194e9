"""Managing people: nobody hands out a role above their own, only an owner makes owners, the last
owner stays, nobody disables themselves; another tenant's users are out of reach."""

from __future__ import annotations


async def test_an_admin_cannot_make_or_manage_owners_and_an_owner_can(gateway) -> None:
    tenant = await gateway.tenant()
    owner = await gateway.person(tenant, "owner")
    admin_user = await gateway.person(tenant, "admin")
    admin = await gateway.browser(tenant, admin_user["email"])
    refused = await admin.post("/v1/users", json={"email": "boss@acme.example", "role": "owner"})
    assert refused.status_code == 403 and "owner" in refused.json()["detail"]
    assert (await admin.patch(f"/v1/users/{owner['id']}", json={"role": "viewer"})).status_code == 403
    assert (await admin.patch(f"/v1/users/{admin_user['id']}", json={"disabled": True})).status_code == 422
    users = {u["email"]: u for u in (await admin.get("/v1/users")).json()["items"]}
    assert "boss@acme.example" not in users and users[owner["email"]]["role"] == "owner"

    boss = await gateway.browser(tenant, owner["email"])
    assert (await boss.post("/v1/users", json={"email": "boss@acme.example", "role": "owner"})).status_code == 201


async def test_the_last_owner_cannot_be_demoted_or_disabled(gateway) -> None:
    tenant = await gateway.tenant()
    owner = await gateway.person(tenant, "owner")
    async with gateway.client(Authorization=f"Bearer {tenant.admin_key}") as key:
        demoted = await key.patch(f"/v1/users/{owner['id']}", json={"role": "admin"})
        assert demoted.status_code == 409 and "last owner" in demoted.json()["detail"]
        assert (await key.patch(f"/v1/users/{owner['id']}", json={"disabled": True})).status_code == 409
        second = await gateway.person(tenant, "owner")
        assert (await key.patch(f"/v1/users/{owner['id']}", json={"role": "admin"})).json()["role"] == "admin"
        assert second["role"] == "owner"


async def test_another_tenants_user_is_unknown_and_emails_are_one_per_tenant(gateway) -> None:
    tenant, other = await gateway.tenant(), await gateway.tenant()
    theirs = await gateway.person(other, "agent", email="li@acme.example")
    async with gateway.client(Authorization=f"Bearer {tenant.admin_key}") as key:
        assert (await key.patch(f"/v1/users/{theirs['id']}", json={"role": "viewer"})).status_code == 404
        assert (await key.post("/v1/users", json={"email": "LI@acme.example", "role": "agent"})).status_code == 201
        again = await key.post("/v1/users", json={"email": "li@acme.example ", "role": "agent"})
        assert again.status_code == 409
    async with gateway.client(Authorization=f"Bearer {other.admin_key}") as theirs_key:
        assert [u["role"] for u in (await theirs_key.get("/v1/users")).json()["items"]] == ["agent"]
