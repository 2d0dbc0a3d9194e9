"""`python -m bench.console_pages`: what the console adds on the server to a page's data, beside the API's JSON.

The data of an inbox page (50 reviews) or a case page comes from the same route functions as /v1, whose
query cost at volume is bench/reporting.py's (inbox pages at 100k-1M reviews). This measures the rest:
rendering the page in each language (Jinja2, Babel dates and numbers in the user's zone) against the
baseline of serialising the same page as the API's JSON answer. REPEATS runs each; p50/p95 ms go to
bench/results/console_pages.json.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from starlette.requests import Request

from services.gateway.console.access import Viewer
from services.gateway.console.rendering import Formats, Renderer, zone_named
from services.gateway.people.sessions import SignedIn
from services.gateway.routes.inbox import InboxPage, InboxReviewRead

RESULTS = Path(__file__).parent / "results" / "console_pages.json"
REPEATS = 300


def _page() -> InboxPage:
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    items = [
        InboxReviewRead(
            id=str(uuid.uuid4()), platform="amazon", marketplace=("DE", "US", "JP", "CN")[i % 4], store_id="s1", product_id=f"B0{i:08d}",
            product_line="kettles", language=("de", "en", "ja", "zh")[i % 4], rating=1 + i % 5, title=f"Kaputt angekommen {i}",
            body="Der Wasserkocher kam mit einem Riss im Gehäuse an und ist nach zwei Tagen ausgefallen. " * 3,
            translation="The kettle arrived with a crack in the housing and failed after two days. " * 3, sentiment="negative",
            negative_score=0.93, aspects=["quality", "shipping"], risk_categories=["damage"], malicious=i % 7 == 0, competitor=False,
            posted_at=now - timedelta(minutes=i), case_id=str(uuid.uuid4()) if i % 2 else None, case_status="new" if i % 2 else None,
        )
        for i in range(50)
    ]  # fmt: skip
    return InboxPage(items=items, next_page_token="token")


def _timed(run) -> dict[str, float]:
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 3), "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 3)}


def main() -> None:
    renderer = Renderer(poll_seconds=3.0)
    page = _page()
    request = Request({"type": "http", "method": "GET", "path": "/inbox", "query_string": b"", "headers": [], "app": None})
    figures = {"baseline_api_json_inbox_page": _timed(page.model_dump_json)}
    for language, zone in (("en", "Europe/Berlin"), ("zh", "Asia/Shanghai")):
        formats = Formats(language=language, zone=zone_named(zone))
        signed_in = SignedIn(session_digest=b"x", csrf_token="t", user_id=uuid.uuid4(), tenant_id=uuid.uuid4(), email="a@b.c", role="agent",
                             team=None, locale=language, time_zone=zone)  # fmt: skip
        viewer = Viewer(signed_in=signed_in, formats=formats)

        def render(formats=formats, viewer=viewer) -> None:
            renderer.render(request, "inbox.html", formats=formats, viewer=viewer, page=page, filters={"platform": [], "marketplace": [],
                            "language": [], "q": "", "sort": "-posted_at", "aspect": ""}, query="", sorts=("-posted_at",), may_assign=True)  # fmt: skip

        figures[f"inbox_page_50_reviews_{language}"] = _timed(render)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False).stdout.strip()
    RESULTS.write_text(json.dumps({"commit": commit, "repeats": REPEATS, **figures}, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
