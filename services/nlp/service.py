"""NLP domain logic: analyse reviews once per version, store, and say so on the bus."""

from __future__ import annotations

import asyncio
import logging
import uuid
from concurrent.futures import Executor

import asyncpg
from opentelemetry import trace

from libs import topology
from libs.bus import Bus, Delivery
from libs.errors import NotFound, require_uuid
from reviewguard.events.v1 import events_pb2
from reviewguard.nlp.v1 import analysis_pb2
from services.nlp import repository
from services.nlp.analyzer import Analyzer, TextAnalysis, review_text

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


def to_proto(result: TextAnalysis, *, review_id: str = "", tenant_id: str = "", version: str) -> analysis_pb2.Analysis:
    return analysis_pb2.Analysis(
        review_id=review_id,
        tenant_id=tenant_id,
        language=result.language,
        language_confidence=result.language_confidence,
        risk_terms=[analysis_pb2.RiskTerm(term=h.term, category=h.category, language=h.language) for h in result.risk_hits],
        malicious_candidate=result.malicious_candidate,
        aspects=result.aspects,
        analyzer_version=version,
    )


class NlpService:
    """Analyses ingested reviews. CPU work runs in `executor`, never on the event loop."""

    def __init__(self, *, pool: asyncpg.Pool, analyzer: Analyzer, executor: Executor, bus: Bus | None = None) -> None:
        self._pool = pool
        self._analyzer = analyzer
        self._executor = executor
        self._bus = bus

    async def analyze_texts(self, texts: list[str]) -> list[analysis_pb2.Analysis]:
        loop = asyncio.get_running_loop()
        results = await loop.run_in_executor(self._executor, self._analyzer.analyze, texts)
        return [to_proto(r, version=self._analyzer.version) for r in results]

    async def handle_ingested(self, batch: list[Delivery[events_pb2.ReviewIngested]]) -> None:
        """Analyses the reviews of a batch not analysed yet at their version; publishes every one."""
        assert self._bus is not None, "handle_ingested needs a bus"
        reviews = [d.message.review for d in batch]
        keys = [(uuid.UUID(r.id), r.version) for r in reviews]
        async with self._pool.acquire() as conn:
            done = await repository.find_done(conn, keys)
        todo = [r for r in reviews if uuid.UUID(r.id) not in done]
        if todo:
            analyses = await self.analyze_texts([review_text(r.title, r.body) for r in todo])
            for review, analysis in zip(todo, analyses):
                analysis.review_id, analysis.tenant_id = review.id, review.tenant_id
            async with self._pool.acquire() as conn, conn.transaction():
                for row in await repository.upsert(conn, [(r.version, a) for r, a in zip(todo, analyses)]):
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

    async def _announce(self, delivery: Delivery[events_pb2.ReviewIngested], row) -> None:
        review = delivery.message.review
        with tracer.start_as_current_span("nlp.review_analyzed", context=delivery.context) as span:
            span.set_attribute("review.id", review.id)
            event = events_pb2.ReviewAnalyzed(review=review, analysis=repository.to_proto(row))
            await self._bus.publish(topology.REVIEW_ANALYZED, event, msg_id=f"analyzed:{review.id}:v{row['review_version']}")

    async def get(self, tenant_id: str, review_id: str) -> analysis_pb2.Analysis:
        tenant = require_uuid(tenant_id, field="tenant_id")
        review = require_uuid(review_id, field="review_id")
        async with self._pool.acquire() as conn:
            row = await repository.get(conn, tenant, review)
        if row is None:
            raise NotFound(f"no analysis for review {review_id} yet")
        return repository.to_proto(row)
