"""Every list pages the same way (README, "Paging"): `page_size` + `page_token` in, `{"items",
"next_page_token"}` out, an altered token a 400 naming `page_token`, a page size over 500 a 422."""

from __future__ import annotations

from tests.services.gateway.conftest import TENANT
from tests.services.resolution.conftest import open_case


async def _all_pages(api, path: str, page_size: int) -> list[list[dict]]:
    pages, token = [], None
    while True:
        answer = await api.get(path, params={"page_size": page_size, **({"page_token": token} if token else {})})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {"items", "next_page_token"}
        pages.append(body["items"])
        token = body["next_page_token"]
        if token is None:
            return pages


async def test_a_list_the_service_answers_whole_pages_through_every_item_once(api) -> None:
    for n in range(5):
        assert (await api.put("/v1/teams", json={"name": f"team-{n}", "markets": ["DE"]})).status_code == 200
    whole = (await api.get("/v1/teams")).json()
    assert len(whole["items"]) == 5 and whole["next_page_token"] is None
    pages = await _all_pages(api, "/v1/teams", 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [t["id"] for p in pages for t in p] == [t["id"] for t in whole["items"]]


async def test_an_altered_or_foreign_page_token_is_a_400_on_every_list(api, workflow) -> None:
    case = await open_case(workflow, str(TENANT))
    for n in range(3):
        assert (await api.put("/v1/teams", json={"name": f"team-{n}", "markets": ["DE"]})).status_code == 200
    token = (await api.get("/v1/teams", params={"page_size": 1})).json()["next_page_token"]
    for path in ("/v1/teams", "/v1/agents", "/v1/cases", f"/v1/cases/{case.id}/events", f"/v1/cases/{case.id}/offers",
                 "/v1/review-requests", "/v1/knowledge"):
        for bad in ("x" + token[1:], "not-a-token", "LTE="):
            answer = await api.get(path, params={"page_token": bad})
            assert answer.status_code == 400, (path, bad, answer.text)
            assert answer.json()["errors"][0]["field"] == "page_token"
        too_big = await api.get(path, params={"page_size": 501})
        assert too_big.status_code == 422 and too_big.json()["errors"][0]["field"] == "page_size", (path, too_big.text)


async def test_a_case_sub_list_is_one_page_in_the_list_shape(api, workflow) -> None:
    case = await open_case(workflow, str(TENANT))
    for status in ("assigned", "contacted"):
        assert (await api.post(f"/v1/cases/{case.id}/transitions", json={"status": status})).status_code == 200
    events = (await api.get(f"/v1/cases/{case.id}/events")).json()
    assert events["next_page_token"] is None and len(events["items"]) >= 2
    pages = await _all_pages(api, f"/v1/cases/{case.id}/events", 1)
    assert [e["id"] for p in pages for e in p] == [e["id"] for e in events["items"]]
    assert (await api.get(f"/v1/cases/{case.id}/replies")).json() == {"items": [], "next_page_token": None}
