"""All SQL of the NLP service."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

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
