"""The gateway's import route and review read against a real in-process ingest service: an import
is history unless the user marks it `live`, and GET /v1/reviews/{id} shows which."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from libs import db
from libs.embedded import free_port
from libs.grpc_server import GrpcServer
from libs.settings import Settings
from reviewguard.ingest.v1 import ingest_pb2_grpc
from services.gateway.app import create_app
from services.gateway.tenants import provision_tenant
from services.ingest.app import MIGRATIONS, SCHEMA
from services.ingest.grpc_api import IngestServicer
from services.ingest.import_jobs import ImportService
from services.ingest.models import Limits
from services.ingest.service import IngestService
from tests.helpers import eventually

HEADER = ["Review ID", "ASIN", "Review Date", "Star Rating", "Title", "Review Text", "Reviewer Name", "Marketplace"]


def export(rows: list[tuple[str, datetime]]) -> bytes:
    """An Amazon-style export written for these tests: a 1-star German review per row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for review_id, posted in rows:
        writer.writerow([review_id, "B0KETTLE01", posted.strftime("%Y-%m-%d"), "1", "Kaputt", "Deckel gebrochen, riecht verbrannt.", "Jürgen", "DE"])
    return out.getvalue().encode("utf-8")


@pytest.fixture
async def api(database_url: str, tmp_path):
    await db.migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await db.create_pool(database_url, schema=SCHEMA)
    ingest = IngestService(pool=pool, limits=Limits(max_title_chars=500, max_body_chars=20_000), max_batch=500)
    imports = ImportService(pool=pool, ingest=ingest, max_bytes=1_000_000, spool_dir=tmp_path)
    server = GrpcServer(bind="127.0.0.1:0", service_names=["reviewguard.ingest.v1.IngestService"])
    ingest_pb2_grpc.add_IngestServiceServicer_to_server(IngestServicer(ingest, imports=imports), server.server)
    await server.start()
    # NOTE: nothing listens on the NLP port: a review reads back with `analysis: null`.
    settings = Settings(database_url=database_url, data_dir=tmp_path / "data", ingest_host="127.0.0.1", ingest_port=server.port,
                        nlp_host="127.0.0.1", nlp_port=free_port(), api_key_pepper="gateway-test-pepper-0001")  # fmt: skip
    _, key = await provision_tenant(settings.database_dsn(), "importer", pepper="gateway-test-pepper-0001")
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway", headers={"Authorization": f"Bearer {key}"}, timeout=20) as client:
                yield client
    finally:
        await imports.close()
        await server.stop(0)
        await pool.close()


async def finished(api: httpx.AsyncClient, job_id: str) -> dict:
    async def done():
        job = (await api.get(f"/v1/imports/{job_id}")).json()
        return job if job["status"] in ("done", "failed") else None

    return await eventually(done, timeout=20)


async def test_an_import_is_history_unless_marked_live_and_the_review_says_so(api: httpx.AsyncClient) -> None:
    yesterday = datetime.now(timezone.utc) - timedelta(days=1)
    history = await api.post("/v1/imports", files={"file": ("past.csv", export([("PAST-1", yesterday)]), "text/csv")}, data={"mapping": "amazon"})
    assert history.status_code == 202, history.text
    live = await api.post(
        "/v1/imports", files={"file": ("new.csv", export([("NEW-1", yesterday)]), "text/csv")}, data={"mapping": "amazon", "live": "true"}
    )
    assert live.status_code == 202, live.text
    assert (await finished(api, history.json()["id"]))["created"] == 1
    assert (await finished(api, live.json()["id"]))["created"] == 1

    # The gateway lists no reviews: their ids come back from submitting the same reviews again,
    # which stores nothing new (the same content is not a new version).
    for external_id, expected in (("PAST-1", True), ("NEW-1", False)):
        review = {"platform": "amazon", "marketplace": "DE", "external_id": external_id, "product_id": "B0KETTLE01", "rating": 1,
                  "title": "Kaputt", "body": "Deckel gebrochen, riecht verbrannt.", "reviewer_name": "Jürgen",
                  "posted_at": yesterday.replace(hour=0, minute=0, second=0, microsecond=0).isoformat()}  # fmt: skip
        accepted = await api.post("/v1/reviews", json={"reviews": [review]})
        assert accepted.status_code == 202, accepted.text
        read = (await api.get(f"/v1/reviews/{accepted.json()['ids'][0]}")).json()
        assert (read["external_id"], read["version"], read["history"]) == (external_id, 1, expected)


async def test_a_file_that_is_not_utf8_is_refused_with_what_to_do(api: httpx.AsyncClient) -> None:
    data = export([("JP-1", datetime.now(timezone.utc))]).decode("utf-8").replace("Kaputt", "残念です").replace("Jürgen", "佐藤").encode("cp932")
    job = await finished(api, (await api.post("/v1/imports", files={"file": ("jp.csv", data, "text/csv")}, data={"mapping": "amazon"})).json()["id"])
    assert job["status"] == "failed" and "not UTF-8" in job["error"] and "encoding" in job["error"]
    named = await api.post("/v1/imports", files={"file": ("jp.csv", data, "text/csv")}, data={"mapping": "amazon", "encoding": "shift_jis"})
    assert (await finished(api, named.json()["id"]))["created"] == 1
