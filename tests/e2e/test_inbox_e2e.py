"""The inbox and the reports through the real gateway: two tenants, reviews in six languages."""

from __future__ import annotations


from datetime import datetime, timedelta, timezone

import httpx

from tests.helpers import MARKETPLACE_OF, REVIEW_TEXTS, eventually, recent


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def reviews_of(tenant: str) -> list[dict]:
    """A 1★ and a 5★ review in each language; the texts are the same for both tenants."""
    return [
        {"platform": "amazon", "marketplace": MARKETPLACE_OF[lang], "external_id": f"{tenant}-{lang}-{stars}",
         "product_id": f"B0{lang.upper()}KETTLE", "product_line": "kettles", "rating": stars, "title": title,
         "body": body if stars == 1 else f"{title}. {body}", "posted_at": recent(hours=3), "order_id": f"{tenant}-{lang}-{stars}"}
        for lang, (title, body) in REVIEW_TEXTS.items() for stars in (1, 5)
    ]


async def test_each_tenant_searches_filters_and_reports_on_its_own_multilingual_reviews(system, api_keys, base_url) -> None:
    clients = {name: httpx.AsyncClient(base_url=base_url, headers=auth(key), timeout=10) for name, key in api_keys.items()}
    try:
        for name, api in clients.items():
            posted = await api.post("/v1/reviews", json={"reviews": reviews_of(name)})
            assert posted.status_code == 202, posted.text

        async def listed(api, **params) -> list[dict]:
            return (await api.get("/v1/reviews", params={"page_size": 500, **params})).json()["items"]

        for api in clients.values():
            await eventually(lambda api=api: _all(listed(api), 12), timeout=90)
        acme, globex = clients["acme"], clients["globex"]
        acme_ids = {r["id"] for r in await listed(acme)}
        globex_ids = {r["id"] for r in await listed(globex)}
        assert not acme_ids & globex_ids

        # Full text in the review's own script, every tenant seeing only its own copy.
        for needle, lang in (("裂缝", "zh"), ("蓋が割れて", "ja"), ("riss im gehäuse", "de"), ("le couvercle", "fr")):
            found = await listed(acme, q=needle)
            assert {r["language"] for r in found} == {lang} and {r["id"] for r in found} <= acme_ids, needle
            assert {r["id"] for r in await listed(globex, q=needle)} <= globex_ids
        assert {r["marketplace"] for r in await listed(acme, language="ja")} == {"JP"}
        assert all(r["rating"] <= 2 for r in await listed(acme, rating_lte=2)) and len(await listed(acme, rating_lte=2)) == 6

        # One-star reviews open cases; their state reaches the inbox from resolution's events.
        one_star = {r["id"] for r in await listed(acme, rating_lte=1)}

        async def cases_of_every_one_star():
            # NOTE: a 5★ review with a complaint's text may open a case too (its negative score is high).
            items = await listed(acme, has_case="true")
            return items if one_star <= {r["id"] for r in items} else None

        with_case = await eventually(cases_of_every_one_star, timeout=90)
        assert all(r["case_status"] and r["case_id"] for r in with_case), with_case
        assert {r["id"] for r in await listed(acme, case_status=with_case[0]["case_status"])} <= acme_ids

        # Pages of five, every review once; another tenant's token is refused.
        seen, token = [], None
        while True:
            body = (await acme.get("/v1/reviews", params={"page_size": 5, **({"page_token": token} if token else {})})).json()
            seen += [r["id"] for r in body["items"]]
            token = body["next_page_token"]
            if token is None:
                break
            foreign = await globex.get("/v1/reviews", params={"page_size": 5, "page_token": token})
            assert foreign.status_code == 400
        assert sorted(seen) == sorted(acme_ids)

        now = datetime.now(timezone.utc)
        window = {"from": (now - timedelta(days=1)).date().isoformat(), "to": (now + timedelta(days=2)).date().isoformat()}
        report = (await acme.get("/v1/reports/ratings", params={**window, "group_by": "marketplace", "time_zone": "Asia/Tokyo"})).json()
        assert sum(c["reviews"] for c in report["cells"]) == 12
        assert {c["key"]["marketplace"]: c["mean_rating"] for c in report["cells"]} == {MARKETPLACE_OF[lang]: 3.0 for lang in REVIEW_TEXTS}
        csv = await acme.get("/v1/reports/ratings", params={**window, "format": "csv"})
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")

        # Orders posted after their reviews: each review's carrier reaches the reports (orders.submitted).
        orders = [{"order_id": r["order_id"], "platform": "amazon", "marketplace": "DE", "fulfilment": "merchant",
                   "customer_id": f"c-{i}", "value": "20.00", "currency": "EUR", "delivered_at": recent(hours=30),
                   "carrier": "DHL" if r["rating"] == 1 else "UPS"} for i, r in enumerate(reviews_of("acme"))]
        assert (await acme.post("/v1/orders", json={"orders": orders})).status_code == 202

        async def by_carrier():
            cells = (await acme.get("/v1/reports/ratings", params={**window, "group_by": "carrier"})).json()["cells"]
            counts = {c["key"]["carrier"]: c["reviews"] for c in cells}
            return counts if counts == {"DHL": 6, "UPS": 6} else None

        await eventually(by_carrier, timeout=60)
        # The tenant's stored zone counts a report that names none; Kolkata's +5:30 included.
        assert (await acme.put("/v1/report-settings", json={"time_zone": "Asia/Kolkata"})).status_code == 200
        local = (await acme.get("/v1/reports/ratings", params={**window, "group_by": "marketplace"})).json()
        assert local["time_zone"] == "Asia/Kolkata" and all(c["period"].endswith("+05:30") for c in local["cells"])
        assert sum(c["reviews"] for c in local["cells"]) == 12
    finally:
        for api in clients.values():
            await api.aclose()


async def _all(listing, count: int):
    items = await listing
    return items if len(items) >= count else None


