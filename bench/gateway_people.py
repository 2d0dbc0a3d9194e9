"""`python -m bench.gateway_people`: what people's checks add to a gateway request.

In one process against embedded PostgreSQL, the real gateway app over httpx's ASGI transport, one
request at a time (the cost per request, not throughput):

- `GET /v1/audit?page_size=1` with an API key (verified once, then cached: the baseline) and with a
  session cookie (the session's row is read on every request: what a person pays);
- `PATCH /v1/users/{id}` with the audit middleware (one more INSERT per change) and, the baseline,
  the same app built without it;
- `POST /v1/session`: a sign-in, dominated by argon2id on purpose.

Figures (median and p95 ms per request) go to bench/results/gateway_people.json.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from libs.embedded import EmbeddedPostgres, ensure_database
from libs.settings import Settings
from services.gateway.app import create_app
from services.gateway.people.audit import AuditTrail
from services.gateway.tenants import provision_tenant

RESULTS = Path(__file__).parent / "results" / "gateway_people.json"
PEPPER = "bench-people-pepper-0001"
REQUESTS = 400
SIGN_INS = 20
PASSWORD = "correct horse battery"


def _figures(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {"requests": len(samples), "median_ms": round(statistics.median(samples) * 1000, 3),
            "p95_ms": round(samples[int(len(samples) * 0.95) - 1] * 1000, 3)}  # fmt: skip


async def _timed(call, n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        answer = await call()
        times.append(time.perf_counter() - start)
        assert answer.status_code < 300, answer.text
    return times


async def _run(dsn: str, *, audited: bool) -> dict:
    settings = Settings(database_url=dsn, api_key_pepper=PEPPER, rate_limit_per_key="", daily_quota_per_tenant=0, api_key_cache_seconds=60)
    app = create_app(settings)
    if not audited:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not AuditTrail]
    results = {}
    async with app.router.lifespan_context(app):
        name = f"bench-{uuid.uuid4().hex[:6]}"
        _, key = await provision_tenant(dsn, name, pepper=PEPPER)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://gateway",
                                     headers={"Authorization": f"Bearer {key}"}) as api:  # fmt: skip
            invited = (await api.post("/v1/users", json={"email": "ana@acme.example", "role": "admin"})).json()
            await api.post("/v1/invitations/accept", json={"token": invited["token"], "password": PASSWORD})
            target = (await api.post("/v1/users", json={"email": "bo@acme.example", "role": "viewer"})).json()["user"]["id"]
            roles = iter(["agent", "viewer"] * REQUESTS)
            results["patch_user_key"] = _figures(await _timed(lambda: api.patch(f"/v1/users/{target}", json={"role": next(roles)}), REQUESTS))
            if not audited:
                return results
            results["get_audit_key"] = _figures(await _timed(lambda: api.get("/v1/audit", params={"page_size": 1}), REQUESTS))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://gateway") as browser:
            body = {"tenant": name, "email": "ana@acme.example", "password": PASSWORD}
            results["sign_in"] = _figures(await _timed(lambda: browser.post("/v1/session", json=body), SIGN_INS))
            results["get_audit_cookie"] = _figures(await _timed(lambda: browser.get("/v1/audit", params={"page_size": 1}), REQUESTS))
    return results


async def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-people-"))
    root.chmod(0o755)
    pg = EmbeddedPostgres(root / "pg", delete_on_stop=True)
    try:
        dsn = await ensure_database(pg.start(), "bench")
        audited = await _run(dsn, audited=True)
        baseline = await _run(dsn, audited=False)
    finally:
        pg.stop()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    report = {
        "commit": commit,
        "session_cookie": {"get_audit_cookie": audited["get_audit_cookie"], "baseline_get_audit_key": audited["get_audit_key"]},
        "audit_trail": {"patch_user_audited": audited["patch_user_key"], "baseline_patch_user_unaudited": baseline["patch_user_key"]},
        "sign_in_argon2": audited["sign_in"],
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
