"""API keys at the gateway (issue 18): peppered at rest, revoked within seconds, rate-limited per
key and quota'd per tenant; over real PostgreSQL and the gateway's own authentication dependency."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid

import httpx
import pytest
from fastapi import FastAPI

from libs import db
from services.gateway.api_keys import ApiKeys, KeyHasher
from services.gateway.dependencies import TenantDep
from services.gateway.rate_limits import RateLimits
from services.gateway.tenants import MIGRATIONS, SCHEMA, provision_tenant

PEPPER = "gateway-test-pepper-0001"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def pool(database_url: str):
    await db.migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await db.create_pool(database_url, schema=SCHEMA)
    yield pool
    await pool.close()


def gateway(pool, *, clock=None, per_key: str = "", daily_quota: int = 0) -> httpx.AsyncClient:
    """The real authentication dependency in front of one route that answers the caller's tenant."""
    app = FastAPI()

    # NOTE: a path of the rule table (services/gateway/people/permissions.py) open to any key:
    # a route without a rule is refused to everyone.
    @app.get("/v1/session")
    async def whoami(tenant: TenantDep) -> dict:
        return {"tenant": str(tenant)}

    app.state.api_keys = ApiKeys(pool=pool, hasher=KeyHasher(PEPPER), ttl=5.0, **({"clock": clock} if clock else {}))
    app.state.rate_limits = RateLimits(per_key=per_key, daily_quota=daily_quota)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_a_dump_of_the_keys_table_does_not_reveal_a_chosen_key(database_url: str, pool) -> None:
    chosen = "demo-key-everyone-guesses"
    tenant, _ = await provision_tenant(database_url, f"t-{uuid.uuid4()}", chosen, pepper=PEPPER)
    async with pool.acquire() as conn:
        stored = await conn.fetchval("SELECT key_hash FROM api_keys WHERE tenant_id = $1", tenant)
    assert stored != hashlib.sha256(chosen.encode()).digest(), "a guess hashed offline must not match the dump"
    async with gateway(pool) as api:
        assert (await api.get("/v1/session", headers=bearer(chosen))).json() == {"tenant": str(tenant)}
        wrong = await api.get("/v1/session", headers=bearer(chosen + "x"))
        assert wrong.status_code == 401 and chosen not in wrong.text


async def test_a_key_stored_before_the_pepper_still_works_and_is_rehashed(pool) -> None:
    key, tenant = "rg_" + uuid.uuid4().hex, uuid.uuid4()
    async with pool.acquire() as conn:
        await conn.execute("INSERT INTO tenants (id, name) VALUES ($1, $2)", tenant, f"old-{tenant}")
        await conn.execute("INSERT INTO api_keys (tenant_id, key_hash, key_prefix) VALUES ($1, $2, $3)",
                           tenant, hashlib.sha256(key.encode()).digest(), key[:8])
    async with gateway(pool) as api:
        assert (await api.get("/v1/session", headers=bearer(key))).status_code == 200
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT key_hash, hash_kind FROM api_keys WHERE tenant_id = $1", tenant)
    assert row["hash_kind"] == "hmac" and row["key_hash"] == KeyHasher(PEPPER).digest(key)


async def test_a_revoked_key_stops_working_within_the_cache_time(database_url: str, pool) -> None:
    clock = Clock()
    tenant, key = await provision_tenant(database_url, f"t-{uuid.uuid4()}", pepper=PEPPER)
    env = {**os.environ, "DATABASE_URL": database_url, "REVIEWGUARD_API_KEY_PEPPER": PEPPER}
    async with gateway(pool, clock=clock) as api:
        assert (await api.get("/v1/session", headers=bearer(key))).status_code == 200
        revoked = subprocess.run(
            [sys.executable, "-c", "import sys; from services.cli import main; sys.exit(main(sys.argv[1:]))", "tenant", "revoke-key"],
            input=key + "\n", capture_output=True, text=True, env=env, timeout=60,
        )
        assert revoked.returncode == 0, revoked.stderr
        assert key not in revoked.stdout, "the CLI names the key by its prefix only"
        clock.now += 4.0
        assert (await api.get("/v1/session", headers=bearer(key))).status_code == 200, "still cached"
        clock.now += 1.5
        assert (await api.get("/v1/session", headers=bearer(key))).status_code == 401, "refused within 5 s of the revocation"


async def test_a_key_over_its_rate_gets_429_with_retry_after_and_others_go_on(database_url: str, pool) -> None:
    name = f"t-{uuid.uuid4()}"
    _, first = await provision_tenant(database_url, name, pepper=PEPPER)
    _, second = await provision_tenant(database_url, name, pepper=PEPPER)
    async with gateway(pool, per_key="3/minute") as api:
        answers = [(await api.get("/v1/session", headers=bearer(first))).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        refused = await api.get("/v1/session", headers=bearer(first))
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "rate limit" in refused.json()["detail"]
        assert (await api.get("/v1/session", headers=bearer(second))).status_code == 200, "the limit is the key's, not the tenant's"


async def test_a_tenant_over_its_daily_quota_is_refused_on_every_key(database_url: str, pool) -> None:
    name = f"t-{uuid.uuid4()}"
    _, first = await provision_tenant(database_url, name, pepper=PEPPER)
    _, second = await provision_tenant(database_url, name, pepper=PEPPER)
    _, other_tenant = await provision_tenant(database_url, f"t-{uuid.uuid4()}", pepper=PEPPER)
    async with gateway(pool, daily_quota=3) as api:
        for key in (first, second, first):
            assert (await api.get("/v1/session", headers=bearer(key))).status_code == 200
        over = await api.get("/v1/session", headers=bearer(second))
        assert over.status_code == 429 and "daily quota" in over.json()["detail"] and int(over.headers["Retry-After"]) > 0
        assert (await api.get("/v1/session", headers=bearer(other_tenant))).status_code == 200


async def test_the_gateway_refuses_to_start_without_a_pepper(database_url: str) -> None:
    from libs.settings import Settings
    from services.gateway.app import create_app

    app = create_app(Settings(database_url=database_url, api_key_pepper=None))
    with pytest.raises(RuntimeError, match="REVIEWGUARD_API_KEY_PEPPER"):
        async with app.router.lifespan_context(app):
            pass
    with pytest.raises(ValueError, match="at least 16"):
        KeyHasher("short")
