"""GET /v1/alert-policies answers each rule's status beside the policy (issue 13), over the real
alerting servicer and PostgreSQL; only the gRPC transport is left out."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

import httpx
from fastapi import FastAPI

from libs import db
from services.alerting import app as alerting_app
from services.alerting.grpc_api import AlertingServicer
from services.alerting.service import AlertingService
from services.gateway.dependencies import get_tenant
from services.gateway.routes import alerts


class _Direct:
    """The alerting stub's shape, calling the servicer in-process."""

    def __init__(self, servicer: AlertingServicer) -> None:
        self._servicer = servicer

    def __getattr__(self, name: str):
        method = getattr(self._servicer, name)
        return lambda request: method(request, None)


async def test_a_new_tenant_sees_insufficient_history_and_can_put_back_what_it_read(database_url: str) -> None:
    await db.migrate(database_url, schema=alerting_app.SCHEMA, directory=alerting_app.MIGRATIONS)
    pool = await db.create_pool(database_url, schema=alerting_app.SCHEMA)
    tenant = uuid.uuid4()
    try:
        service = AlertingService(pool=pool, clock=lambda: datetime(2026, 11, 16, 10, tzinfo=timezone.utc))
        app = FastAPI()
        app.include_router(alerts.router)
        app.state.backends = SimpleNamespace(alerting=_Direct(AlertingServicer(service)))
        app.dependency_overrides[get_tenant] = lambda: tenant
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as api:
            read = (await api.get("/v1/alert-policies")).json()
            assert read["status"]["rating_baseline"]["state"] == "insufficient_history"
            assert read["status"]["rating_baseline"]["min_history_reviews"] == 30
            assert read["status"]["negative_review"]["state"] == "active"
            assert "status" not in read["policy"] and read["policy"]["crisis"]["min_history_days"] == 14
            read["policy"]["crisis"]["min_history_days"] = 21
            stored = await api.put("/v1/alert-policies", json=read["policy"])
            assert stored.status_code == 200 and stored.json()["policy"]["crisis"]["min_history_days"] == 21
            assert (await api.get("/v1/alert-policies")).json()["status"]["crisis"]["min_history_days"] == 21
    finally:
        await pool.close()
