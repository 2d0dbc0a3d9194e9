"""NLP domain logic: analyse reviews once per version, add the tenant's history signals, store, announce."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import timedelta, timezone

import asyncpg
from opentelemetry import trace
from pydantic import ValidationError

from libs import topology
from libs.bus import Bus, Delivery
from libs.crypto import SecretBox
from libs.db import get_for_tenant
from libs.outbound import OutboundPolicy
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import review_pb2
from reviewguard.nlp.v1 import analysis_pb2
from services.nlp import marketplaces, repository
from services.nlp.analyzer import Analyzer, TenantLexicons, TextAnalysis, review_text
from services.nlp.aspects import AspectTagger
from services.nlp.duplicates.index import DuplicateIndex
from services.nlp.duplicates.signature import values_from_bytes
from services.nlp.language import LanguageDetector, ScopedDetectors
from services.nlp.metrics import NlpMetrics
from services.nlp.model_registry import ModelRegistry
from services.nlp.suspicion.models import BurstStats, ReviewerHistory, Signals
from services.nlp.suspicion.score import score as suspicion_score
from services.nlp.suspicion.signals import CompetitorMatcher
from services.nlp.tenant_settings import TENANT_TAGS, TenantSettingsService
from services.nlp.translation.config import TranslationSettings

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

BURST_WINDOW_HOURS = 24.0
# Stored signatures read per query when a near-duplicate index catches up or is rebuilt.
CATCH_UP_PAGE = 20_000
# A catch-up of more rows than this (a rebuild) runs in the executor.
INLINE_CATCH_UP = 1_000
# Suspicion reasons that are evidence of an attack (Analysis.malicious), not just a weak signal.
ATTACK_EVIDENCE = {"near_duplicate", "competitor_brand", "competitor_cue"}


def to_proto(result: TextAnalysis, *, review_id: str = "", tenant_id: str = "", version: str) -> analysis_pb2.Analysis:
    analysis = analysis_pb2.Analysis(
        review_id=review_id,
        tenant_id=tenant_id,
        language=result.language,
        language_confidence=result.language_confidence,
        risk_terms=[analysis_pb2.RiskTerm(term=h.term, category=h.category, language=h.language) for h in result.risk_hits],
        malicious_candidate=result.malicious_candidate,
        aspects=result.aspects,
        star_probs=result.star_probs,
        analyzer_version=version,
    )
    if result.stars is not None:
        analysis.predicted_stars = result.stars
    if result.negative is not None:
        analysis.negative_score = result.negative
    return analysis


class NlpService:
    """Analyses ingested reviews. CPU work runs in `executor`, never on the event loop."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        analyzer: Analyzer,
        executor: Executor,
        bus: Bus | None = None,
        models: ModelRegistry | None = None,
        box: SecretBox | None = None,
        on_translations_queued: Callable[[], None] = lambda: None,
        outbound: OutboundPolicy | None = None,
        metrics: NlpMetrics | None = None,
    ) -> None:
        self._pool = pool
        self._metrics = metrics
        self._analyzer = analyzer
        self._executor = executor
        self._bus = bus
        self.models = models or ModelRegistry(None)
        self._box = box
        self._on_translations_queued = on_translations_queued
        self._detectors = ScopedDetectors(analyzer.default_detector)
        # NOTE: per-tenant state rebuilt from the database; the consumer is one task, so no locks.
        self._lexicons: dict[uuid.UUID, tuple[int, TenantLexicons]] = {}
        self._duplicates: dict[uuid.UUID, tuple[int, DuplicateIndex]] = {}
        self._translation: dict[uuid.UUID, tuple[bytes | None, TranslationSettings | None]] = {}
        self.tenant_settings = TenantSettingsService(
            pool=pool, box=box, outbound=outbound or OutboundPolicy(), languages=self.languages,
            detection_languages=lambda row: self._detector(row).codes, on_translations_queued=on_translations_queued,
        )

    @property
    def languages(self) -> list[str]:
        """Every language this deployment can detect (REVIEWGUARD_NLP_LANGUAGES)."""
        return list(self._analyzer.default_detector.codes)

    async def analyze_texts(self, texts: list[str]) -> list[analysis_pb2.Analysis]:
        loop = asyncio.get_running_loop()
        results = await loop.run_in_executor(self._executor, lambda: self._analyzer.analyze(texts, signatures=False))
        return [to_proto(r, version=self._analyzer.version()) for r in results]

    async def _tenant_lexicons(self, tenant: uuid.UUID, row: asyncpg.Record | None) -> TenantLexicons:
        if row is None:
            return self._analyzer.default_lexicons
        cached = self._lexicons.get(tenant)
        if cached and cached[0] == row["version"]:
            return cached[1]
        tags = TENANT_TAGS.validate_json(row["aspect_tags"])
        lexicons = TenantLexicons(
            aspects=AspectTagger.load(tenant_tags=tags), competitors=CompetitorMatcher(brands=json.loads(row["competitor_brands"]))
        )
        self._lexicons[tenant] = (row["version"], lexicons)
        return lexicons

    async def _duplicate_index(self, conn: asyncpg.Connection, tenant: uuid.UUID) -> tuple[int, DuplicateIndex]:
        """The tenant's index, caught up with every signature stored since it was last read.

        Call under `repository.lock_duplicates`: the tenant's samples are then written one transaction
        at a time (by this process or another replica), so `seq` order is commit order and none is skipped.
        """
        seq, index = self._duplicates.get(tenant, (0, None))
        index = index or DuplicateIndex()
        while True:
            # NOTE: in pages, so a rebuild of a large tenant never holds all its rows at once.
            rows = await repository.signatures_after(conn, tenant, seq, limit=CATCH_UP_PAGE)
            if rows:
                # NOTE: rows this process wrote itself come back once; re-adding an unchanged signature is a no-op.
                pairs = [(str(row["review_id"]), values_from_bytes(row["signature"])) for row in rows]
                if len(pairs) > INLINE_CATCH_UP:
                    # NOTE: a rebuild is CPU work (about 40 s for a million reviews): off the event loop,
                    # which keeps heartbeats and other batches' acks going. Only this task uses the index.
                    await asyncio.get_running_loop().run_in_executor(self._executor, index.add_many, pairs)
                else:
                    index.add_many(pairs)
                seq = rows[-1]["seq"]
            if len(rows) < CATCH_UP_PAGE:
                return seq, index

    async def handle_ingested(self, batch: list[Delivery[events_pb2.ReviewIngested]]) -> None:
        """Analyses the reviews of a batch not analysed yet at their version; publishes every one."""
        assert self._bus is not None, "handle_ingested needs a bus"
        reviews = [d.message.review for d in batch]
        async with self._pool.acquire() as conn:
            done = await repository.find_done(conn, [(uuid.UUID(r.id), r.version) for r in reviews])
        todo: dict[uuid.UUID, list[review_pb2.Review]] = defaultdict(list)
        for review in reviews:
            if uuid.UUID(review.id) not in done:
                todo[uuid.UUID(review.tenant_id)].append(review)
        for tenant, group in todo.items():
            for row in await self._analyze_and_store(tenant, group):
                done[row["review_id"]] = row
        # NOTE: publish for every message, also those analysed before a crash: the event may not
        # have gone out then, and JetStream drops the duplicate by its message id.
        announcements = []
        for delivery in batch:
            row = done.get(uuid.UUID(delivery.message.review.id))
            if row is not None and row["review_version"] == delivery.message.review.version:
                announcements.append(self._announce(delivery, row))
            # else: a newer version was stored meanwhile; its own message announces it
        await asyncio.gather(*announcements)

    async def _tenant_settings(self, conn: asyncpg.Connection, tenant: uuid.UUID, reviews: list[review_pb2.Review]):
        """The tenant's settings row, after learning the marketplaces of `reviews` it had not seen."""
        row = await repository.get_tenant_settings(conn, tenant)
        seen = {r.marketplace for r in reviews if r.marketplace}
        if seen - set(row["marketplaces"] if row is not None else ()):
            row = await repository.learn_marketplaces(conn, tenant, sorted(seen)) or await repository.get_tenant_settings(conn, tenant)
        return row

    def _detector(self, row: asyncpg.Record | None) -> LanguageDetector:
        if row is None:
            return self._detectors.universe
        return self._detectors.get(marketplaces.scope(row["marketplaces"], row["extra_languages"], self.languages))

    def _translation_settings(self, tenant: uuid.UUID, row: asyncpg.Record | None) -> TranslationSettings | None:
        """The tenant's translation settings when translation is on, else None."""
        sealed = row["translation"] if row is not None else None
        cached = self._translation.get(tenant)
        if cached is None or cached[0] != sealed:
            settings = None
            if sealed is not None and self._box is not None:
                try:
                    settings = TranslationSettings.model_validate(self._box.open(sealed))
                except (ValueError, ValidationError):
                    log.exception("translation settings of tenant %s cannot be read; not translating", tenant)
            cached = self._translation[tenant] = (sealed, settings)
        return cached[1] if cached[1] is not None and cached[1].enabled else None

    async def _analyze_and_store(self, tenant: uuid.UUID, reviews: list[review_pb2.Review]) -> list[asyncpg.Record]:
        async with self._pool.acquire() as conn:
            settings = await self._tenant_settings(conn, tenant, reviews)
            lexicons = await self._tenant_lexicons(tenant, settings)
            detector = self._detector(settings)
            translation = self._translation_settings(tenant, settings)
            model = self.models.for_tenant(tenant)
            texts = [review_text(r.title, r.body) for r in reviews]
            loop = asyncio.get_running_loop()
            with tracer.start_as_current_span("nlp.models", attributes={"reviews": len(texts)}):
                started = time.perf_counter()
                results = await loop.run_in_executor(
                    self._executor, lambda: self._analyzer.analyze(texts, model=model, lexicons=lexicons, detector=detector)
                )
            if self._metrics is not None:
                self._metrics.observe_batch(len(texts), time.perf_counter() - started)
            latest = max(r.posted_at.ToDatetime(tzinfo=timezone.utc) for r in reviews)
            bursts = await repository.burst_counts(
                conn, tenant, sorted({r.product_id for r in reviews}), latest - timedelta(hours=BURST_WINDOW_HOURS),
                BURST_WINDOW_HOURS,
            )
            history = await repository.reviewer_history(conn, tenant, sorted({r.reviewer.id for r in reviews}))
            queued = [
                (uuid.UUID(review.id), tenant, review.version, result.language, translation.target)
                for review, result in zip(reviews, results)
                if translation is not None and result.language not in (translation.target, "und")
            ]
            try:
                async with conn.transaction():
                    await repository.lock_duplicates(conn, tenant)
                    seq, index = await self._duplicate_index(conn, tenant)
                    signed = [(r.id, values_from_bytes(res.signature)) for r, res in zip(reviews, results) if res.signature]
                    clusters = dict(zip((rid for rid, _ in signed), index.add_many(signed)))
                    analyses, samples = self._build(tenant, model, reviews, texts, results, clusters, bursts, history)
                    rows = await repository.upsert(conn, analyses)
                    seq = await repository.store_samples(conn, samples) or seq
                    await repository.queue_translations(conn, queued)
            except BaseException:
                # NOTE: the index may hold reviews whose transaction did not commit; the next batch rebuilds it.
                self._duplicates.pop(tenant, None)
                raise
            self._duplicates[tenant] = (seq, index)
        if queued:
            self._on_translations_queued()
        return rows

    def _build(self, tenant, model, reviews, texts, results, clusters, bursts, history) -> tuple[list, list[dict]]:
        """Each review's analysis with its history signals, and the sample row kept of it."""
        analyses, samples = [], []
        for review, text, result in zip(reviews, texts, results):
            cluster, size = clusters.get(review.id, (None, 0))
            recent, usual = bursts.get(review.product_id, (0, 0.0))
            reviews_before, negative_before = history.get(review.reviewer.id, (0, 0)) if review.reviewer.id else (0, 0)
            signals = Signals(
                generic=result.generic,
                near_duplicates=size - 1 if cluster else 0,
                burst=BurstStats(in_window=recent + 1, window_hours=BURST_WINDOW_HOURS, usual_in_window=usual),
                reviewer=ReviewerHistory(reviews=reviews_before, negative=negative_before) if review.reviewer.id else None,
                competitor=result.competitor,
            )
            suspicion = suspicion_score(signals)
            analysis = to_proto(result, review_id=review.id, tenant_id=review.tenant_id, version=self._analyzer.version(model))
            analysis.suspicion = suspicion.score
            analysis.suspicion_reasons.extend(f"{r.code}: {r.text}" for r in suspicion.reasons)
            if cluster:
                analysis.duplicate_cluster_id = cluster
                analysis.duplicate_cluster_size = size
            # NOTE: attack evidence, never angry words: near-identical company or a competitor
            # named, on a negative review. Risk terms only make a malicious_candidate (SPEC §3).
            evidence = [r for r in suspicion.reasons if r.code in ATTACK_EVIDENCE] if review.rating <= 2 else []
            if evidence:
                analysis.malicious = True
                analysis.malicious_reasons.extend(r.text for r in evidence)
            analyses.append((review.version, analysis))
            samples.append(
                {
                    "review_id": uuid.UUID(review.id), "tenant_id": tenant, "product_id": review.product_id,
                    "reviewer_id": review.reviewer.id, "rating": review.rating, "language": result.language,
                    "posted_at": review.posted_at.ToDatetime(tzinfo=timezone.utc), "text": text,
                    "signature": result.signature or None, "cluster_id": uuid.UUID(cluster) if cluster else None,
                }
            )
        return analyses, samples

    async def _announce(self, delivery: Delivery[events_pb2.ReviewIngested], row) -> None:
        review = delivery.message.review
        with tracer.start_as_current_span("nlp.review_analyzed", context=delivery.context) as span:
            span.set_attribute("review.id", review.id)
            event = events_pb2.ReviewAnalyzed(review=review, analysis=repository.to_proto(row))
            await self._bus.publish(topology.REVIEW_ANALYZED, event, msg_id=f"analyzed:{review.id}:v{row['review_version']}")

    async def get(self, tenant_id: str, review_id: str) -> analysis_pb2.Analysis:
        row = await get_for_tenant(
            self._pool, repository.get, tenant_id=tenant_id, item_id=review_id, field="review_id",
            missing=f"no analysis for review {review_id} yet",
        )
        return repository.to_proto(row)
