"""Review requests end to end, every service a process: an Amazon order posted to the gateway is
scheduled by resolution, sent by ingest through a local server speaking Amazon's Solicitations API,
and its outcome is read back from /v1/review-requests; a tenant without any sending source gets manual."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from services.launcher import LocalSystem
from tests.e2e.conftest import running_system
from tests.helpers import eventually
from tests.services.ingest.connectors.conftest import serve
from tests.services.ingest.connectors.test_amazon_sp import REFRESH, Amazon, settings

ORDER, OTHER = "302-7000001-0000001", "302-7000002-0000001"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, server_dir: Path) -> Iterator[LocalSystem]:
    # NOTE: resolution's round every second, so a due request leaves without waiting 30 s.
    with running_system(tmp_path_factory.mktemp("requests"), server_dir, resolution_tick_seconds=1.0) as local:
        yield local


def order(order_id: str, delivered: datetime) -> dict:
    return {"order_id": order_id, "platform": "amazon", "marketplace": "DE", "fulfilment": "platform", "customer_id": "A2WEBER",
            "product_name": "Wasserkocher", "value": "49.90", "currency": "EUR", "delivered_at": delivered.isoformat()}  # fmt: skip


async def test_an_amazon_order_is_solicited_and_the_outcome_readable(system, api_keys, base_url) -> None:
    amazon = Amazon(eligible={ORDER})
    delivered = datetime.now(timezone.utc) - timedelta(days=8)
    async with serve(amazon.routes()) as amazon_url, httpx.AsyncClient(base_url=base_url, timeout=20) as api:
        acme = {"Authorization": f"Bearer {api_keys['acme']}"}
        globex = {"Authorization": f"Bearer {api_keys['globex']}"}
        source = await api.post("/v1/sources", headers=acme, json={"kind": "amazon_sp", "name": "Acme EU", "settings": settings(amazon_url)})
        assert source.status_code == 201, source.text
        assert source.json()["status"] == "send_only" and REFRESH not in source.text
        bad = await api.post("/v1/sources", headers=acme, json={"kind": "amazon_sp", "name": "Broken", "settings": {"client_id": "x"}})
        assert bad.status_code == 422 and "client_secret" in bad.text and REFRESH not in bad.text

        for headers, order_id in ((acme, ORDER), (globex, OTHER)):
            posted = await api.post("/v1/orders", headers=headers, json={"orders": [order(order_id, delivered)]})
            assert posted.status_code == 202, posted.text

        async def outcome(headers: dict, status: str):
            return (await api.get("/v1/review-requests", headers=headers, params={"status": status})).json()["items"]

        (sent,) = await eventually(lambda: outcome(acme, "sent"), timeout=90, interval=0.5)
        (manual,) = await eventually(lambda: outcome(globex, "manual"), timeout=90, interval=0.5)
    assert (sent["order_id"], sent["route"], sent["platform_request_id"]) == (ORDER, "amazon_solicitations", f"{ORDER}/productReviewAndSellerFeedback")
    assert sent["sent_at"] and sent["outcome_at"]
    assert (manual["order_id"], manual["route"]) == (OTHER, "amazon_solicitations") and "Request a Review" in manual["status_detail"]
    assert manual["text"].startswith("Guten Tag"), "the localised text is ready to send by hand"
    assert amazon.solicited == [ORDER]
