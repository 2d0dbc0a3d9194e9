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
        duplicate_cluster_id=row["duplicate_cluster_id"],
        duplicate_cluster_size=row["duplicate_cluster_size"],
        malicious=row["malicious"],
        malicious_reasons=list(row["malicious_reasons"]),
    )
    if row["predicted_stars"] is not None:
        analysis.predicted_stars = row["predicted_stars"]
    if row["negative_score"] is not None:
        analysis.negative_score = row["negative_score"]
    analysis.analyzed_at.FromDatetime(row["analyzed_at"])
    # NOTE: only `get` joins the translation; rows straight from `analyses` have none of its columns.
    if row.get("translation_status") is not None:
        analysis.translation.CopyFrom(
            analysis_pb2.Translation(
                text=row["translation_text"] or "", source_language=row["translation_source"],
                target_language=row["translation_target"], provider=row["translation_provider"],
                status=row["translation_status"], error=row["translation_error"],
            )
        )
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


_ANALYSIS_COLUMNS = [
    ("review_id", "uuid"), ("tenant_id", "uuid"), ("review_version", "integer"), ("language", "text"),
    ("language_confidence", "real"), ("risk_terms", "jsonb"), ("malicious_candidate", "boolean"),
    ("predicted_stars", "smallint"), ("star_probs", "real[]"), ("negative_score", "real"), ("aspects", "text[]"),
    ("suspicion", "real"), ("suspicion_reasons", "text[]"), ("analyzer_version", "text"),
    ("duplicate_cluster_id", "text"), ("duplicate_cluster_size", "integer"), ("malicious", "boolean"),
    ("malicious_reasons", "text[]"),
]  # fmt: skip
_ANALYSIS_NAMES = [name for name, _ in _ANALYSIS_COLUMNS]
_UPDATED = [name for name in _ANALYSIS_NAMES if name not in ("review_id", "tenant_id")]
# NOTE: a batch's analyses are COPYed into a temporary table (emptied at commit) and stored by one
# statement: a round trip per analysis was most of the consumer's time with the database.
_CREATE_ANALYSIS_STAGING = f"""
CREATE TEMP TABLE IF NOT EXISTS analysis_staging ({", ".join(f"{n} {kind}" for n, kind in _ANALYSIS_COLUMNS)})
ON COMMIT DELETE ROWS
"""
_UPSERT_STAGED = f"""
WITH staged AS (DELETE FROM analysis_staging RETURNING *)
INSERT INTO analyses ({", ".join(_ANALYSIS_NAMES)})
SELECT {", ".join(_ANALYSIS_NAMES)} FROM staged
ON CONFLICT (review_id) DO UPDATE SET
    {", ".join(f"{n} = EXCLUDED.{n}" for n in _UPDATED)},
    analyzed_at = now(), runs = analyses.runs + 1
WHERE analyses.review_version < EXCLUDED.review_version
RETURNING *
"""


async def upsert(conn: asyncpg.Connection, analyses: Sequence[tuple[int, analysis_pb2.Analysis]]) -> list[asyncpg.Record]:
    """Stores (review version, analysis) pairs; an older version never overwrites a newer one.

    Returns the rows written (new, or replacing an older version); the staging table is left empty.
    """
    if not analyses:
        return []
    # NOTE: one statement may not touch a row twice: of a review's versions in one batch the newest
    # is stored, which is what storing them one after another left.
    newest: dict[str, tuple[int, analysis_pb2.Analysis]] = {}
    for version, a in analyses:
        if a.review_id not in newest or newest[a.review_id][0] < version:
            newest[a.review_id] = (version, a)
    records = [
        (
            uuid.UUID(a.review_id), uuid.UUID(a.tenant_id), version, a.language, a.language_confidence,
            json.dumps([{"term": t.term, "category": t.category, "language": t.language} for t in a.risk_terms]),
            a.malicious_candidate, a.predicted_stars if a.HasField("predicted_stars") else None,
            list(a.star_probs) or None, a.negative_score if a.HasField("negative_score") else None,
            list(a.aspects), a.suspicion, list(a.suspicion_reasons), a.analyzer_version, a.duplicate_cluster_id,
            a.duplicate_cluster_size, a.malicious, list(a.malicious_reasons),
        )
        for version, a in newest.values()
    ]  # fmt: skip
    await conn.execute(_CREATE_ANALYSIS_STAGING)
    await conn.copy_records_to_table("analysis_staging", records=records, columns=_ANALYSIS_NAMES, schema_name="pg_temp")
    return await conn.fetch(_UPSERT_STAGED)


