"""The live OpenAPI document tells the truth: schemathesis over every operation of the running
system finds no server error and no response that its schema does not describe.

Bounded (a few examples per operation, the examples and fuzzing phases, no shrinking) so the file
stays within about three minutes on two busy cores; `OPENAPI_MAX_EXAMPLES` raises the bound.
"""

from __future__ import annotations

import collections
import os
import time

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

MAX_EXAMPLES = int(os.environ.get("OPENAPI_MAX_EXAMPLES", "20"))
TIME_BUDGET_SECONDS = float(os.environ.get("OPENAPI_TIME_BUDGET", "120"))
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


def test_every_operation_conforms(system, api_keys, base_url):
    started = time.monotonic()
    document = requests.get(f"{base_url}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    headers = {"Authorization": f"Bearer {api_keys['acme']}"}
    session = requests.Session()

    requests_sent = 0
    statuses: collections.Counter[int] = collections.Counter()
    failures: dict[str, list[str]] = collections.defaultdict(list)
    # NOTE: one budget shared in turn: a run gets what the runs before it left.

    runs = [(operation, mode) for operation in operations for mode in MODES]
    per_run = TIME_BUDGET_SECONDS / max(1, len(runs))
    for index, (operation, mode) in enumerate(runs):
        label = f"{operation.method.upper()} {operation.path} ({mode.value})"
        deadline = started + per_run * (index + 1) + 5

        @given(case=operation.as_strategy(generation_mode=mode))
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
            nonlocal requests_sent
            if time.monotonic() > deadline:
                return
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
            requests_sent += 1
            statuses[response.status_code] += 1
            for name, check in CHECKS.items():
                if name == "not_a_server_error" and _dependency_down(response):
                    continue
                try:
                    case.validate_response(response, checks=[check], headers=headers)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        lines = [line.strip() for line in str(failure.message).splitlines() if line.strip()]
                        what = f"{label} -> {response.status_code}: {failure.title}: {' | '.join(lines[:3])[:240]}"
                        failures[name].append((what, case.as_curl_command(headers={})[:400]))

        try:
            exercise()
        except hypothesis.errors.Unsatisfiable:
            assert mode is schemathesis.GenerationMode.NEGATIVE, label  # nothing to get wrong (no parameters)

    elapsed = time.monotonic() - started
    print(
        f"\nschemathesis: {len(operations)} operations ({', '.join(m.value for m in MODES)}), {requests_sent} requests in {elapsed:.0f}s; "
        f"statuses {dict(sorted(statuses.items()))}; "
        + ", ".join(f"{name}: {len(failures.get(name, []))} failure(s)" for name in CHECKS)
    )
    for name, found in failures.items():
        distinct = dict(found)  # one request per distinct failure
        print(f"--- {name}: {len(distinct)} distinct")
        for what, curl in sorted(distinct.items())[:60]:
            print(f"  {what}\n      {curl}")
    assert len(operations) >= 60
    assert requests_sent >= len(operations)
    assert not failures, {name: len(found) for name, found in failures.items()}


@pytest.fixture(autouse=True)
def _quiet_schemathesis_config(monkeypatch, tmp_path):
    # NOTE: no schemathesis.toml is read from the repository or above it.
    monkeypatch.chdir(tmp_path)
