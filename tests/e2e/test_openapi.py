"""The live OpenAPI document tells the truth: schemathesis over every operation of the running
system finds no server error and no response that its schema does not describe.

Three passes, each request checked by schemathesis's `not_a_server_error` (a documented 503 with
Retry-After aside: a dependency briefly away), `response_schema_conformance`,
`status_code_conformance` and `content_type_conformance`:

1. a seeded tenant: a team, agents, a review that opens a case, its reply, offer, evidence and
   appeal, orders, a source, a silence, a receiver and an import, each made through its operation
   (so real, non-empty answers are checked, not only empty lists);
2. generated valid and invalid input for every operation (`GenerationMode.POSITIVE`, `NEGATIVE`);
3. generated input for every operation with path parameters, those parameters set to the seeded
   resources (ids that exist, where pass 2 mostly meets 404s); deletes go last.

The document defines no OpenAPI links, so there is no stateful (link-following) run; pass 3 stands
in for it. Bounded (`OPENAPI_MAX_EXAMPLES` per operation and mode, a shared time budget, no
shrinking) so the file stays within about three minutes on two busy cores.
"""

from __future__ import annotations

import collections
import os
import time
import uuid
from datetime import datetime, timedelta, timezone

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.helpers import recent

MAX_EXAMPLES = int(os.environ.get("OPENAPI_MAX_EXAMPLES", "20"))
TIME_BUDGET_SECONDS = float(os.environ.get("OPENAPI_TIME_BUDGET", "100"))
# Valid inputs (they must be served or refused with a documented 4xx) and invalid ones (refused, never a 5xx).
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
CHECKS = {
    "not_a_server_error": not_a_server_error,
    "response_schema_conformance": response_schema_conformance,
    "status_code_conformance": status_code_conformance,
    "content_type_conformance": content_type_conformance,
}


def _dependency_down(response) -> bool:
    """A documented 503: a backend or the database was briefly away; the caller is told to retry."""
    return response.status_code == 503 and "retry-after" in {k.lower() for k in response.headers}


