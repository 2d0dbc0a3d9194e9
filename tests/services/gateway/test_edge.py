"""What the gateway refuses at its edge and how failures reach callers: strict JSON types, texts
that cannot be stored, duplicate reviews in a batch, a dependency that is down, an unexpected
error, and bodies near and over the size limit. Against a real in-process ingest service over
gRPC on 127.0.0.1 and real PostgreSQL; nothing listens on the NLP port."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import grpc
import httpx
import pytest

from libs import db
from libs.embedded import free_port
from libs.errors import grpc_to_http
from libs.grpc_server import GrpcServer
from libs.settings import Settings
from reviewguard.ingest.v1 import ingest_pb2_grpc
from services.gateway.api_keys import ApiKeys, KeyHasher
from services.gateway.app import create_app
from services.gateway.dependencies import Backends, get_tenant
from services.gateway.rate_limits import RateLimits
from services.gateway.tenants import provision_tenant
from services.ingest.app import MIGRATIONS, SCHEMA
from services.ingest.grpc_api import IngestServicer
from services.ingest.import_jobs import ImportService
from services.ingest.models import Limits
from services.ingest.service import IngestService

POSTED = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()


def review(**fields) -> dict:
    return {"platform": "amazon", "marketplace": "DE", "external_id": "R1", "product_id": "B0KETTLE01", "rating": 1,
            "title": "Kaputt", "body": "Deckel gebrochen.", "posted_at": POSTED, **fields}  # fmt: skip


class Gateway:
    def __init__(self, client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
        self.client = client
        self._pool = pool

    async def stored(self) -> int:
        return await self._pool.fetchval("SELECT count(*) FROM reviews")


PEPPER = "gateway-edge-pepper-0001"


@pytest.fixture
async def gateway(database_url: str, tmp_path):
    await db.migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await db.create_pool(database_url, schema=SCHEMA)
    ingest = IngestService(pool=pool, limits=Limits(max_title_chars=500, max_body_chars=20_000), max_batch=500)
    imports = ImportService(pool=pool, ingest=ingest, max_bytes=1_000_000, spool_dir=tmp_path)
    # NOTE: the server gets the limit its wiring root gives it (services/ingest/app.py).
    server = GrpcServer(bind="127.0.0.1:0", service_names=["reviewguard.ingest.v1.IngestService"], max_message_bytes=Settings().grpc_message_limit())
    ingest_pb2_grpc.add_IngestServiceServicer_to_server(IngestServicer(ingest, imports=imports), server.server)
    await server.start()
    settings = Settings(database_url=database_url, data_dir=tmp_path / "data", ingest_host="127.0.0.1", ingest_port=server.port,
                        nlp_host="127.0.0.1", nlp_port=free_port(), api_key_pepper=PEPPER)  # fmt: skip
    _, key = await provision_tenant(settings.database_dsn(), "edge", pepper=PEPPER)
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway", headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
                yield Gateway(client, pool)
    finally:
        await imports.close()
        await server.stop(0)
        await pool.close()


def fields(response: httpx.Response) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json().get("errors", [])}


async def test_json_types_are_not_coerced(gateway: Gateway) -> None:
    for bad, field in ((review(rating="5"), "reviews[0].rating"), (review(verified_purchase="true"), "reviews[0].verified_purchase"),
                       (review(title=5), "reviews[0].title"), (review(posted_at=1767225600), "reviews[0].posted_at")):  # fmt: skip
        answer = await gateway.client.post("/v1/reviews", json={"reviews": [bad]})
        assert answer.status_code == 422, answer.text
        assert list(fields(answer)) == [field], answer.text
    assert (await gateway.client.post("/v1/sources", json={"kind": "trustpilot", "name": "x", "backfill_days": "90"})).status_code == 422
    assert await gateway.stored() == 0
    # ISO text is still a timestamp, and a well-typed review is stored.
    assert (await gateway.client.post("/v1/reviews", json={"reviews": [review()]})).status_code == 202
    assert await gateway.stored() == 1


async def test_a_request_error_and_a_domain_error_answer_in_one_shape(gateway: Gateway) -> None:
    """FastAPI's request validation and the gateway's own checks both end in libs.errors' one mapper."""
    typed = await gateway.client.post("/v1/reviews", json={"reviews": [review(rating="5", title=5)]})
    checked = await gateway.client.get("/v1/rating-changes", params={"page_token": "a\x00b"})
    for answer in (typed, checked):
        assert answer.status_code == 422, answer.text
        assert set(answer.json()) == {"detail", "errors"} and all(set(e) == {"field", "message"} for e in answer.json()["errors"])
    assert typed.json()["detail"] == "2 invalid field(s); nothing was stored"
    assert set(fields(typed)) == {"reviews[0].rating", "reviews[0].title"}
    # NOTE: a body that is no JSON at all is a 400, still in the same shape, naming where it broke.
    broken = await gateway.client.post("/v1/reviews", content=b'{"reviews": [', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400, broken.text
    assert broken.json()["detail"] == "request body is not valid JSON" and broken.json()["errors"], broken.text
    assert await gateway.stored() == 0


async def test_query_and_path_parameters_with_nul_are_refused_naming_them(gateway: Gateway) -> None:
    # NOTE: PostgreSQL refuses NUL in text; reaching it, this was a 502 from the backend.
    query = await gateway.client.get("/v1/rating-changes", params={"page_token": "a\x00b"})
    assert query.status_code == 422, query.text
    assert fields(query) == {"page_token": "must not contain NUL characters"}
    path = await gateway.client.delete("/v1/alert-receivers/ops%00")
    assert path.status_code == 422 and "name" in fields(path), path.text


async def test_texts_with_nul_or_a_lone_surrogate_are_refused_naming_the_field(gateway: Gateway) -> None:
    nul = await gateway.client.post("/v1/reviews", json={"reviews": [review(), review(external_id="R2", body="Deckel\x00gebrochen")]})
    assert nul.status_code == 422, nul.text
    assert "NUL" in fields(nul).get("reviews[1].body", ""), nul.text  # a field called "body" is named as such
    # "\ud800" as a JSON escape: valid JSON, but no Unicode text (UTF-8 cannot hold it).
    raw = '{"reviews": [%s]}' % json.dumps(review(title="x")).replace('"title": "x"', '"title": "bad \\ud800 title"')
    surrogate = await gateway.client.post("/v1/reviews", content=raw.encode(), headers={"Content-Type": "application/json"})
    assert surrogate.status_code == 422, surrogate.text
    assert "surrogate" in fields(surrogate)["reviews[0].title"]
    listed = await gateway.client.post("/v1/reviews", json={"reviews": [review(media_urls=["https://a.example/1.jpg", "a\x00b"])]})
    assert listed.status_code == 422 and "[1]" in fields(listed)["reviews[0].media_urls"], listed.text
    assert await gateway.stored() == 0


async def test_integers_beyond_64_bits_are_refused(gateway: Gateway) -> None:
    rating = await gateway.client.post("/v1/reviews", json={"reviews": [review(rating=2**70)]})
    assert rating.status_code == 422 and "reviews[0].rating" in fields(rating), rating.text
    page = await gateway.client.get("/v1/rating-changes", params={"page_size": str(2**70)})
    assert page.status_code == 422 and "page_size" in fields(page), page.text
    # A free-form JSON body is held to the same rule, before any backend is asked.
    policy = await gateway.client.put("/v1/alert-policies", json={"baseline": {"min_history_days": 2**70}})
    assert policy.status_code == 422, policy.text
    assert "64 bits" in fields(policy)["body"]
    assert await gateway.stored() == 0


async def test_the_same_review_twice_in_one_batch_is_refused_naming_both_positions(gateway: Gateway) -> None:
    batch = [review(external_id="R1"), review(external_id="R2"), review(external_id="R3"), review(external_id="R1", marketplace="FR")]
    answer = await gateway.client.post("/v1/reviews", json={"reviews": batch})
    assert answer.status_code == 422, answer.text
    assert "reviews[0].external_id" in fields(answer)["reviews[3].external_id"]
    assert "nothing was stored" in answer.json()["detail"]
    assert await gateway.stored() == 0
    # The same id on another platform is another review.
    other = await gateway.client.post("/v1/reviews", json={"reviews": [review(), review(platform="ebay")]})
    assert other.status_code == 202, other.text


async def test_a_backend_that_is_down_is_a_503_with_retry_after_and_no_addresses(gateway: Gateway) -> None:
    # Nothing listens on the NLP port.
    answer = await gateway.client.get("/v1/nlp-settings")
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    for leak in ("127.0.0.1", "ipv4:", "ipv6:", "localhost", "Connection refused", "debug"):
        assert leak not in answer.text


async def test_a_deadline_and_a_bare_transport_error_answer_without_their_debug_text() -> None:
    def rpc_error(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
        return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details, "UNKNOWN:Error received from peer ipv4:10.1.2.3:50051")

    status, body, headers = grpc_to_http(rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"))
    assert (status, "Retry-After" in headers) == (503, True)
    status, body, _ = grpc_to_http(rpc_error(grpc.StatusCode.UNAVAILABLE, "failed to connect to all addresses; last error: ipv4:10.1.2.3:50051"))
    assert status == 503 and "10.1.2.3" not in json.dumps(body)
    status, body, _ = grpc_to_http(rpc_error(grpc.StatusCode.INTERNAL, "Traceback ... at 10.1.2.3"))
    assert status == 502 and "10.1.2.3" not in json.dumps(body)


async def test_the_api_key_store_being_down_is_a_503(tmp_path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    # NOTE: a pool over a closed port: every acquire fails to connect, as when PostgreSQL is down.
    app.state.pool = await asyncpg.create_pool(f"postgresql://rg@127.0.0.1:{free_port()}/rg", min_size=0)
    app.state.api_keys = ApiKeys(pool=app.state.pool, hasher=KeyHasher(PEPPER), ttl=5.0)
    app.state.rate_limits = RateLimits(per_key="", daily_quota=0)
    app.state.backends = Backends(ingest=None, nlp=None, alerting=None, resolution=None, channels={})
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
            answer = await client.get("/v1/sources", headers={"Authorization": "Bearer rg_whatever"})
    finally:
        await app.state.pool.close()
    assert answer.status_code == 503, answer.text
    assert "Retry-After" in answer.headers and "127.0.0.1" not in answer.text


async def test_an_unexpected_error_is_a_500_without_internals(tmp_path) -> None:
    class Broken:
        async def SubmitReviews(self, request):  # noqa: N802 - the stub's method name
            raise RuntimeError("pool of 10.0.0.7:5432 exhausted")

    app = create_app(Settings(data_dir=tmp_path))
    app.state.backends = Backends(ingest=Broken(), nlp=None, alerting=None, resolution=None, channels={})
    app.dependency_overrides[get_tenant] = lambda: uuid.uuid4()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        answer = await client.post("/v1/reviews", json={"reviews": [review()]})
    assert answer.status_code == 500
    body = answer.json()
    assert body["detail"] == "internal error" and body["request_id"]
    assert "10.0.0.7" not in answer.text and "Traceback" not in answer.text and "RuntimeError" not in answer.text


async def test_a_body_under_the_limit_is_processed_and_one_over_it_is_a_413(gateway: Gateway) -> None:
    limit = Settings().max_request_bytes
    # About 7 MB of valid reviews: beyond gRPC's default 4 MiB message, under the 8 MiB HTTP limit.
    text = "Deckel gebrochen, riecht verbrannt. " * 490
    batch = [review(external_id=f"BIG-{i}", body=text) for i in range(400)]
    body = json.dumps({"reviews": batch}).encode()
    assert 7_000_000 <= len(body) < limit
    answer = await gateway.client.post("/v1/reviews", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 202, answer.text[:500]
    assert answer.json()["accepted"] == 400 and await gateway.stored() == 400

    # Just as large but one field wrong: refused by validation, not by a transport limit.
    batch[399]["rating"] = 9
    invalid = await gateway.client.post("/v1/reviews", json={"reviews": batch})
    assert invalid.status_code == 422 and list(fields(invalid)) == ["reviews[399].rating"], invalid.text[:500]

    over = b'{"reviews": [' + b" " * (9 * 2**20) + b"]}"
    refused = await gateway.client.post("/v1/reviews", content=over, headers={"Content-Type": "application/json"})
    assert refused.status_code == 413 and str(limit) in refused.json()["detail"], refused.text

    async def streamed():  # no Content-Length: counted while read
        for _ in range(9):
            yield b" " * 2**20

    chunked = await gateway.client.post("/v1/reviews", content=streamed(), headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413 and str(limit) in chunked.json()["detail"], chunked.text
