"""API keys with scopes, made by `reviewguard tenant create --scopes`: a read key reads and changes
nothing; an unknown scope is refused by the CLI."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.services.gateway.people.conftest import PEPPER

CLI = [sys.executable, "-c", "import sys; from services.cli import main; sys.exit(main(sys.argv[1:]))", "tenant", "create"]


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "REVIEWGUARD_API_KEY_PEPPER": PEPPER}
    return subprocess.run(CLI + list(args), capture_output=True, text=True, env=env, timeout=120)


async def test_a_read_scoped_key_from_the_cli_reads_but_changes_nothing(gateway) -> None:
    tenant = await gateway.tenant()
    made = _cli(gateway.database_url, tenant.name, "--scopes", "read")
    assert made.returncode == 0, made.stderr
    key = next(line.split(": ", 1)[1] for line in made.stdout.splitlines() if line.startswith("api key: "))
    assert "scopes: read" in made.stdout
    async with gateway.client(Authorization=f"Bearer {key}") as reader:
        assert (await reader.get("/v1/teams")).status_code == 200
        refused = await reader.put("/v1/teams", json={"name": "DACH", "markets": ["DE"]})
        assert refused.status_code == 403 and "read" in refused.json()["detail"]
        assert (await reader.get("/v1/teams")).json()["items"] == []
        me = (await reader.get("/v1/session")).json()
        assert me["kind"] == "key" and me["scopes"] == ["read"] and key not in str(me)


def test_the_cli_refuses_an_unknown_scope(database_url) -> None:
    refused = _cli(database_url, "acme", "--scopes", "read,root")
    assert refused.returncode != 0 and "read, write, admin" in refused.stderr
