"""The review burst the end-to-end crash tests send, and the counts they check afterwards."""

from __future__ import annotations

import random

import asyncpg

from tests.helpers import REVIEW_TEXTS, recent

BATCHES = 8
PER_BATCH = 50


# Words a distinct English review body is drawn from (see `batch(distinct=True)`).
WORDS = (
    "kettle lid handle base cable switch water boil noise plastic smell crack leak steam button light filter spout "
    "morning kitchen counter box parcel courier week month day hour price money refund seller support reply email "
    "broken loose bent scratched dented heavy light quiet loud slow fast hot cold cheap expensive small large white "
    "black steel glass rubber seal hinge spring screw motor fan blade jug cup tea coffee soup pasta rice milk sugar "
    "tried returned ordered waited opened cleaned filled poured dropped fixed replaced asked called wrote shipped"
).split()


def batch(n: int, *, per_batch: int = PER_BATCH, prefix: str = "crash", distinct: bool = False) -> list[dict]:
    """One request's reviews; `distinct` gives each its own English wording, as real buyers write.

    NOTE: the default bodies differ only in a "#n-i" tag, so to the NLP service they are all
    near-duplicates of one another; thousands of them make one growing cluster that slows it down.
    """
    languages = list(REVIEW_TEXTS)
    rng = random.Random(f"{prefix}-{n}")
    reviews = []
    for i in range(per_batch):
        title, body = REVIEW_TEXTS["en" if distinct else languages[i % len(languages)]]
        if distinct:
            body = " ".join(rng.sample(WORDS, 18)).capitalize() + "."
        reviews.append(
            {
                "platform": "amazon", "marketplace": "DE", "external_id": f"{prefix}-{n}-{i}",
                "product_id": f"SKU-{i % 7}", "rating": 1 + i % 5, "title": title, "body": f"{body} #{n}-{i}",
                "posted_at": recent(),
            }
        )
    return reviews


async def counts(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM ingest.reviews) AS reviews,
                      (SELECT count(*) FROM nlp.analyses) AS analyses,
                      (SELECT count(*) FROM nlp.analyses WHERE runs > 1) AS reanalysed,
                      (SELECT count(*) FROM alerting.alerts WHERE rule = 'negative_review') AS alerts,
                      (SELECT count(*) FROM resolution.cases c JOIN alerting.alerts a ON a.id = c.alert_id
                        WHERE a.rule = 'negative_review') AS cases,
                      (SELECT count(*) FROM ingest.reviews WHERE rating <= 2) AS low_rated""",
        )
        return dict(row)
    finally:
        await conn.close()


async def duplicates(dsn: str) -> dict[str, int]:
    """Reviews alerted twice for one rule, and alerts with two cases: both must stay 0."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM (SELECT review_id FROM alerting.alerts WHERE review_id IS NOT NULL
                                             GROUP BY review_id, rule HAVING count(*) > 1) d) AS alerts,
                      (SELECT count(*) FROM (SELECT alert_id FROM resolution.cases GROUP BY alert_id
                                             HAVING count(*) > 1) d) AS cases"""
        )
        return dict(row)
    finally:
        await conn.close()
