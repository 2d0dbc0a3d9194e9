"""The NLP consumer: each review analysed once per version, every analysis announced."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from libs import db, topology
from libs.bus import Bus, Delivery
from libs.telemetry import extract_context
from libs.errors import InvalidArgument
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import review_pb2
from services.nlp.app import MIGRATIONS, SCHEMA
from services.nlp.service import NlpService
from tests.helpers import make_review

TENANT = str(uuid.uuid4())


@pytest.fixture
async def service(database_url: str, bus: Bus, analyzer):
    await db.migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await db.create_pool(database_url, schema=SCHEMA)
    executor = ThreadPoolExecutor(max_workers=1)
    yield NlpService(pool=pool, analyzer=analyzer, executor=executor, bus=bus)
    await pool.close()
    executor.shutdown()


def delivery(external_id: str, text_in: str, version: int = 1, **fields) -> Delivery:
    review = make_review(external_id=external_id, text_in=text_in, **fields)
    review.id, review.tenant_id, review.version = str(uuid.uuid5(uuid.NAMESPACE_URL, external_id)), TENANT, version
    return Delivery(
        message=events_pb2.ReviewIngested(review=review), subject=topology.REVIEW_INGESTED, headers={},
        context=extract_context({}), deliveries=1, stream_sequence=0, raw=None,
    )


async def analyzed_events(bus: Bus) -> list[events_pb2.ReviewAnalyzed]:
    info = await bus.jetstream.stream_info(topology.REVIEWS.name)
    events = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        if info.state.messages:
            msg = await bus.jetstream.get_msg(topology.REVIEWS.name, seq)
            if msg.subject == topology.REVIEW_ANALYZED:
                events.append(events_pb2.ReviewAnalyzed.FromString(msg.data))
    return events


async def test_batch_is_analysed_stored_and_announced(service: NlpService, bus: Bus) -> None:
    batch = [delivery("de1", "de"), delivery("ja1", "ja"), delivery("zh1", "zh", title="假货", body="收到的是假货，已经坏了")]
    await service.handle_ingested(batch)
    events = await analyzed_events(bus)
    by_id = {e.review.external_id: e.analysis for e in events}
    assert {k: a.language for k, a in by_id.items()} == {"de1": "de", "ja1": "ja", "zh1": "zh"}
    assert {t.term for t in by_id["zh1"].risk_terms} >= {"假货", "坏了"}
    stored = await service.get(TENANT, batch[2].message.review.id)
    assert stored.language == "zh" and "+lexicon-2+" in stored.analyzer_version
    # The star model reads these one-star complaints as negative.
    assert all(e.analysis.predicted_stars <= 2 and e.analysis.negative_score > 0.7 for e in events)
    assert "damaged" in by_id["de1"].aspects


async def test_redelivered_batch_is_not_analysed_twice_and_not_announced_twice(service: NlpService, bus: Bus) -> None:
    batch = [delivery("a", "en"), delivery("b", "fr")]
    await service.handle_ingested(batch)
    await service.handle_ingested(batch)
    async with service._pool.acquire() as conn:  # noqa: SLF001 - checking storage directly
        runs = await conn.fetch("SELECT runs FROM analyses")
    assert [r["runs"] for r in runs] == [1, 1]
    assert len(await analyzed_events(bus)) == 2


async def test_new_version_is_reanalysed_but_an_old_one_never_overwrites_it(service: NlpService, bus: Bus) -> None:
    await service.handle_ingested([delivery("a", "en", version=1, rating=1)])
    await service.handle_ingested([delivery("a", "de", version=2, rating=4)])
    await service.handle_ingested([delivery("a", "en", version=1, rating=1)])
    stored = await service.get(TENANT, str(uuid.uuid5(uuid.NAMESPACE_URL, "a")))
    assert stored.language == "de"
    assert len(await analyzed_events(bus)) == 2


async def test_malicious_candidate_needs_three_distinct_risk_terms(service: NlpService) -> None:
    two, three = await service.analyze_texts(
        ["Fake and broken.", "Fake, counterfeit and it caught fire in the kitchen."]
    )
    assert (len(two.risk_terms), two.malicious_candidate) == (2, False)
    assert (len(three.risk_terms), three.malicious_candidate) == (3, True)


async def test_copied_texts_from_several_accounts_raise_suspicion(service: NlpService) -> None:
    text = "Terrible product, broke after one day, do not buy, waste of money, worst purchase ever made."
    batch = [delivery(f"copy{i}", "en", title="", body=text, reviewer=review_pb2.Reviewer(id=f"acct-{i}")) for i in range(4)]
    await service.handle_ingested(batch)
    last = await service.get(TENANT, batch[-1].message.review.id)
    assert last.suspicion > 0.3
    assert any("near" in reason.lower() or "duplicate" in reason.lower() for reason in last.suspicion_reasons)
    original = await service.get(TENANT, (await _first(service, batch)).message.review.id)
    assert original.suspicion <= last.suspicion


async def _first(service, batch):
    return batch[0]


async def test_tenant_tags_and_competitor_brands_apply_from_the_next_batch(service: NlpService) -> None:
    tags = [{"name": "heatwave", "language": "de", "keywords": ["hitzewelle"]}]
    stored = await service.tenant_settings.put_settings(TENANT, aspect_tags_json=json.dumps(tags), competitor_brands=["KettleKing"])
    assert stored.version == 1
    await service.handle_ingested([delivery("t1", "de", title="Hitzewelle", body="Bei der Hitzewelle kaputt gegangen, kauft lieber KettleKing.")])
    stored = await service.get(TENANT, str(uuid.uuid5(uuid.NAMESPACE_URL, "t1")))
    assert "heatwave" in stored.aspects
    assert any("KettleKing" in reason for reason in stored.suspicion_reasons)
    with pytest.raises(InvalidArgument):
        await service.tenant_settings.put_settings(TENANT, aspect_tags_json=json.dumps([{"name": "Bad Name!"}]), competitor_brands=[])
    assert (await service.tenant_settings.get_settings(TENANT)).version == 1


async def test_detection_is_limited_to_the_tenant_marketplaces_languages_plus_its_own(service: NlpService) -> None:
    tenant = str(uuid.uuid4())
    italian = {"title": "Bollitore rotto", "body": "Il bollitore perde acqua dopo due giorni, la plastica puzza. Molto deluso."}

    async def analyse(external_id: str):
        item = delivery(external_id, "de", marketplace="DE", **italian)
        item.message.review.tenant_id = tenant
        await service.handle_ingested([item])
        return await service.get(tenant, item.message.review.id)

    # A tenant selling only on amazon.de: German, English and the storefront's other languages.
    first = await analyse("it-1")
    settings = await service.tenant_settings.get_settings(tenant)
    assert list(settings.marketplaces) == ["DE"]
    assert set(settings.detection_languages) == {"de", "en"}  # the others are not in this deployment
    assert first.language != "it"
    # The seller adds Italian: from the next batch such reviews are read as Italian.
    await service.tenant_settings.put_settings(tenant, aspect_tags_json="[]", competitor_brands=[], extra_languages=["it"])
    assert (await analyse("it-2")).language == "it"
    with pytest.raises(InvalidArgument, match="klingon|tlh"):
        await service.tenant_settings.put_settings(tenant, aspect_tags_json="[]", competitor_brands=[], extra_languages=["tlh"])
    assert list((await service.tenant_settings.get_settings(tenant)).extra_languages) == ["it"]


async def test_a_second_replica_and_a_restart_find_the_clusters_the_first_one_made(
    service: NlpService, database_url: str, bus: Bus, analyzer, monkeypatch
) -> None:
    # The restarted replica rebuilds its index in pages of two rows, in the executor.
    monkeypatch.setattr("services.nlp.service.CATCH_UP_PAGE", 2)
    monkeypatch.setattr("services.nlp.service.INLINE_CATCH_UP", 1)
    text = "Arrived cracked, the base leaks and the switch stopped working on the second day. Avoid this seller."
    pool = await db.create_pool(database_url, schema=SCHEMA)
    executor = ThreadPoolExecutor(max_workers=1)
    replica = NlpService(pool=pool, analyzer=analyzer, executor=executor, bus=bus)
    try:
        first, second, third = (delivery(f"rep{i}", "en", title="", body=text + "!" * i) for i in range(3))
        await service.handle_ingested([first])
        await replica.handle_ingested([second])  # the replica never saw `first` in memory
        await service.handle_ingested([third])  # nor did this one see `second`
        restarted = NlpService(pool=pool, analyzer=analyzer, executor=executor, bus=bus)
        fourth = delivery("rep3", "en", title="", body=text + "?")
        await restarted.handle_ingested([fourth])
        got = [await service.get(TENANT, d.message.review.id) for d in (first, second, third, fourth)]
        cluster = first.message.review.id
        assert [(a.duplicate_cluster_id, a.duplicate_cluster_size) for a in got] == [
            ("", 0), (cluster, 2), (cluster, 3), (cluster, 4)
        ]
        # A redelivered batch changes no cluster (its signature is indexed already).
        await replica.handle_ingested([second, third])
        assert (await service.get(TENANT, third.message.review.id)).duplicate_cluster_id == cluster
    finally:
        await pool.close()
        executor.shutdown()
