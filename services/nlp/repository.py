"""All SQL of the NLP service."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from reviewguard.nlp.v1 import analysis_pb2


def to_proto(row: asyncpg.Record) -> analysis_pb2.Analysis:
    analysis = analysis_pb2.Analysis(
        review_id=str(row["review_id"]),
        tenant_id=str(row["tenant_id"]),
        language=row["language"],
        language_confidence=row["language_confidence"],
        risk_terms=[analysis_pb2.RiskTerm(**t) for t in json.loads(row["risk_terms"])],
        malicious_candidate=row["malicious_candidate"],
        star_probs=list(row["star_probs"] or []),
        aspects=list(row["aspects"]),
        suspicion=row["suspicion"],
        suspicion_reasons=list(row["suspicion_reasons"]),
        analyzer_version=row["analyzer_version"],
    )
    if row["predicted_stars"] is not None:
        analysis.predicted_stars = row["predicted_stars"]
    if row["negative_score"] is not None:
        analysis.negative_score = row["negative_score"]
    analysis.analyzed_at.FromDatetime(row["analyzed_at"])
    return analysis


async def find_done(conn: asyncpg.Connection, keys: Sequence[tuple[uuid.UUID, int]]) -> dict[uuid.UUID, asyncpg.Record]:
    """Stored analyses that already cover the given (review id, version) pairs."""
    rows = await conn.fetch(
        """SELECT a.* FROM analyses a
           JOIN unnest($1::uuid[], $2::int[]) AS k(review_id, version) ON a.review_id = k.review_id
           WHERE a.review_version >= k.version""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    return {row["review_id"]: row for row in rows}


async def upsert(conn: asyncpg.Connection, analyses: Sequence[tuple[int, analysis_pb2.Analysis]]) -> list[asyncpg.Record]:
    """Stores (review version, analysis) pairs; an older version never overwrites a newer one."""
    rows = []
    for version, a in analyses:
        row = await conn.fetchrow(
            """INSERT INTO analyses (review_id, tenant_id, review_version, language, language_confidence,
                   risk_terms, malicious_candidate, predicted_stars, star_probs, negative_score, aspects,
                   suspicion, suspicion_reasons, analyzer_version)
               VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14)
               ON CONFLICT (review_id) DO UPDATE SET
                   review_version = EXCLUDED.review_version, language = EXCLUDED.language,
                   language_confidence = EXCLUDED.language_confidence, risk_terms = EXCLUDED.risk_terms,
                   malicious_candidate = EXCLUDED.malicious_candidate, predicted_stars = EXCLUDED.predicted_stars,
                   star_probs = EXCLUDED.star_probs, negative_score = EXCLUDED.negative_score,
                   aspects = EXCLUDED.aspects, suspicion = EXCLUDED.suspicion,
                   suspicion_reasons = EXCLUDED.suspicion_reasons, analyzer_version = EXCLUDED.analyzer_version,
                   analyzed_at = now(), runs = analyses.runs + 1
               WHERE analyses.review_version < EXCLUDED.review_version
               RETURNING *""",
            uuid.UUID(a.review_id),
            uuid.UUID(a.tenant_id),
            version,
            a.language,
            a.language_confidence,
            json.dumps([{"term": t.term, "category": t.category, "language": t.language} for t in a.risk_terms]),
            a.malicious_candidate,
            a.predicted_stars if a.HasField("predicted_stars") else None,
            list(a.star_probs) or None,
            a.negative_score if a.HasField("negative_score") else None,
            list(a.aspects),
            a.suspicion,
            list(a.suspicion_reasons),
            a.analyzer_version,
        )
        if row is not None:
            rows.append(row)
    return rows


