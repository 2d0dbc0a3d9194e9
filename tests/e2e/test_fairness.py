"""Issue 12, end to end with every service its own process: one tenant's import never queues in
front of another tenant's fresh review. Judged by what was served, not by how long it took."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import asyncpg
import httpx

from services.gateway.tenants import provision_tenant
from services.launcher import LocalSystem
from tests.e2e.test_ingest_e2e import finished
from tests.helpers import eventually

IMPORT_ROWS = 4000
HEADER = ["Review ID", "ASIN", "Review Date", "Star Rating", "Title", "Review Text", "Reviewer Name", "Marketplace"]


def seller_history(rows: int) -> bytes:
    """A seller's past reviews (written for this test), a fifth of them 1-star."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for i in range(rows):
        bad = i % 5 == 0
        writer.writerow([
            f"PAST-{i}", f"B0BULK{i % 50:04d}", f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", "1" if bad else "5",
            "Kaputt" if bad else "Prima", f"Gerät {i} {'ging nach einer Woche kaputt' if bad else 'funktioniert einwandfrei'}.",
            f"Kunde {i}", "DE",
        ])  # fmt: skip
    return out.getvalue().encode()


async def test_a_fresh_1_star_review_is_alerted_before_another_tenants_import_has_drained(system: LocalSystem, base_url) -> None:
    tenant_a, key_a = await provision_tenant(system.dsn, "bulk-importer", pepper=system.api_key_pepper())
    _, key_b = await provision_tenant(system.dsn, "fresh-seller", pepper=system.api_key_pepper())
    async with (
        httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key_a}"}, timeout=60) as a,
        httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key_b}"}, timeout=30) as b,
    ):
        posted = await a.post("/v1/imports", files={"file": ("history.csv", seller_history(IMPORT_ROWS), "text/csv")}, data={"mapping": "amazon"})
        assert posted.status_code == 202, posted.text
        job = await finished(a, posted.json()["id"])
        assert (job["status"], job["created"]) == ("done", IMPORT_ROWS), "A's whole import is stored and its events queued"

        review = {
            "platform": "amazon", "marketplace": "FR", "external_id": "fresh-1", "product_id": "B0FRESH",
            "rating": 1, "title": "Arnaque", "body": "Produit contrefait, il a pris feu au premier usage.",
            "posted_at": datetime.now(timezone.utc).isoformat(),
        }  # fmt: skip
        review_id = (await b.post("/v1/reviews", json={"reviews": [review]})).json()["ids"][0]

        async def b_alerted():
            return [x for x in (await b.get("/v1/alerts")).json()["items"] if x["review_id"] == review_id]

        await eventually(b_alerted, timeout=120)
        conn = await asyncpg.connect(system.dsn)
        try:
            analysed_a = await conn.fetchval("SELECT count(*) FROM nlp.analyses WHERE tenant_id = $1", tenant_a)
        finally:
            await conn.close()
    # NOTE: B's review entered after all of A's; served first-come, it would have waited for them all.
    assert analysed_a < IMPORT_ROWS, f"B's alert came only after A's {IMPORT_ROWS} imported reviews were analysed"
    assert analysed_a < IMPORT_ROWS * 3 // 4, f"B's alert came after {analysed_a} of A's {IMPORT_ROWS} reviews"
