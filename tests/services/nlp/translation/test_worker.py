"""Translation per tenant: settings sealed, reviews queued with their analysis, translated by the
tenant's provider (a local server speaking its API), originals kept, failures retried, never lost."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from libs import db, topology
from libs.bus import Bus
from libs.crypto import SecretBox
from libs.errors import InvalidArgument
from libs.outbox import OutboxRelay
from libs.outbound import OutboundPolicy, outbound_client
from reviewguard.events.v1 import events_pb2
from services.nlp import repository
from services.nlp.app import MIGRATIONS, SCHEMA
from services.nlp.service import NlpService
from services.nlp.translation.worker import OUTBOX_CHANNEL, TranslationWorker
from tests.helpers import eventually
from tests.services.nlp.test_service import delivery
from tests.services.nlp.translation.fakes import DEEPL_KEY, LIBRE_KEY, FakeProviders, fake_translation


@pytest.fixture
async def parts(database_url: str, bus: Bus, analyzer):
    await db.migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await db.create_pool(database_url, schema=SCHEMA)
    executor = ThreadPoolExecutor(max_workers=1)
    box = SecretBox([SecretBox.new_key()])
    # NOTE: the fake providers listen on 127.0.0.1, allow-listed by host.
    outbound = OutboundPolicy(["127.0.0.1"])
    async with outbound_client(outbound) as http:
        worker = TranslationWorker(pool=pool, box=box, http=http)
        service = NlpService(
            pool=pool, analyzer=analyzer, executor=executor, bus=bus, box=box, on_translations_queued=worker.wake.set,
            outbound=outbound,
        )
        yield service, worker, pool
    await pool.close()
    executor.shutdown()


async def translated_events(bus: Bus) -> list:
    info = await bus.jetstream.stream_info(topology.REVIEWS.name)
    messages = [await bus.jetstream.get_msg(topology.REVIEWS.name, s) for s in range(info.state.first_seq, info.state.last_seq + 1)]
    return [events_pb2.ReviewTranslated.FromString(m.data) for m in messages if m.subject == topology.REVIEW_TRANSLATED]


def review_of(tenant: str, external_id: str, text_in: str):
    item = delivery(f"{tenant}-{external_id}", text_in)
    item.message.review.tenant_id = tenant
    return item


def libre(url: str, **retry) -> str:
    return json.dumps({
        "enabled": True, "target": "en",
        "provider": {"provider": "libretranslate", "base_url": url, "api_key": LIBRE_KEY},
        "retry": {"max_attempts": 1, "initial_wait_s": 0, "jitter_s": 0, **retry},
    })


async def test_a_tenant_with_translation_gets_its_foreign_reviews_translated_originals_kept(parts, providers: FakeProviders, bus: Bus) -> None:
    service, worker, pool = parts
    tenant, other = str(uuid.uuid4()), str(uuid.uuid4())
    view = json.loads((await service.tenant_settings.put_translation_settings(tenant, libre(providers.url))).settings_json)
    assert view["enabled"] and view["provider"]["api_key_set"] and LIBRE_KEY not in json.dumps(view)

    batch = [review_of(tenant, "de", "de"), review_of(tenant, "en", "en"), review_of(tenant, "ja", "ja"), review_of(other, "fr", "fr")]
    await service.handle_ingested(batch)
    assert worker.wake.is_set()
    pending = await service.get(tenant, batch[0].message.review.id)
    assert pending.translation.status == "pending" and pending.translation.text == ""

    assert await worker.translate_due() == 2  # German and Japanese; English is the target already
    german = await service.get(tenant, batch[0].message.review.id)
    original = f"{batch[0].message.review.title}\n{batch[0].message.review.body}"
    assert german.translation.status == "done" and german.translation.provider == "libretranslate"
    assert german.translation.text == fake_translation(original, "en")
    assert (german.translation.source_language, german.translation.target_language) == ("de", "en")
    # The provider was told the detected source language, and got the API key.
    sent = {s.body["q"]: s.body for s in providers.seen}
    assert sent[original]["source"] == "de" and sent[original]["api_key"] == LIBRE_KEY
    assert not (await service.get(tenant, batch[1].message.review.id)).HasField("translation")
    # Each done translation is announced for the inbox's search, through the outbox.
    assert await OutboxRelay(pool=pool, bus=bus, channel=OUTBOX_CHANNEL, batch=100, poll_seconds=1).publish_pending() == 2
    announced = await translated_events(bus)
    assert {(e.review_id, e.text) for e in announced} >= {(batch[0].message.review.id, german.translation.text)}
    assert {e.tenant_id for e in announced} == {tenant}
    # Another tenant without translation: nothing sent anywhere.
    assert not (await service.get(other, batch[3].message.review.id)).HasField("translation")
    assert len(providers.seen) == 2


async def test_provider_outage_postpones_and_a_later_round_translates(parts, providers: FakeProviders) -> None:
    service, worker, pool = parts
    tenant = str(uuid.uuid4())
    await service.tenant_settings.put_translation_settings(tenant, libre(providers.url))
    item = review_of(tenant, "de", "de")
    providers.fail.append((503, {}))
    await service.handle_ingested([item])
    # Analysis and its announcement did not wait for the provider.
    assert (await service.get(tenant, item.message.review.id)).language == "de"
    await worker.translate_due()
    postponed = await service.get(tenant, item.message.review.id)
    assert postponed.translation.status == "pending" and "503" in postponed.translation.error
    async with pool.acquire() as conn:
        await conn.execute("UPDATE translations SET next_attempt_at = now()")  # the backoff has passed
    assert await worker.translate_due() == 1
    done = await service.get(tenant, item.message.review.id)
    assert done.translation.status == "done" and done.translation.error == ""


async def test_stored_settings_that_no_longer_validate_are_recorded_without_the_key(parts, providers: FakeProviders) -> None:
    service, worker, pool = parts
    tenant = str(uuid.uuid4())
    await service.tenant_settings.put_translation_settings(tenant, libre(providers.url))
    item = review_of(tenant, "de", "de")
    await service.handle_ingested([item])
    # NOTE: settings sealed by an older version (a provider since removed), key and all.
    stale = {"enabled": True, "target": "en", "provider": {"provider": "babelfish", "api_key": LIBRE_KEY}}
    async with pool.acquire() as conn:
        await repository.put_translation_settings(conn, uuid.UUID(tenant), service._box.seal(stale))  # noqa: SLF001 - the service's keys
    await worker.translate_due()
    translation = (await service.get(tenant, item.message.review.id)).translation
    assert "settings cannot be read" in translation.error and "provider" in translation.error, translation.error
    assert LIBRE_KEY not in translation.error


async def test_a_refused_key_fails_until_the_tenant_fixes_it(parts, providers: FakeProviders) -> None:
    service, worker, _ = parts
    tenant = str(uuid.uuid4())
    wrong = json.loads(libre(providers.url))
    wrong["provider"]["api_key"] = "not-the-key"
    await service.tenant_settings.put_translation_settings(tenant, json.dumps(wrong))
    item = review_of(tenant, "fr", "fr")
    await service.handle_ingested([item])
    await worker.translate_due()
    failed = await service.get(tenant, item.message.review.id)
    assert failed.translation.status == "failed" and "key" in failed.translation.error
    assert await worker.translate_due() == 0  # not retried on its own
    await service.tenant_settings.put_translation_settings(tenant, libre(providers.url))
    assert await worker.translate_due() == 1
    assert (await service.get(tenant, item.message.review.id)).translation.status == "done"


async def test_a_worker_that_dies_mid_call_leaves_nothing_behind(parts, providers: FakeProviders) -> None:
    service, worker, pool = parts
    tenant = str(uuid.uuid4())
    await service.tenant_settings.put_translation_settings(tenant, libre(providers.url))
    item = review_of(tenant, "es", "es")
    await service.handle_ingested([item])
    async with pool.acquire() as conn:
        leased = await repository.claim_translations(conn, limit=10, lease_seconds=300)  # then "dies"
        assert len(leased) == 1
        assert await worker.translate_due() == 0  # leased: no second worker takes it meanwhile
        await conn.execute("UPDATE translations SET next_attempt_at = now()")  # the lease ran out
    assert await worker.translate_due() == 1
    assert (await service.get(tenant, item.message.review.id)).translation.status == "done"


async def test_settings_are_validated_sealed_and_keys_never_shown(parts, providers: FakeProviders) -> None:
    service, _, pool = parts
    tenant = str(uuid.uuid4())
    off = json.loads((await service.tenant_settings.get_translation_settings(tenant)).settings_json)
    assert off["enabled"] is False and off["provider"] is None
    deepl = {"enabled": True, "target": "zh", "provider": {"provider": "deepl", "api_key": DEEPL_KEY, "base_url": providers.url}}
    await service.tenant_settings.put_translation_settings(tenant, json.dumps(deepl))
    async with pool.acquire() as conn:
        sealed = await conn.fetchval("SELECT translation FROM tenant_settings WHERE tenant_id = $1", uuid.UUID(tenant))
    assert DEEPL_KEY.encode() not in sealed
    # Editing what was read (no key in it) keeps the stored key.
    read = json.loads((await service.tenant_settings.get_translation_settings(tenant)).settings_json)
    read["target"] = "en"
    read["provider"].pop("api_key_set")
    await service.tenant_settings.put_translation_settings(tenant, json.dumps(read))
    item = review_of(tenant, "de", "de")
    await service.handle_ingested([item])
    async with outbound_client(OutboundPolicy(["127.0.0.1"])) as http:
        worker = TranslationWorker(pool=pool, box=service._box, http=http)  # noqa: SLF001 - the service's keys
        assert await worker.translate_due() == 1
    assert (await service.get(tenant, item.message.review.id)).translation.provider == "deepl"

    bad = [
        {"enabled": True, "provider": None},
        {"enabled": True, "provider": {"provider": "babelfish", "api_key": "x"}},
        {"enabled": True, "target": "english", "provider": deepl["provider"]},
        {"enabled": True, "provider": {"provider": "google"}},  # a new provider needs its key
    ]
    for body in bad:
        with pytest.raises(InvalidArgument):
            await service.tenant_settings.put_translation_settings(tenant, json.dumps(body))
    with pytest.raises(InvalidArgument):
        await service.tenant_settings.put_translation_settings(tenant, "{not json")
    assert json.loads((await service.tenant_settings.get_translation_settings(tenant)).settings_json)["provider"]["provider"] == "deepl"


async def test_turning_translation_on_translates_the_last_days_reviews_too(parts, providers: FakeProviders) -> None:
    service, worker, pool = parts
    tenant, other = str(uuid.uuid4()), str(uuid.uuid4())
    before = [review_of(tenant, lang, lang) for lang in ("de", "ja", "en", "fr")] + [review_of(other, "es", "es")]
    await service.handle_ingested(before)  # translation still off: nothing queued, nothing sent
    old_fr = uuid.UUID(before[3].message.review.id)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE analyses SET analyzed_at = now() - interval '10 days' WHERE review_id = $1", old_fr)

    settings = json.loads(libre(providers.url))
    settings["backfill_days"] = 0
    await service.tenant_settings.put_translation_settings(tenant, json.dumps(settings))
    assert await worker.translate_due() == 0  # 0 days: only reviews analysed from now on

    worker.wake.clear()
    settings["backfill_days"] = 7
    view = json.loads((await service.tenant_settings.put_translation_settings(tenant, json.dumps(settings))).settings_json)
    assert view["backfill_days"] == 7 and worker.wake.is_set()
    assert await worker.translate_due() == 2  # German and Japanese of this week; English is the target
    german = await service.get(tenant, before[0].message.review.id)
    assert german.translation.status == "done" and german.translation.target_language == "en"
    assert not (await service.get(tenant, before[3].message.review.id)).HasField("translation")  # 10 days old
    assert not (await service.get(other, before[4].message.review.id)).HasField("translation")  # other tenant

    # Saving again changes nothing already done; a new target re-translates into it.
    await service.tenant_settings.put_translation_settings(tenant, json.dumps(settings))
    assert await worker.translate_due() == 0
    settings["target"] = "de"
    await service.tenant_settings.put_translation_settings(tenant, json.dumps(settings))
    assert await worker.translate_due() == 2  # Japanese again, English now; German is the new target
    japanese = await service.get(tenant, before[1].message.review.id)
    assert japanese.translation.target_language == "de" and japanese.translation.status == "done"
    english = await service.get(tenant, before[2].message.review.id)
    assert english.translation.text == fake_translation(
        f"{before[2].message.review.title}\n{before[2].message.review.body}", "de"
    )
    # The German review is now in the working language: its English translation is dropped.
    assert not (await service.get(tenant, before[0].message.review.id)).HasField("translation")


async def test_backfill_window_is_validated(parts, providers: FakeProviders) -> None:
    service, _, _ = parts
    tenant = str(uuid.uuid4())
    for days in (-1, 91, "many"):
        body = json.loads(libre(providers.url))
        body["backfill_days"] = days
        with pytest.raises(InvalidArgument):
            await service.tenant_settings.put_translation_settings(tenant, json.dumps(body))
    assert json.loads((await service.tenant_settings.get_translation_settings(tenant)).settings_json)["enabled"] is False


@pytest.mark.parametrize("base_url", ["http://169.254.169.254/", "http://192.168.0.10:5000", "http://localhost:5000"])
async def test_a_provider_url_pointing_inside_is_refused_naming_the_field(parts, base_url: str) -> None:
    service, _, _ = parts
    with pytest.raises(InvalidArgument) as refused:
        await service.tenant_settings.put_translation_settings(str(uuid.uuid4()), libre(base_url))
    assert [v.field for v in refused.value.violations] == ["provider.base_url"]


async def test_a_translation_stored_while_nats_is_down_is_announced_once_when_it_is_back(
    parts, providers: FakeProviders, nats_server
) -> None:
    """reviews.translated is written with the translation (the outbox), so the inbox's search gets it."""
    service, worker, pool = parts
    tenant = str(uuid.uuid4())
    await service.tenant_settings.put_translation_settings(tenant, libre(providers.url))
    batch = [review_of(tenant, "de", "de"), review_of(tenant, "ja", "ja")]
    await service.handle_ingested(batch)

    nats_server.kill()
    assert await worker.translate_due() == 2
    german = await service.get(tenant, batch[0].message.review.id)
    assert german.translation.status == "done"
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 2, "the events wait beside the translations"

    nats_server.start()
    bus = await Bus.connect(nats_server.url, name="relay", duplicate_window_seconds=60)
    try:
        await bus.ensure_streams()
        relay = OutboxRelay(pool=pool, bus=bus, channel=OUTBOX_CHANNEL, batch=100, poll_seconds=0.1)
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        async with pool.acquire() as conn:
            await eventually(lambda: conn.fetchval("SELECT count(*) = 0 FROM outbox"), timeout=30)
        stop.set()
        await task
        # NOTE: a second relay round (another replica, a restart) finds nothing left to send.
        assert await relay.publish_pending() == 0
        announced = await translated_events(bus)
        assert sorted(e.review_id for e in announced) == sorted(m.message.review.id for m in batch), "each exactly once"
        assert {e.text for e in announced if e.review_id == batch[0].message.review.id} == {german.translation.text}
    finally:
        await bus.close()
