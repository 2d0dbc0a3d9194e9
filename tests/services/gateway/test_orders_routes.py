"""POST /v1/orders takes each order's carrier (the reports' carrier dimension); an over-long one is a 422 naming it."""

from __future__ import annotations

from tests.services.gateway.conftest import TENANT
from tests.services.gateway.test_cases_routes import ORDER


async def test_an_orders_carrier_is_stored_and_an_overlong_one_refused(api, pool) -> None:
    refused = await api.post("/v1/orders", json={"orders": [{**ORDER, "carrier": "x" * 65}]})
    assert refused.status_code == 422 and "carrier" in refused.json()["errors"][0]["field"], refused.text
    posted = await api.post("/v1/orders", json={"orders": [{**ORDER, "carrier": "DHL"}]})
    assert posted.status_code == 202, posted.text
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT order_id, carrier FROM orders WHERE tenant_id = $1", TENANT)
    assert [(r["order_id"], r["carrier"]) for r in rows] == [(ORDER["order_id"], "DHL")]