async def get(conn: asyncpg.Connection, tenant_id: uuid.UUID, review_id: uuid.UUID) -> asyncpg.Record | None:
    """An analysis with its translation, if one was asked for (of the analysed version only)."""
    return await conn.fetchrow(
        """SELECT a.*, t.text AS translation_text, t.source_language AS translation_source,
                  t.target_language AS translation_target, t.provider AS translation_provider,
                  t.status AS translation_status, t.last_error AS translation_error
           FROM analyses a
           LEFT JOIN translations t ON t.review_id = a.review_id AND t.review_version = a.review_version
           WHERE a.tenant_id = $1 AND a.review_id = $2""",
        tenant_id,
        review_id,
    )


async def store_samples(conn: asyncpg.Connection, samples: Sequence[dict]) -> int | None:
    """Keeps what was analysed (latest text wins) for signals and retraining; the highest `seq` written.

    A changed row takes a new `seq`, so another replica's near-duplicate index reads the edit too.
    """
    if not samples:
        return None
    # NOTE: one statement may not touch a row twice; the last sample of a review wins, as it did row by row.
    samples = list({s["review_id"]: s for s in samples}.values())
    return await conn.fetchval(
        """WITH stored AS (
               INSERT INTO review_samples (review_id, tenant_id, product_id, reviewer_id, rating, language, posted_at,
                                           text, signature, cluster_id)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::smallint[], $6::text[],
                                    $7::timestamptz[], $8::text[], $9::bytea[], $10::uuid[])
               ON CONFLICT (review_id) DO UPDATE SET rating = EXCLUDED.rating, language = EXCLUDED.language,
                   text = EXCLUDED.text, signature = EXCLUDED.signature, cluster_id = EXCLUDED.cluster_id,
                   seq = nextval(pg_get_serial_sequence('review_samples', 'seq'))
               RETURNING seq)
           SELECT max(seq) FROM stored""",
        *(list(column) for column in zip(*(
            (s["review_id"], s["tenant_id"], s["product_id"], s["reviewer_id"], s["rating"], s["language"],
             s["posted_at"], s["text"], s["signature"], s["cluster_id"])
            for s in samples
        ))),
    )


