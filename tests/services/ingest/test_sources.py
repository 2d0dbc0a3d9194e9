"""Sources against real PostgreSQL and a local Trustpilot-format server: CRUD with sealed secrets,
the scheduler's polls (backfill, cursors, 429/5xx, paused credentials), competitor flags, webhooks."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import httpx
import pytest
from starlette.responses import JSONResponse, Response

from libs.crypto import SecretBox
from libs.errors import Conflict, InvalidArgument, NotFound
from libs.outbound import OutboundPolicy, outbound_client
from reviewguard.ingest.v1 import ingest_pb2
from services.ingest.models import Limits
from services.ingest.service import IngestService
from services.ingest.sources.service import SourceService
from services.ingest.webhooks import Unauthenticated, sign
from tests.services.ingest.connectors.conftest import FAST_RETRY, Script, serve
from tests.services.ingest.connectors.test_trustpilot import API_KEY, NOW, UNIT, platform

TENANT = str(uuid.uuid4())
SECRET = "whsec-3f9a1c7e55d24b08"


@pytest.fixture
async def sources(ingest_pool: asyncpg.Pool):
    clock = lambda: NOW + timedelta(minutes=1)  # noqa: E731 - the fake platform's reviews are dated around NOW
    ingest = IngestService(pool=ingest_pool, limits=Limits(max_title_chars=500, max_body_chars=20_000), max_batch=500, clock=clock)
    # NOTE: the scripted platforms listen on 127.0.0.1 (a port per test), allow-listed by host.
    outbound = OutboundPolicy(["127.0.0.1"])
    async with outbound_client(outbound, timeout=5.0) as client:
        yield SourceService(
            pool=ingest_pool, ingest=ingest, box=SecretBox([SecretBox.new_key()]), client=client, retry=FAST_RETRY, clock=clock,
            outbound=outbound,
        )


def trustpilot(base_url: str, **overrides) -> ingest_pb2.CreateSourceRequest:
    values = {
        "tenant_id": TENANT, "kind": "trustpilot", "name": "Acme on Trustpilot", "backfill_days": 30, "poll_interval_seconds": 60,
        "settings_json": json.dumps({"business_unit_id": UNIT, "api_key": API_KEY, "per_page": 3, "base_url": base_url}),
        **overrides,
    }  # fmt: skip
    return ingest_pb2.CreateSourceRequest(**values)


async def stored(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await conn.fetch("SELECT external_id, channel, source_id, competitor, history FROM reviews ORDER BY external_id")


async def test_crud_never_returns_secrets_and_refuses_bad_settings(sources: SourceService, ingest_pool) -> None:
    created = await sources.create(request=trustpilot("http://127.0.0.1:9", webhook_secret=SECRET))
    assert created.status == "active" and created.has_webhook_secret
    assert created.webhook_path == f"/v1/webhooks/trustpilot/{created.id}"
    assert list(created.settings_keys) == ["api_key", "base_url", "business_unit_id", "per_page"]
    assert API_KEY not in str(created) and SECRET not in str(created)
    async with ingest_pool.acquire() as conn:
        raw = await conn.fetchrow("SELECT settings, webhook_secret FROM sources")
    assert API_KEY.encode() not in raw["settings"] and SECRET.encode() not in raw["webhook_secret"]
    assert [s.id for s in await sources.list(tenant_id=TENANT)] == [created.id]
    with pytest.raises(NotFound):
        await sources.get(tenant_id=str(uuid.uuid4()), source_id=created.id)
    with pytest.raises(Conflict):
        await sources.create(request=trustpilot("http://127.0.0.1:9"))

    bad = [
        (trustpilot("x", kind="myspace", name="a"), "kind"),
        (trustpilot("x", name=" "), "name"),
        (trustpilot("x", name="b", poll_interval_seconds=300), "poll_interval_seconds"),
        (trustpilot("x", name="c", settings_json='{"api_key": "secret-value-1"}'), "business_unit_id"),
        (trustpilot("x", name="d", settings_json="{nope"), "settings"),
        (ingest_pb2.CreateSourceRequest(tenant_id=TENANT, kind="shopify", name="e", settings_json='{"marketplace": "US"}'), "webhook_secret"),
        (ingest_pb2.CreateSourceRequest(tenant_id=TENANT, kind="shopify", name="f", webhook_secret="s"), "settings.marketplace"),
    ]
    for request, field in bad:
        with pytest.raises(InvalidArgument) as raised:
            await sources.create(request=request)
        assert any(v.field == field for v in raised.value.violations), (field, raised.value.violations)
        assert "secret-value-1" not in repr(raised.value)
    assert len(await sources.list(tenant_id=TENANT)) == 1

    paused = await sources.update(request=ingest_pb2.UpdateSourceRequest(tenant_id=TENANT, source_id=created.id, fields=["status", "competitor"], status="paused", competitor=True))
    assert (paused.status, paused.competitor, paused.HasField("next_poll_at")) == ("paused", True, False)
    await sources.delete(tenant_id=TENANT, source_id=created.id)
    assert await sources.list(tenant_id=TENANT) == []


async def test_scheduler_backfills_through_429_and_500_then_polls_from_the_watermark(sources: SourceService, ingest_pool) -> None:
    script = Script()
    script.fail(2, Response(status_code=429, headers={"Retry-After": "0"}))
    script.fail(3, Response("upstream down", status_code=500))
    async with serve(platform(script)) as base_url:
        source = await sources.create(request=trustpilot(base_url, competitor=True, backfill_days=1))
        assert await sources.poll_due() == 1
        assert await sources.poll_due() == 0, "not due again until its interval passed"
    rows = await stored(ingest_pool)
    # Reviews are 5 hours apart: a 1-day backfill reaches the first five.
    assert [r["external_id"] for r in rows] == [f"tp{i:03d}" for i in range(5)]
    assert {(r["channel"], str(r["source_id"]), r["competitor"]) for r in rows} == {("backfill", source.id, True)}
    assert all(r["history"] for r in rows), "a first sync brings the past: history, paging no one"
    after = await sources.get(tenant_id=TENANT, source_id=source.id)
    assert after.status == "active" and after.last_error == "" and after.last_success_at.seconds
    assert after.next_poll_at.ToDatetime(tzinfo=timezone.utc) == NOW + timedelta(minutes=1, seconds=60)
    async with ingest_pool.acquire() as conn:
        state = json.loads(await conn.fetchval("SELECT cursor FROM sources"))
    assert state["cursor"] is None and state["watermark"].startswith("2026-11-23T12:00")


async def test_rejected_credentials_pause_the_source_until_new_ones_are_given(sources: SourceService, ingest_pool) -> None:
    async with serve(platform(Script())) as base_url:
        request = trustpilot(base_url)
        request.settings_json = json.dumps({"business_unit_id": UNIT, "api_key": "wrong-key", "base_url": base_url})
        source = await sources.create(request=request)
        await sources.poll_due()
        paused = await sources.get(tenant_id=TENANT, source_id=source.id)
        assert paused.status == "paused" and "HTTP 401" in paused.last_error and "wrong-key" not in paused.last_error
        assert await sources.poll_due() == 0
        fixed = await sources.update(request=ingest_pb2.UpdateSourceRequest(tenant_id=TENANT, source_id=source.id, fields=["settings_json"], settings_json=trustpilot(base_url).settings_json))
        assert fixed.status == "active" and fixed.last_error == ""
        assert await sources.poll_due() == 1
    assert len(await stored(ingest_pool)) == 7


def trustpilot_event(name: str, review_id: str, stars: int = 1) -> bytes:
    data = {"id": review_id, "language": "de", "title": "Nie wieder", "text": "Paket kam nie an und der Support antwortet nicht.",
            "stars": stars, "createdAt": "2026-11-23T11:58:00.000Z", "isVerified": True, "consumer": {"id": "c1", "name": "Kunde"}}  # fmt: skip
    return json.dumps({"events": [{"eventName": name, "version": "1", "eventData": data}]}).encode()


async def test_signed_webhooks_are_stored_and_unsigned_or_replayed_ones_refused(sources: SourceService, ingest_pool) -> None:
    source = await sources.create(request=trustpilot("http://127.0.0.1:9", webhook_secret=SECRET))
    at = NOW + timedelta(minutes=1)
    body = trustpilot_event("service-review-created", "tpw1")
    headers = sign("trustpilot", SECRET, body, at=at)
    answer = await sources.receive_webhook(kind="trustpilot", source_id=source.id, body=body, headers=headers)
    assert answer.accepted == 1
    refused = [
        ({}, "missing"),
        (sign("trustpilot", "other-secret", body, at=at), "does not match"),
        (sign("trustpilot", SECRET, body, at=at - timedelta(minutes=6)), "tolerance"),
        (headers, "replay"),
    ]
    for bad_headers, why in refused:
        with pytest.raises(Unauthenticated, match=why):
            await sources.receive_webhook(kind="trustpilot", source_id=source.id, body=body, headers=bad_headers)
    with pytest.raises(Unauthenticated, match="unknown webhook source"):
        await sources.receive_webhook(kind="judgeme", source_id=source.id, body=body, headers=headers)
    with pytest.raises(Unauthenticated, match="unknown webhook source"):
        await sources.receive_webhook(kind="trustpilot", source_id="../x", body=body, headers=headers)
    # A body that cannot be read stores nothing, and its signature is not used up.
    broken = b'{"events": [{"eventName": "service-review-created", "eventData": {"id": "x"}}]}'
    for _ in range(2):
        with pytest.raises(InvalidArgument):
            await sources.receive_webhook(kind="trustpilot", source_id=source.id, body=broken, headers=sign("trustpilot", SECRET, broken, at=at))
    deleted = trustpilot_event("service-review-deleted", "tpw1")
    answer = await sources.receive_webhook(kind="trustpilot", source_id=source.id, body=deleted, headers=sign("trustpilot", SECRET, deleted, at=at))
    assert answer.removed == 1
    async with ingest_pool.acquire() as conn:
        assert await conn.fetch("SELECT external_id, status, channel FROM reviews") == [("tpw1", "removed", "webhook")]


async def test_shopify_and_judgeme_styles(sources: SourceService, ingest_pool) -> None:
    settings = json.dumps({"marketplace": "US", "shop_domain": "acme.myshopify.com"})
    shopify = await sources.create(request=ingest_pb2.CreateSourceRequest(tenant_id=TENANT, kind="shopify", name="shop", settings_json=settings, webhook_secret=SECRET, competitor=True))
    judgeme_settings = json.dumps({"marketplace": "US", "shop_domain": "acme.myshopify.com", "api_token": "jm-token"})
    judgeme = await sources.create(request=ingest_pb2.CreateSourceRequest(tenant_id=TENANT, kind="judgeme", name="jm", settings_json=judgeme_settings, webhook_secret=SECRET))
    assert shopify.status == "webhook"
    review = {"id": 991, "title": "Broke in a week", "body": "The handle snapped off after seven days.", "rating": 1,
              "product_external_id": 7001, "reviewer": {"id": 5, "name": "Pat"}, "verified": "buyer",
              "created_at": "2026-11-23T11:59:00Z", "updated_at": "2026-11-23T12:00:00Z"}  # fmt: skip
    body = json.dumps({"review": review}).encode()
    at = NOW + timedelta(minutes=1)
    answer = await sources.receive_webhook(kind="shopify", source_id=shopify.id, body=body, headers={**sign("shopify", SECRET, body, at=at), "X-Shopify-Topic": "reviews/create"})
    assert answer.accepted == 1
    jm_body = json.dumps({"review": {**review, "id": 992}}).encode()
    answer = await sources.receive_webhook(kind="judgeme", source_id=judgeme.id, body=jm_body, headers=sign("judgeme", SECRET, jm_body))
    assert answer.accepted == 1
    replayed = json.dumps({"review": {**review, "id": 994, "updated_at": "2026-11-20T12:00:00Z"}}).encode()
    fresh_header = {**sign("shopify", SECRET, replayed, at=at), "X-Shopify-Topic": "reviews/create"}
    with pytest.raises(Unauthenticated, match="tolerance"):
        # A call captured days ago, replayed with a fresh (unsigned) X-Shopify-Triggered-At.
        await sources.receive_webhook(kind="shopify", source_id=shopify.id, body=replayed, headers=fresh_header)
    stale = json.dumps({"review": {**review, "id": 993, "updated_at": "2026-11-20T12:00:00Z"}}).encode()
    with pytest.raises(Unauthenticated, match="tolerance"):
        await sources.receive_webhook(kind="judgeme", source_id=judgeme.id, body=stale, headers=sign("judgeme", SECRET, stale))
    async with ingest_pool.acquire() as conn:
        rows = await conn.fetch("SELECT external_id, competitor, platform, history FROM reviews ORDER BY external_id")
    # A webhook brings news: reviews posted a minute ago stay live.
    assert [tuple(r) for r in rows] == [("judgeme:991", True, "shopify", False), ("judgeme:992", False, "shopify", False)]


@pytest.mark.parametrize("base_url", ["http://169.254.169.254/", "http://10.0.0.5:8080", "http://localhost:9", "file:///etc/passwd"])
async def test_a_source_pointing_inside_is_refused_naming_the_field(sources: SourceService, base_url: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        await sources.create(request=trustpilot(base_url))
    assert [v.field for v in refused.value.violations] == ["settings.base_url"]


async def test_a_google_source_is_accepted_polled_and_its_bad_settings_named(sources: SourceService, ingest_pool) -> None:
    from tests.services.ingest.connectors import test_google as gbp

    google = gbp.Google()
    async with serve(google.routes()) as base_url:
        settings = {"account_id": gbp.ACCOUNT, "location_id": gbp.LOCATION, "client_id": gbp.CLIENT_ID, "client_secret": gbp.CLIENT_SECRET,
                    "refresh_token": gbp.REFRESH, "page_size": 3, "base_url": base_url, "token_url": f"{base_url}/token"}  # fmt: skip
        for broken, name in [({**settings, "account_id": ""}, "account_id"), ({**settings, "client_secret": None}, "client_secret")]:
            with pytest.raises(InvalidArgument) as raised:
                await sources.create(request=ingest_pb2.CreateSourceRequest(tenant_id=TENANT, kind="google", name="bad", settings_json=json.dumps(broken)))
            assert [v.field for v in raised.value.violations] == [name] and gbp.CLIENT_SECRET not in repr(raised.value)
        source = await sources.create(request=ingest_pb2.CreateSourceRequest(
            tenant_id=TENANT, kind="google", name="Café on Google", backfill_days=1, poll_interval_seconds=60, settings_json=json.dumps(settings),
        ))
        assert source.status == "active" and gbp.CLIENT_SECRET not in str(source) and gbp.REFRESH not in str(source)
        assert await sources.poll_due() == 1
    # Reviews are 5 hours apart (the unrated fourth skipped): a 1-day backfill reaches the first five.
    assert [r["external_id"] for r in await stored(ingest_pool)] == ["g000", "g001", "g002", "g004"]
    assert len(await sources.list(tenant_id=TENANT)) == 1