class Run:
    """Sends cases, checks each answer, and counts."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {key}"}
        self.session = requests.Session()
        self.sent = 0
        self.statuses: collections.Counter[int] = collections.Counter()
        self.failures: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
        self.covered: set[str] = set()

    def send(self, case, label: str):
        response = case.call(base_url=self.base_url, session=self.session, headers=self.headers, timeout=30)
        self.sent += 1
        self.statuses[response.status_code] += 1
        self.covered.add(f"{case.operation.method.upper()} {case.operation.path}")
        for name, check in CHECKS.items():
            if name == "not_a_server_error" and _dependency_down(response):
                continue
            try:
                case.validate_response(response, checks=[check], headers=self.headers)
            except FailureGroup as group:
                for failure in group.exceptions:
                    lines = [line.strip() for line in str(failure.message).splitlines() if line.strip()]
                    what = f"{label} -> {response.status_code}: {failure.title}: {' | '.join(lines[:3])[:240]}"
                    self.failures[name].append((what, case.as_curl_command(headers={})[:400]))
        return response

    def generate(self, operation, mode, label: str, deadline: float, **fixed) -> None:
        # NOTE: the budget caps the extra examples, never the first: on a loaded machine every
        # operation still gets at least one request (the coverage assertion counts them).
        sent_here = []

        @given(case=operation.as_strategy(generation_mode=mode, **fixed))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=hypothesis.Verbosity.quiet,
        )
        def exercise(case):
            if not sent_here or time.monotonic() < deadline:
                sent_here.append(self.send(case, label))

        try:
            exercise()
        except hypothesis.errors.Unsatisfiable:
            assert mode is schemathesis.GenerationMode.NEGATIVE, label  # nothing to get wrong (no parameters)


def _seed(schema, run: Run) -> dict[str, str]:
    """Resources of every kind for the acme tenant, made through their operations (each answer checked)."""

    def call(method: str, path: str, *, path_parameters=None, query=None, body=schemathesis.core.NOT_SET, media_type=None):
        operation = schema[path][method]
        if body is not schemathesis.core.NOT_SET and media_type is None:
            media_type = "application/json"
        case = operation.Case(path_parameters=path_parameters or {}, query=query or {}, body=body, media_type=media_type)
        response = run.send(case, f"{method} {path} (seed)")
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    ids: dict[str, str] = {}
    team = call("PUT", "/v1/teams", body={"name": "DACH", "markets": ["DE", "AT"], "timezone": "Europe/Berlin",
                                          "work_start": "00:00", "work_end": "23:59", "work_days": [0, 1, 2, 3, 4, 5, 6]})  # fmt: skip
    agent = call("PUT", "/v1/agents", body={"name": "jonas", "team_id": team["id"], "languages": ["de", "en"], "skills": ["damaged"]})
    ids["agent_id"] = agent["id"]
    review = {
        "platform": "amazon", "marketplace": "DE", "external_id": f"R-{uuid.uuid4().hex[:10]}", "product_id": "B0KETTLE01",
        "rating": 1, "title": "Kaputt angekommen", "order_id": "302-1234567-1234567",
        "body": "Der Wasserkocher kam mit einem Riss im Gehäuse an. Totaler Betrug, ich will mein Geld zurück!",
        "posted_at": recent(),
    }  # fmt: skip
    ids["review_id"] = call("POST", "/v1/reviews", body={"reviews": [review]})["ids"][0]
    delivered = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    call("POST", "/v1/orders", body={"orders": [
        {"order_id": "302-1234567-1234567", "platform": "amazon", "marketplace": "DE", "fulfilment": "platform",
         "customer_id": "weber", "value": "89.90", "currency": "EUR", "annual_spend_usd": "900", "delivered_at": delivered},
    ]})  # fmt: skip
    source = call("POST", "/v1/sources", body={"kind": "shopify", "name": "Acme shop", "webhook_secret": "s3cret", "settings": {"marketplace": "DE"}})
    ids["source_id"], ids["kind"] = source["id"], source["kind"]
    ids["silence_id"] = call("POST", "/v1/silences", body={"matchers": ["product_id=B0NOTHING"], "ends_at": recent(-24)})["id"]
    call("PUT", "/v1/alert-receivers/{name}", path_parameters={"name": "ops"},
         body={"config": {"kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "s3cret-s3cret-s3cret"}})  # fmt: skip
    ids["name"] = "ops"
    csv = "\n".join(["asin,marketplace,review_id,rating,title,body,review_date",
                     "B0KETTLE01,DE,IMP-1,5,Super,Sehr gut,2026-01-02"]) + "\n"  # fmt: skip
    ids["import_id"] = call("POST", "/v1/imports", body={"file": csv.encode(), "mapping": "amazon"}, media_type="multipart/form-data")["id"]

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        cases = call("GET", "/v1/cases", query={"review_id": ids["review_id"]})["items"]
        if cases:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the seeded review opened no case")
    case_id = ids["case_id"] = cases[0]["id"]
    ids["alert_id"] = cases[0]["alert_id"]
    cid = {"case_id": case_id}
    call("POST", "/v1/cases/{case_id}/assign", path_parameters=cid)
    call("PATCH", "/v1/cases/{case_id}", path_parameters=cid, body={"issue_type": "damaged", "customer_id": "weber"})
    ids["reply_id"] = call("POST", "/v1/cases/{case_id}/replies", path_parameters=cid, body={"scenario": "damaged", "placeholders": {
        "buyer_name": "Frau Weber", "product_name": "Wasserkocher", "order_id": "302-1", "seller_name": "Kettle Co."}})["id"]  # fmt: skip
    call("POST", "/v1/cases/{case_id}/compensation/recommendation", path_parameters=cid,
         body={"issue": "damaged", "order_value": "89.90", "currency": "EUR", "usd_rate": "1.08"})  # fmt: skip
    offer = call("POST", "/v1/cases/{case_id}/offers", path_parameters=cid,
                 body={"option": "reship_with_discount", "cost": "103.39", "currency": "EUR", "usd_rate": "1.08", "actor": "jonas"})  # fmt: skip
    ids["offer_id"] = offer["id"]
    call("POST", "/v1/cases/{case_id}/evidence", path_parameters=cid,
         body={"kind": "order", "content": {"order_id": "302-1", "total": "89.90"}, "source": "amazon-sp-api"})  # fmt: skip
    call("POST", "/v1/cases/{case_id}/evidence", path_parameters=cid,
         body={"kind": "listing_snapshot", "content": {"review": "Totaler Betrug"}, "source": "amazon-sp-api"})  # fmt: skip
    call("POST", "/v1/cases/{case_id}/evidence", path_parameters=cid, body={"kind": "file", "content_base64": "iVBORw0KGgo=", "source": "buyer-photo"})
    call("POST", "/v1/cases/{case_id}/appeal", path_parameters=cid, body={"facts": ["abusive_language"], "actions": ["contacted_buyer"]})
    call("POST", "/v1/compliance/check", body={"text": "Write us at help@kettle.de for a refund", "platform": "amazon"})
    call("POST", "/v1/rating-changes", body={"review_id": ids["review_id"], "old_rating": 1, "new_rating": 4})
    return ids


def test_every_operation_conforms(system, api_keys, base_url):
    started = time.monotonic()
    document = requests.get(f"{base_url}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    run = Run(base_url, api_keys["acme"])

    seeded = _seed(schema, run)
    seeded_requests = run.sent

    # NOTE: one budget shared in turn: a run gets what the runs before it left.
    passes = [(operation, mode, None) for operation in operations for mode in MODES]
    with_ids = [op for op in operations if op.path_parameters and all(p.name in seeded for p in op.path_parameters)]
    with_ids.sort(key=lambda op: op.method.upper() == "DELETE")  # deletes last: the others still find their resource
    passes += [(op, schemathesis.GenerationMode.POSITIVE, {p.name: seeded[p.name] for p in op.path_parameters}) for op in with_ids]
    budget_start, per_run = time.monotonic(), TIME_BUDGET_SECONDS / max(1, len(passes))
    for index, (operation, mode, fixed) in enumerate(passes):
        label = f"{operation.method.upper()} {operation.path} ({mode.value}{', seeded ids' if fixed else ''})"
        deadline = budget_start + per_run * (index + 1) + 5
        run.generate(operation, mode, label, deadline, **({"path_parameters": fixed} if fixed else {}))

    elapsed = time.monotonic() - started
    print(
        f"\nschemathesis: {len(operations)} operations ({len(run.covered)} sent to), {run.sent} requests "
        f"({seeded_requests} seeding, {len(with_ids)} operations again on seeded ids) in {elapsed:.0f}s; "
        f"statuses {dict(sorted(run.statuses.items()))}; "
        + ", ".join(f"{name}: {len(run.failures.get(name, []))} failure(s)" for name in CHECKS)
    )
    for name, found in run.failures.items():
        distinct = dict(found)  # one request per distinct failure
        print(f"--- {name}: {len(distinct)} distinct")
        for what, curl in sorted(distinct.items())[:60]:
            print(f"  {what}\n      {curl}")
    assert len(operations) >= 60 and len(run.covered) == len(operations)
    assert not run.failures, {name: len(found) for name, found in run.failures.items()}


@pytest.fixture(autouse=True)
def _no_schemathesis_config(monkeypatch, tmp_path):
    # NOTE: no schemathesis.toml is read from the repository or above it.
    monkeypatch.chdir(tmp_path)