async def lock_duplicates(conn: asyncpg.Connection, tenant_id: uuid.UUID) -> None:
    """Serialises the tenant's near-duplicate step across replicas until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('nlp-duplicates:' || $1::text, 0))", str(tenant_id))


async def signatures_after(conn: asyncpg.Connection, tenant_id: uuid.UUID, seq: int, *, limit: int) -> list[asyncpg.Record]:
    """The tenant's first `limit` stored signatures after `seq`, in `seq` order."""
    return await conn.fetch(
        """SELECT seq, review_id, signature FROM review_samples
           WHERE tenant_id = $1 AND seq > $2 AND signature IS NOT NULL ORDER BY seq LIMIT $3""",
        tenant_id,
        seq,
        limit,
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


async def put_tenant_settings(
    conn: asyncpg.Connection, tenant_id: uuid.UUID, *, aspect_tags: list, competitor_brands: list, extra_languages: list[str]
) -> int:
    return await conn.fetchval(
        """INSERT INTO tenant_settings (tenant_id, aspect_tags, competitor_brands, extra_languages)
           VALUES ($1, $2::jsonb, $3::jsonb, $4)
           ON CONFLICT (tenant_id) DO UPDATE SET aspect_tags = EXCLUDED.aspect_tags,
               competitor_brands = EXCLUDED.competitor_brands, extra_languages = EXCLUDED.extra_languages,
               version = tenant_settings.version + 1, updated_at = now()
           RETURNING version""",
        tenant_id,
        json.dumps(aspect_tags, ensure_ascii=False),
        json.dumps(competitor_brands, ensure_ascii=False),
        extra_languages,
    )


async def learn_marketplaces(conn: asyncpg.Connection, tenant_id: uuid.UUID, marketplaces: list[str]) -> asyncpg.Record | None:
    """Adds marketplaces not seen before to the tenant's; the updated row, or None when none was new."""
    return await conn.fetchrow(
        """INSERT INTO tenant_settings (tenant_id, marketplaces) VALUES ($1, $2)
           ON CONFLICT (tenant_id) DO UPDATE SET
               marketplaces = (SELECT array_agg(DISTINCT m ORDER BY m)
                               FROM unnest(tenant_settings.marketplaces || EXCLUDED.marketplaces) AS m)
           WHERE NOT EXCLUDED.marketplaces <@ tenant_settings.marketplaces
           RETURNING *""",
        tenant_id,
        sorted(set(marketplaces)),
    )


async def put_translation_settings(conn: asyncpg.Connection, tenant_id: uuid.UUID, sealed: bytes | None) -> None:
    """Stores the sealed settings; translations that failed under the old ones get another chance."""
    await conn.execute(
        """INSERT INTO tenant_settings (tenant_id, translation) VALUES ($1, $2)
           ON CONFLICT (tenant_id) DO UPDATE SET translation = EXCLUDED.translation, updated_at = now()""",
        tenant_id,
        sealed,
    )
    if sealed is not None:
        await conn.execute(
            """UPDATE translations SET status = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
               WHERE tenant_id = $1 AND status = 'failed'""",
            tenant_id,
        )


async def backfill_translations(conn: asyncpg.Connection, tenant_id: uuid.UUID, target: str, days: int) -> int:
    """Queues the tenant's reviews analysed in the last `days` days that are not yet translated into
    `target` (never translated, or into another target before it changed); returns how many.
    Translations of reviews written in `target` itself are dropped."""
    # NOTE: reviews written in the (new) working language need no translation: an old one into
    # another target would only confuse the team reading them.
    await conn.execute("DELETE FROM translations WHERE tenant_id = $1 AND source_language = $2", tenant_id, target)
    if days <= 0:
        return 0
    status = await conn.execute(
        """INSERT INTO translations (review_id, tenant_id, review_version, source_language, target_language, status)
           SELECT a.review_id, a.tenant_id, a.review_version, a.language, $2, 'pending'
           FROM analyses a JOIN review_samples s ON s.review_id = a.review_id
           WHERE a.tenant_id = $1 AND a.analyzed_at > now() - make_interval(days => $3)
             AND a.language NOT IN ($2, 'und')
           ON CONFLICT (review_id) DO UPDATE SET review_version = EXCLUDED.review_version,
               source_language = EXCLUDED.source_language, target_language = EXCLUDED.target_language,
               status = 'pending', text = NULL, attempts = 0, last_error = '', next_attempt_at = now(), updated_at = now()
           WHERE translations.target_language <> EXCLUDED.target_language""",
        tenant_id,
        target,
        days,
    )
    return int(status.split()[-1])


async def queue_translations(conn: asyncpg.Connection, items: Sequence[tuple[uuid.UUID, uuid.UUID, int, str, str]]) -> None:
    """(review, tenant, version, source, target) to translate; a newer version replaces an older one."""
    await conn.executemany(
        """INSERT INTO translations (review_id, tenant_id, review_version, source_language, target_language, status)
           VALUES ($1, $2, $3, $4, $5, 'pending')
           ON CONFLICT (review_id) DO UPDATE SET review_version = EXCLUDED.review_version,
               source_language = EXCLUDED.source_language, target_language = EXCLUDED.target_language,
               status = 'pending', text = NULL, attempts = 0, last_error = '', next_attempt_at = now(), updated_at = now()
           WHERE translations.review_version < EXCLUDED.review_version""",
        items,
    )


async def claim_translations(conn: asyncpg.Connection, *, limit: int, lease_seconds: float) -> list[asyncpg.Record]:
    """Due translations with their texts, leased: a worker that dies mid-call leaves them due again."""
    return await conn.fetch(
        """WITH due AS (
               SELECT review_id FROM translations
               WHERE status = 'pending' AND next_attempt_at <= now()
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           UPDATE translations t
           SET attempts = t.attempts + 1, next_attempt_at = now() + make_interval(secs => $2), updated_at = now()
           FROM due, review_samples s
           WHERE t.review_id = due.review_id AND s.review_id = t.review_id
           RETURNING t.review_id, t.tenant_id, t.review_version, t.source_language, t.target_language, t.attempts, s.text""",
        limit,
        lease_seconds,
    )


async def finish_translations(conn: asyncpg.Connection, done: Sequence[tuple[uuid.UUID, int, str, str]]) -> None:
    """(review, version, text, provider) translated; a row requeued for a newer version is left alone."""
    await conn.executemany(
        """UPDATE translations SET status = 'done', text = $3, provider = $4, last_error = '', updated_at = now()
           WHERE review_id = $1 AND review_version = $2""",
        done,
    )


async def retry_translations(
    conn: asyncpg.Connection, review_ids: Sequence[uuid.UUID], *, error: str, delay_seconds: float | None
) -> None:
    """Records a failure: due again after `delay_seconds`, or failed for good when it is None."""
    await conn.execute(
        """UPDATE translations
           SET last_error = $2, updated_at = now(),
               status = CASE WHEN $3::float8 IS NULL THEN 'failed' ELSE 'pending' END,
               next_attempt_at = now() + make_interval(secs => coalesce($3::float8, 0))
           WHERE review_id = ANY($1::uuid[]) AND status = 'pending'""",
        list(review_ids),
        error[:500],
        delay_seconds,
    )