async def get(conn: asyncpg.Connection, tenant_id: uuid.UUID, review_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM analyses WHERE tenant_id = $1 AND review_id = $2", tenant_id, review_id)


async def store_samples(conn: asyncpg.Connection, samples: Sequence[dict]) -> None:
    """Keeps what was analysed (latest text wins) for signals and retraining."""
    await conn.executemany(
        """INSERT INTO review_samples (review_id, tenant_id, product_id, reviewer_id, rating, language, posted_at,
                                       text, signature, cluster_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (review_id) DO UPDATE SET rating = EXCLUDED.rating, language = EXCLUDED.language,
               text = EXCLUDED.text, signature = EXCLUDED.signature, cluster_id = EXCLUDED.cluster_id""",
        [
            (s["review_id"], s["tenant_id"], s["product_id"], s["reviewer_id"], s["rating"], s["language"],
             s["posted_at"], s["text"], s["signature"], s["cluster_id"])
            for s in samples
        ],
    )


async def signatures_after(conn: asyncpg.Connection, tenant_id: uuid.UUID, seq: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT seq, review_id, signature FROM review_samples
           WHERE tenant_id = $1 AND seq > $2 AND signature IS NOT NULL ORDER BY seq""",
        tenant_id,
        seq,
    )


async def burst_counts(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, product_ids: Sequence[str], since: datetime, window_hours: float
) -> dict[str, tuple[int, float]]:
    """Per product: reviews in the last window, and the usual count per window over 30 days before."""
    rows = await conn.fetch(
        """SELECT product_id,
                  count(*) FILTER (WHERE posted_at >= $3) AS recent,
                  count(*) FILTER (WHERE posted_at < $3 AND posted_at >= $3 - interval '30 days') AS history
           FROM review_samples
           WHERE tenant_id = $1 AND product_id = ANY($2::text[]) AND posted_at >= $3 - interval '30 days'
           GROUP BY product_id""",
        tenant_id,
        list(product_ids),
        since,
    )
    windows = 30 * 24 / window_hours
    return {r["product_id"]: (r["recent"], r["history"] / windows) for r in rows}


async def reviewer_history(conn: asyncpg.Connection, tenant_id: uuid.UUID, reviewer_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    rows = await conn.fetch(
        """SELECT reviewer_id, count(*) AS reviews, count(*) FILTER (WHERE rating <= 2) AS negative
           FROM review_samples WHERE tenant_id = $1 AND reviewer_id = ANY($2::text[]) GROUP BY reviewer_id""",
        tenant_id,
        [r for r in reviewer_ids if r],
    )
    return {r["reviewer_id"]: (r["reviews"], r["negative"]) for r in rows}


async def training_records(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT text, rating, language FROM review_samples WHERE tenant_id = $1 ORDER BY review_id", tenant_id
    )


async def save_model(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, version: str, onnx: bytes, metrics: dict, promoted: bool
) -> uuid.UUID:
    return await conn.fetchval(
        """INSERT INTO star_models (tenant_id, version, onnx, metrics, promoted) VALUES ($1, $2, $3, $4::jsonb, $5)
           RETURNING id""",
        tenant_id,
        version,
        onnx,
        json.dumps(metrics),
        promoted,
    )


async def promoted_models(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """The newest promoted model of each tenant (id and version only)."""
    return await conn.fetch(
        """SELECT DISTINCT ON (tenant_id) id, tenant_id, version FROM star_models WHERE promoted
           ORDER BY tenant_id, created_at DESC"""
    )


async def model_bytes(conn: asyncpg.Connection, model_id: uuid.UUID) -> bytes:
    return await conn.fetchval("SELECT onnx FROM star_models WHERE id = $1", model_id)


async def get_tenant_settings(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM tenant_settings WHERE tenant_id = $1", tenant_id)


async def put_tenant_settings(conn: asyncpg.Connection, tenant_id: uuid.UUID, *, aspect_tags: list, competitor_brands: list) -> int:
    return await conn.fetchval(
        """INSERT INTO tenant_settings (tenant_id, aspect_tags, competitor_brands) VALUES ($1, $2::jsonb, $3::jsonb)
           ON CONFLICT (tenant_id) DO UPDATE SET aspect_tags = EXCLUDED.aspect_tags,
               competitor_brands = EXCLUDED.competitor_brands, version = tenant_settings.version + 1, updated_at = now()
           RETURNING version""",
        tenant_id,
        json.dumps(aspect_tags, ensure_ascii=False),
        json.dumps(competitor_brands, ensure_ascii=False),
    )
