"""SQL of review history: archived versions, rating changes and capture lag."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg


async def superseded_versions(
    conn: asyncpg.Connection, review_ids: Sequence[uuid.UUID], versions: Sequence[int]
) -> list[asyncpg.Record]:
    """The archived (review_id, version) rows, with the change that superseded each."""
    return await conn.fetch(
        """SELECT v.review_id, v.version, v.changed_fields, v.rating, v.status, v.superseded_at FROM review_versions v
           JOIN unnest($1::uuid[], $2::int[]) AS k(review_id, version)
             ON v.review_id = k.review_id AND v.version = k.version""",
        list(review_ids),
        list(versions),
    )


async def review_history(conn: asyncpg.Connection, tenant_id: uuid.UUID, review_id: uuid.UUID) -> list[asyncpg.Record]:
    """Archived versions of a review, oldest first, in the columns of `reviews` (id = the review's)."""
    return await conn.fetch(
        """SELECT v.review_id AS id, v.version, v.tenant_id, v.platform, v.marketplace, v.store_id, v.external_id,
                  v.product_id, v.product_line, v.order_id, v.reviewer_id, v.reviewer_name, v.rating, v.title,
                  v.body, v.language, v.posted_at, r.captured_at, v.verified_purchase, v.media_urls, v.reply_state,
                  v.competitor, v.status, v.recorded_at, v.changed_fields
           FROM review_versions v JOIN reviews r ON r.id = v.review_id
           WHERE v.tenant_id = $1 AND v.review_id = $2
           ORDER BY v.version""",
        tenant_id,
        review_id,
    )


async def rating_changes(
    conn: asyncpg.Connection,
    tenant_id: uuid.UUID,
    *,
    direction: str,
    since: datetime | None,
    review_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Versions superseded by one with another rating, newest change first."""
    return await conn.fetch(
        """SELECT review_id, platform, product_id, version AS from_version, version + 1 AS to_version,
                  rating AS old_rating, next_rating AS new_rating, superseded_at AS changed_at
           FROM review_versions
           WHERE tenant_id = $1 AND rating <> next_rating
             AND ($2 = '' OR ($2 = 'up' AND next_rating > rating) OR ($2 = 'down' AND next_rating < rating))
             AND ($3::timestamptz IS NULL OR superseded_at >= $3)
             AND ($4::uuid IS NULL OR review_id = $4)
             AND ($5::timestamptz IS NULL OR (superseded_at, review_id) < ($5, $6::uuid))
           ORDER BY superseded_at DESC, review_id DESC
           LIMIT $7""",
        tenant_id,
        direction,
        since,
        review_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def capture_lag(conn: asyncpg.Connection, tenant_id: uuid.UUID, since: datetime) -> list[asyncpg.Record]:
    """p50/p95/max of captured_at - posted_at per platform, channel and source, for reviews captured since."""
    return await conn.fetch(
        """SELECT platform, channel, coalesce(source_id::text, '') AS source_id, count(*) AS reviews,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) AS p50,
                  percentile_cont(0.95) WITHIN GROUP (ORDER BY lag) AS p95,
                  max(lag) AS max
           FROM (SELECT platform, channel, source_id,
                        greatest(0, extract(epoch FROM captured_at - posted_at))::float8 AS lag
                 FROM reviews WHERE tenant_id = $1 AND captured_at >= $2) AS captured
           GROUP BY platform, channel, source_id
           ORDER BY platform, channel, source_id""",
        tenant_id,
        since,
    )
