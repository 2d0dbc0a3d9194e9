"""The reporting read model over a real, migrated alerting schema."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from libs import db, topology
from libs.bus import Delivery
from libs.telemetry import extract_context
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import review_pb2
from reviewguard.nlp.v1 import analysis_pb2
from services.alerting import app as alerting_app
from services.alerting.reporting.grpc_api import ReportingServicer
from services.alerting.reporting.models import PageTokens
from services.alerting.reporting.service import ReportingService


@pytest.fixture
async def pool(database_url: str):
    await db.migrate(database_url, schema=alerting_app.SCHEMA, directory=alerting_app.MIGRATIONS)
    pool = await db.create_pool(database_url, schema=alerting_app.SCHEMA)
    yield pool
    await pool.close()


@pytest.fixture
def service(pool) -> ReportingService:
    return ReportingService(pool=pool, page_tokens=PageTokens(b"test-secret"))


@pytest.fixture
def servicer(service) -> ReportingServicer:
    return ReportingServicer(service)


def delivery(message) -> Delivery:
    return Delivery(
        message=message, subject=topology.REVIEW_ANALYZED, headers={}, context=extract_context({}), deliveries=1,
        stream_sequence=0, raw=None,
    )


def analyzed(
    tenant: str, *, posted_at: datetime, rating: int = 1, score: float | None = None, aspects=(), language: str = "en",
    title: str = "t", body: str = "b", version: int = 1, review_id: str | None = None, risk=(), **fields,
) -> events_pb2.ReviewAnalyzed:
    review = review_pb2.Review(
        id=review_id or str(uuid.uuid4()), tenant_id=tenant, rating=rating, title=title, body=body, version=version,
        platform=fields.pop("platform", "amazon"), marketplace=fields.pop("marketplace", "US"),
        product_id=fields.pop("product_id", "P1"), external_id=str(uuid.uuid4()), **fields,
    )
    review.posted_at.FromDatetime(posted_at.astimezone(timezone.utc))
    analysis = analysis_pb2.Analysis(
        review_id=review.id, tenant_id=tenant, language=language, aspects=list(aspects),
        risk_terms=[analysis_pb2.RiskTerm(term=c, category=c) for c in risk],
    )
    if score is not None:
        analysis.negative_score = score
    return events_pb2.ReviewAnalyzed(review=review, analysis=analysis)
