"""Tenancy end to end: every id taken from a request is checked against the caller's tenant.

Tenant A (acme) makes one of everything that has an id. Tenant B (globex) then calls EVERY operation of
the OpenAPI that takes an id in its path, and the operations taking ids in the body or query, with A's
ids and a valid body. Each answer must be a 404 (path ids) or, for body and query ids, the very answer B
gets with a random UUID in that place; and no answer may carry A's data. Afterwards A's things are as
they were.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections import Counter

import httpx

from libs.settings import Settings
from services.gateway.app import create_app
from tests.e2e.test_ingest_e2e import export
from tests.helpers import eventually, recent

MARK = f"acmesecret{uuid.uuid4().hex[:8]}"  # in every text A writes; B must never see it


def one_star(tag: str, **changes) -> dict:
    return {
        "platform": "amazon", "marketplace": "DE", "external_id": f"{tag}-{uuid.uuid4().hex[:10]}", "product_id": "B0TENANT01",
        "rating": 1, "title": f"Kaputt {MARK}", "body": f"Der Wasserkocher kam mit einem Riss an. Betrug! {MARK}",
        "posted_at": recent(), **changes,
    }


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def case_of(api: httpx.AsyncClient, review_id: str) -> dict:
    async def opened():
        return (await api.get("/v1/cases", params={"review_id": review_id})).json()["items"]

    (case,) = await eventually(opened, timeout=60)
    return case


OFFER = {"option": "reship_with_discount", "cost": "103.39", "currency": "EUR", "usd_rate": "1.08", "actor": "jonas", "detail": f"reship {MARK}"}
REPLY = {"text": f"Das tut uns leid, wir senden Ersatz. {MARK}"}
EVIDENCE = {"kind": "order", "content": {"order_id": "302-1", "note": MARK}, "source": f"sp-api-{MARK}", "description": MARK}
RECEIVER = {"config": {"kind": "webhook", "url": f"http://127.0.0.1:9/{MARK}", "secret": f"s-{MARK}"}}
SILENCE = {"matchers": [f"product_id=B0{MARK}"], "ends_at": "2099-01-01T00:00:00Z", "comment": MARK, "created_by": f"{MARK}@acme"}
MAIL_RECEIVER = {"config": {"kind": "email", "host": "127.0.0.1", "port": 9, "security": "none", "from_address": f"rg-{MARK}@acme.example",
                            "to": [f"ops-{MARK}@acme.example"]}}
SCHEDULE = {"kind": "service", "grain": "week", "formats": ["pdf"], "recipients": [f"cs-{MARK}@acme.example"],
            "time_zone": "Europe/Berlin", "send_time": "09:00", "day": 1}
SOURCE = {"kind": "trustpilot", "name": f"tp {MARK}", "webhook_secret": f"whsec-{MARK}",
          "settings": {"business_unit_id": "5d8b2c1e9f0a4b0001a2b3c4", "api_key": f"k-{MARK}", "base_url": "http://127.0.0.1:9"}}


async def make_tenant_a(api: httpx.AsyncClient) -> dict:
    """One of everything of A's that has an id; returns the ids and the texts that must stay A's."""
    team = (await api.put("/v1/teams", json={"name": f"dach-{MARK}", "markets": ["DE"], "timezone": "Europe/Berlin",
                                            "work_start": "00:00", "work_end": "23:59", "work_days": [0, 1, 2, 3, 4, 5, 6]})).json()
    agent = await api.put("/v1/agents", json={"name": f"jonas-{MARK}", "team_id": team["id"], "languages": ["de"], "skills": ["damaged"]})
    assert agent.status_code == 200, agent.text
    posted = await api.post("/v1/reviews", json={"reviews": [one_star("A1"), one_star("A2", rating=4, title=f"Ok {MARK}")]})
    assert posted.status_code == 202, posted.text
    review_id, review2_id = posted.json()["ids"]
    imported = await api.post("/v1/imports", files={"file": ("acme.csv", export(f"T{MARK}"), "text/csv")}, data={"mapping": "amazon"})
    assert imported.status_code == 202, imported.text
    source = await api.post("/v1/sources", json=SOURCE)
    assert source.status_code == 201, source.text
    receiver = await api.put(f"/v1/alert-receivers/ops-{MARK}", json=RECEIVER)
    assert receiver.status_code == 200, receiver.text
    silence = await api.post("/v1/silences", json=SILENCE)
    assert silence.status_code == 201, silence.text
    mail = await api.put(f"/v1/alert-receivers/mail-{MARK}", json=MAIL_RECEIVER)
    assert mail.status_code == 200, mail.text
    schedule = await api.post("/v1/report-schedules", json={**SCHEDULE, "receiver": f"mail-{MARK}"})
    assert schedule.status_code == 201, schedule.text
    user = await api.post("/v1/users", json={"email": f"ana-{MARK}@acme.example", "role": "agent", "team": team["id"]})
    assert user.status_code == 201, user.text

    case = await case_of(api, review_id)
    cid = case["id"]
    patched = await api.patch(f"/v1/cases/{cid}", json={"issue_type": "damaged", "customer_id": f"cust-{MARK}"})
    assert patched.status_code == 200, patched.text
    reply = await api.post(f"/v1/cases/{cid}/replies", json=REPLY)
    assert reply.status_code == 201, reply.text
    offer = await api.post(f"/v1/cases/{cid}/offers", json=OFFER)
    assert offer.status_code == 201 and offer.json()["status"] == "pending_approval", offer.text
    assert (await api.post(f"/v1/cases/{cid}/evidence", json=EVIDENCE)).status_code == 201
    (alert,) = (await api.get("/v1/alerts", params={"review_id": review_id})).json()["items"]

    async def in_backlog():
        items = (await api.get("/v1/backlog", params={"page_size": 500})).json()["items"]
        return [i for i in items if i["product_id"] == "B0KETTLE01"]

    backlog = (await eventually(in_backlog, timeout=30))[0]

    async def indexed():  # resolution has heard of the second review (it knows the tenant's reviews)
        ok = await api.post("/v1/rating-changes", json={"review_id": review2_id, "old_rating": 4, "new_rating": 5})
        return ok if ok.status_code == 200 else None

    assert (await eventually(indexed, timeout=30)).json()["recorded"] is True
    return {
        "review_id": review_id, "review2_id": review2_id, "alert_id": alert["id"], "case_id": cid, "offer_id": offer.json()["id"],
        "import_id": imported.json()["id"], "source_id": source.json()["id"], "name": f"ops-{MARK}", "silence_id": silence.json()["id"],
        "schedule_id": schedule.json()["id"], "reply_id": reply.json()["id"], "user_id": user.json()["user"]["id"],
        "agent_id": agent.json()["id"], "team_id": team["id"], "backlog_review_id": backlog["review_id"], "kind": "trustpilot",
    }


# Each operation with a path parameter: its JSON body (reused from what A sent) or None. Ids are filled in
# from the path's {names}; everything in A's ids is A's.
PATH_OPERATIONS: dict[tuple[str, str], dict | None] = {
    ("GET", "/v1/reviews/{review_id}"): None,
    ("GET", "/v1/reviews/{review_id}/history"): None,
    ("GET", "/v1/alerts/{alert_id}"): None,
    ("POST", "/v1/alerts/{alert_id}/acknowledge"): {"actor": "mallory@globex"},
    ("POST", "/v1/alerts/{alert_id}/resolve"): {"actor": "mallory@globex"},
    ("GET", "/v1/cases/{case_id}"): None,
    ("PATCH", "/v1/cases/{case_id}"): {"issue_type": "quality", "customer_id": "mallory", "order_id": "302-9999999-9999999"},
    ("POST", "/v1/cases/{case_id}/transitions"): {"status": "resolved", "reason": "customer_satisfied", "note": "mallory"},
    ("GET", "/v1/cases/{case_id}/events"): None,
    ("POST", "/v1/cases/{case_id}/assign"): None,
    ("POST", "/v1/cases/{case_id}/replies"): {"text": "Wir senden Ersatz."},
    ("GET", "/v1/cases/{case_id}/replies"): None,
    ("PATCH", "/v1/cases/{case_id}/replies/{reply_id}"): {"text": "Mallory was here."},
    ("DELETE", "/v1/cases/{case_id}/replies/{reply_id}"): None,
    ("POST", "/v1/cases/{case_id}/compensation/recommendation"): {"issue": "damaged", "order_value": "89.90", "currency": "EUR", "usd_rate": "1.08"},
    ("POST", "/v1/cases/{case_id}/offers"): {**OFFER, "detail": "mallory"},
    ("GET", "/v1/cases/{case_id}/offers"): None,
    ("POST", "/v1/cases/{case_id}/offers/{offer_id}/approve"): {"approver": "mallory@globex"},
    ("POST", "/v1/cases/{case_id}/offers/{offer_id}/decision"): {"decision": "declined", "actor": "mallory"},
    ("GET", "/v1/cases/{case_id}/evidence/pack"): None,
    ("POST", "/v1/cases/{case_id}/appeal"): {"facts": ["abusive_language"], "actions": ["contacted_buyer"], "seller_name": "Mallory"},
    ("POST", "/v1/cases/{case_id}/evidence"): {"kind": "order", "content": {"order_id": "302-9"}, "source": "mallory"},
    ("GET", "/v1/cases/{case_id}/evidence"): None,
    ("GET", "/v1/cases/{case_id}/evidence/verify"): None,
    ("DELETE", "/v1/alert-receivers/{name}"): None,
    ("PUT", "/v1/alert-receivers/{name}"): {"config": {"kind": "webhook", "url": "http://127.0.0.1:9/globex", "secret": "globex-webhook-secret-01"}},
    ("DELETE", "/v1/silences/{silence_id}"): None,
    ("DELETE", "/v1/report-schedules/{schedule_id}"): None,
    ("PATCH", "/v1/users/{user_id}"): {"role": "viewer", "disabled": True},
    ("GET", "/v1/imports/{import_id}"): None,
    ("GET", "/v1/sources/{source_id}"): None,
    ("PATCH", "/v1/sources/{source_id}"): {"name": "mallory", "status": "paused"},
    ("DELETE", "/v1/sources/{source_id}"): None,
    ("POST", "/v1/webhooks/{kind}/{source_id}"): {"events": [{"eventName": "service-review-created", "eventData": {
        "id": "tp-mallory", "language": "de", "title": "x", "text": "Fake", "stars": 1, "createdAt": recent(), "consumer": {"id": "m"}}}]},
    ("POST", "/v1/agents/{agent_id}/away"): {"away": True},
}
# A receiver is named by its tenant: B's PUT of the same name makes B's own receiver, exactly as with a
# name nobody uses; the webhook names its tenant by the source id (no API key), so A's id must answer as
# an unknown one does. These are compared with a random id instead of expecting 404.
LIKE_RANDOM = {("PUT", "/v1/alert-receivers/{name}"), ("POST", "/v1/webhooks/{kind}/{source_id}")}


def body_operations(a: dict) -> list[tuple[str, str, dict, dict, str]]:
    """(method, path, json body, query, A's id in it) for the ids taken from bodies and queries."""
    return [
        ("POST", "/v1/rating-changes", {"review_id": a["review2_id"], "old_rating": 4, "new_rating": 1}, {}, a["review2_id"]),
        ("POST", "/v1/backlog/promote", {"review_ids": [a["backlog_review_id"]], "actor": "mallory"}, {}, a["backlog_review_id"]),
        ("PUT", "/v1/agents", {"name": "mallory", "team_id": a["team_id"], "languages": ["de"]}, {}, a["team_id"]),
        ("POST", "/v1/users", {"email": "mallory@globex.example", "role": "agent", "team": a["team_id"]}, {}, a["team_id"]),
        ("GET", "/v1/alerts", None, {"review_id": a["review_id"]}, a["review_id"]),
        ("GET", "/v1/cases", None, {"review_id": a["review_id"]}, a["review_id"]),
        ("GET", "/v1/rating-changes", None, {"review_id": a["review2_id"]}, a["review2_id"]),
    ]


def normalised(response: httpx.Response, sent: set[str]) -> tuple[int, str]:
    """Status and body with the ids B sent written as <id>, so A's id and a random one compare equal."""
    text = response.text
    for value in sorted(sent, key=len, reverse=True):
        text = text.replace(value, "<id>")
    return response.status_code, text


def leaks(response: httpx.Response, a: dict, sent: set[str]) -> list[str]:
    """A's texts, or ids of A's that B did not send, found in an answer to B."""
    text = response.text
    for value in sent:  # what B sent may come back (a name in "not found"); nothing else of A's may
        text = text.replace(value, "")
    found = [f"text {MARK}"] if MARK in text else []
    found += [f"id {v}" for k, v in a.items() if k != "kind" and v not in sent and v in text]
    return found


async def call(api: httpx.AsyncClient, method: str, path: str, body, params=None) -> httpx.Response:
    if path.startswith("/v1/webhooks/"):
        return await api.request(method, path, content=json.dumps(body).encode(), headers={"Authorization": ""})
    return await api.request(method, path, json=body, params=params)


async def snapshot(api: httpx.AsyncClient, a: dict) -> dict:
    """What tenant B must not change of A's."""
    cid = a["case_id"]
    case = (await api.get(f"/v1/cases/{cid}")).json()
    alert = (await api.get(f"/v1/alerts/{a['alert_id']}")).json()
    review = (await api.get(f"/v1/reviews/{a['review_id']}")).json()
    source = (await api.get(f"/v1/sources/{a['source_id']}")).json()
    return {
        "case": {k: case[k] for k in ("status", "owner", "issue_type", "customer_id", "order_id", "language")},
        "events": [e["kind"] for e in (await api.get(f"/v1/cases/{cid}/events")).json()["items"]],
        "alert": {k: alert[k] for k in ("status", "acknowledged_at", "acknowledged_by", "resolved_at", "case_id")},
        "review": (review["rating"], review["title"], review["body"]),
        "history": len((await api.get(f"/v1/reviews/{a['review_id']}/history")).json()["versions"]),
        "offers": [(o["id"], o["status"]) for o in (await api.get(f"/v1/cases/{cid}/offers")).json()["items"]],
        "replies": [(r["text"], r["deleted"]) for r in (await api.get(f"/v1/cases/{cid}/replies")).json()["items"]],
        "evidence": len((await api.get(f"/v1/cases/{cid}/evidence")).json()["items"]),
        "intact": (await api.get(f"/v1/cases/{cid}/evidence/verify")).json()["intact"],
        "receivers": [(r["name"], r["config"].get("url")) for r in (await api.get("/v1/alert-receivers")).json()["items"]],
        "silences": [s["id"] for s in (await api.get("/v1/silences")).json()["items"]],
        "schedules": [s["id"] for s in (await api.get("/v1/report-schedules")).json()["items"]],
        "users": [(u["id"], u["role"], u["team"], u["disabled"]) for u in (await api.get("/v1/users")).json()["items"]],
        "source": (source["name"], source["status"], source["has_webhook_secret"]),
        "import": (await api.get(f"/v1/imports/{a['import_id']}")).json()["status"],
        "agents": [(g["id"], g["name"], g["away"], g["team_id"]) for g in (await api.get("/v1/agents")).json()["items"]],
        "backlog": a["backlog_review_id"] in {i["review_id"] for i in (await api.get("/v1/backlog", params={"page_size": 500})).json()["items"]},
        "rating_changes": (await api.get("/v1/rating-changes", params={"review_id": a["review2_id"]})).json()["items"],
    }


async def test_another_tenants_ids_are_404_everywhere_and_change_nothing(system, api_keys, base_url) -> None:
    spec = create_app(Settings()).openapi()
    with_params = {(m.upper(), p) for p, ops in spec["paths"].items() if "{" in p for m in ops}
    assert with_params == set(PATH_OPERATIONS), "every operation with a path parameter is walked"

    async with (
        httpx.AsyncClient(base_url=base_url, headers=auth(api_keys["acme"]), timeout=20) as acme,
        httpx.AsyncClient(base_url=base_url, headers=auth(api_keys["globex"]), timeout=20) as globex,
    ):
        b_review = (await globex.post("/v1/reviews", json={"reviews": [one_star("B1", title="Kaputt", body="Kaputt angekommen.")]})).json()["ids"][0]
        a = await make_tenant_a(acme)
        b_case = (await case_of(globex, b_review))["id"]
        # Let the import finish and the case settle (assignment, SLA) before taking A's picture.
        await eventually(lambda: _import_done(acme, a["import_id"]), timeout=30)
        await asyncio.sleep(1.0)
        before = await snapshot(acme, a)

        results: list[tuple[str, str, str, str]] = []  # (operation, where, outcome, detail)

        for (method, template), body in PATH_OPERATIONS.items():
            names = re.findall(r"{(\w+)}", template)
            path = template.format(**{n: a[n] for n in names})
            sent = {a[n] for n in names}
            random_ids = {n: ("trustpilot" if n == "kind" else f"rnd-{uuid.uuid4().hex[:8]}" if n == "name" else str(uuid.uuid4())) for n in names}
            got = await call(globex, method, path, body)
            random = await call(globex, method, template.format(**random_ids), body)
            wanted = "as random" if (method, template) in LIKE_RANDOM else "404"
            found = leaks(got, a, sent)
            same = normalised(got, sent) == normalised(random, set(random_ids.values()))
            ok = not found and same and (wanted == "as random" or got.status_code == 404)
            results.append((f"{method} {template}", "path", "ok" if ok else "LEAK", f"{got.status_code} {wanted} {found} {got.text[:200]}"))
            if method == "PUT" and "alert-receivers" in template:  # B made its own receivers; remove them
                for name in (a["name"], random_ids["name"]):
                    await globex.delete(f"/v1/alert-receivers/{name}")

        # A's offer under B's own case: the offer must be looked up in the case (and tenant) named.
        for (method, template), body in PATH_OPERATIONS.items():
            if "{offer_id}" not in template:
                continue
            rnd = str(uuid.uuid4())
            got = await call(globex, method, template.format(case_id=b_case, offer_id=a["offer_id"]), body)
            random = await call(globex, method, template.format(case_id=b_case, offer_id=rnd), body)
            found = leaks(got, a, {a["offer_id"]})
            ok = not found and got.status_code == 404 and normalised(got, {a["offer_id"]}) == normalised(random, {rnd})
            results.append((f"{method} {template} (B's case)", "path", "ok" if ok else "LEAK", f"{got.status_code} 404 {found} {got.text[:200]}"))

        for method, path, body, params, a_id in body_operations(a):
            rnd = str(uuid.uuid4())
            swap = (lambda v: json.loads(json.dumps(v).replace(a_id, rnd))) if body or params else (lambda v: v)
            got = await call(globex, method, path, body, params)
            random = await call(globex, method, path, swap(body) if body else None, swap(params) if params else None)
            found = leaks(got, a, {a_id})
            same = normalised(got, {a_id}) == normalised(random, {rnd})
            ok = not found and same and got.status_code < 500
            results.append((f"{method} {path}", "body" if body else "query", "ok" if ok else "LEAK",
                            f"{got.status_code} vs {random.status_code} {found} {got.text[:200]}"))

        await asyncio.sleep(1.0)  # anything B set off has had time to land
        after = await snapshot(acme, a)

    counts = Counter((where, outcome, detail.split()[0]) for _, where, outcome, detail in results)
    table = "\n".join(f"{outcome:4} {where:5} {op:60} {detail}" for op, where, outcome, detail in results)
    print(f"\ntenancy walk: {len(results)} operations, {dict(counts)}\n{table}")
    assert all(outcome == "ok" for _, _, outcome, _ in results), table
    assert sum(1 for _, where, _, d in results if where == "path" and d.startswith("404")) == len(PATH_OPERATIONS) - len(LIKE_RANDOM) + 2
    # A hand-recorded rating change names a review of the caller's: another tenant's is unknown.
    rating = next(d for op, _, _, d in results if op == "POST /v1/rating-changes")
    assert rating.startswith("404"), rating
    assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert before["offers"][0][1] == "pending_approval" and before["alert"]["status"] == "firing" and before["backlog"]


async def _import_done(api: httpx.AsyncClient, import_id: str) -> bool:
    return (await api.get(f"/v1/imports/{import_id}")).json()["status"] in ("done", "failed")
