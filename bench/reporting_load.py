"""Generated reviews for the reporting bench, and a set-based loader for sizes the consumer is too slow for.

The consumer (ReportingService.handle_analyzed) stores ~400 reviews/s here, so 1M reviews would take
~45 min. `load` writes the same read model in bulk: each review's inbox row is built by the consumer's
own `_row_from_event`, COPYed into inbox_reviews, and the rollups are then summed from those rows with
INSERT ... SELECT ... GROUP BY, the rows the consumer's deltas would have left (for fresh tenants:
no review stored twice). tests/bench/test_reporting_load.py checks the two equal, row for row.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

import asyncpg

from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import review_pb2
from reviewguard.nlp.v1 import analysis_pb2
from reviewguard.resolution.v1 import resolution_pb2
from services.alerting.reporting.repository import _INBOX_COLUMNS, ROLLUP_KEYS
from services.alerting.reporting.service import ROLLUP_DIMENSIONS, _row_from_event

# Phrases reviews are made of, per language; a review strings 3 to 6 of its language's together.
PHRASES = {
    "en": ["the lid does not close", "arrived broken", "works great", "leaked from the base", "battery died after a week",
           "fast shipping", "customer service never answered", "exactly as described", "the handle came loose", "great value"],
    "de": ["kam beschädigt an", "funktioniert einwandfrei", "der Deckel schließt nicht", "nach zwei Tagen kaputt",
           "schneller Versand", "sehr zufrieden", "riss im Gehäuse", "der Kundendienst antwortet nicht"],
    "fr": ["arrivé cassé", "le couvercle ne ferme pas", "très satisfait", "livraison rapide", "le service client ne répond pas"],
    "es": ["llegó roto", "muy buena calidad", "el asa se soltó", "envío rápido", "no lo recomiendo"],
    "ja": ["蓋が割れていて", "電源が入らなくなりました", "とても満足です", "配送が早かった", "箱が潰れて届きました", "説明通りの商品"],
    "zh": ["外壳就有裂缝", "不能加热了", "客服也不回复消息", "质量很好", "物流很快", "非常失望"],
}
# NOTE: English is spoken on several marketplaces; each other language on its own.
MARKETS = {"en": ("US", "GB", "AU", "CA"), "de": ("DE", "AT"), "fr": ("FR",), "es": ("ES", "MX"), "ja": ("JP",), "zh": ("CN",)}
LANGUAGE_WEIGHTS = {"en": 40, "de": 18, "fr": 10, "es": 8, "ja": 14, "zh": 10}
PLATFORMS = {"amazon": 60, "ebay": 15, "shopify": 15, "walmart": 10}
LINES = ("kettles", "toasters", "fans", "heaters", "blenders", "lamps")
ASPECTS = ("shipping", "quality", "battery", "service", "packaging", "price")
CARRIERS = ("dhl", "ups", "yamato", "sf-express", "royal-mail")
PRODUCTS = 400
DAYS = 365


class Catalogue:
    """A seller's fixed world: products with a line and a quality of their own, stores per platform."""

    def __init__(self, rng: random.Random) -> None:
        self.products = [(f"P{i:03d}", rng.choice(LINES), rng.gauss(0, 0.8)) for i in range(1, PRODUCTS + 1)]
        # NOTE: a few products sell far more than the rest, as on real storefronts.
        self.product_weights = [1 / (i ** 0.7) for i in range(1, PRODUCTS + 1)]
        self.languages, self.language_weights = list(LANGUAGE_WEIGHTS), list(LANGUAGE_WEIGHTS.values())
        self.platforms, self.platform_weights = list(PLATFORMS), list(PLATFORMS.values())


def generate(tenant: str, n: int, rng: random.Random, *, end: datetime, catalogue: Catalogue | None = None, first: int = 0
             ) -> tuple[list[events_pb2.ReviewAnalyzed], dict[str, str]]:
    """n analysed reviews over the DAYS before `end`, and the carriers of the orders a third of them name."""
    catalogue = catalogue or Catalogue(rng)
    messages, orders = [], {}
    for i in range(first, first + n):
        lang = rng.choices(catalogue.languages, catalogue.language_weights)[0]
        product_id, line, quality = rng.choices(catalogue.products, catalogue.product_weights)[0]
        platform = rng.choices(catalogue.platforms, catalogue.platform_weights)[0]
        marketplace = rng.choice(MARKETS[lang])
        # NOTE: stars around the product's own quality, with noise; clipped to 1..5.
        rating = max(1, min(5, round(4.1 + quality + rng.gauss(0, 1.3))))
        body = ", ".join(rng.choices(PHRASES[lang], k=rng.randint(3, 6)))
        review_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        order_id = f"O{i}" if rng.random() < 0.33 else ""
        if order_id:
            orders[order_id] = rng.choice(CARRIERS)
        review = review_pb2.Review(
            id=review_id, tenant_id=tenant, platform=platform, marketplace=marketplace,
            store_id=f"{platform}-{marketplace}", product_id=product_id, product_line=line, rating=rating,
            title=body[:30], body=body, version=1, competitor=rng.random() < 0.15, external_id=str(i), order_id=order_id,
            # NOTE: a few syndicated copies: listed, never counted.
            syndicated_from=f"S{i}" if rng.random() < 0.02 else "",
        )
        review.posted_at.FromDatetime(end - timedelta(seconds=rng.uniform(0, DAYS * 86400)))
        mentioned = 0 if rng.random() < 0.3 else (1 if rng.random() < 0.7 else 2)
        analysis = analysis_pb2.Analysis(review_id=review_id, tenant_id=tenant, language=lang, aspects=rng.sample(ASPECTS, mentioned))
        if rng.random() < 0.95:  # NOTE: some reviews were never scored: their stars decide the sentiment
            analysis.negative_score = min(1.0, max(0.0, (5 - rating) / 4 + rng.gauss(0, 0.15)))
        messages.append(events_pb2.ReviewAnalyzed(review=review, analysis=analysis))
    return messages, orders


def order_events(tenant: str, orders: dict[str, str]) -> list[events_pb2.OrderSubmitted]:
    return [events_pb2.OrderSubmitted(tenant_id=tenant, order=resolution_pb2.Order(order_id=o, carrier=c)) for o, c in orders.items()]


async def copy_reviews(conn: asyncpg.Connection, tenant: str, messages: list, orders: dict[str, str]) -> None:
    """COPYs a fresh tenant's orders and inbox rows (call per chunk; then `build_rollups` once)."""
    t = uuid.UUID(tenant)
    await conn.copy_records_to_table("inbox_orders", records=[(t, o, c) for o, c in orders.items()],
                                     columns=("tenant_id", "order_id", "carrier"))
    records = []
    for message in messages:
        row = _row_from_event(message, {})
        row["carrier"] = orders.get(row["order_id"], "") if row["order_id"] else ""
        records.append(tuple(row[c] for c in _INBOX_COLUMNS))
    await conn.copy_records_to_table("inbox_reviews", records=records, columns=_INBOX_COLUMNS)


def _dimension_values() -> str:
    # NOTE: the names come from the consumer's fixed ROLLUP_DIMENSIONS, never from input.
    return ", ".join(f"('{d}', {'r.' + d if d != 'all' else chr(39) * 2})" for d in ROLLUP_DIMENSIONS)


async def build_rollups(conn: asyncpg.Connection, tenants: list[str]) -> None:
    """Every rollup row of fresh tenants from their inbox rows: hours from the rows, days from the hours,
    weeks (their UTC Monday) from the days, as `_add_share` keys them."""
    ids = [uuid.UUID(t) for t in tenants]
    assert set(ROLLUP_KEYS) == {f"report_{p}{g}" for p in ("", "aspect_") for g in ("hourly", "daily", "weekly")}
    for prefix, aspect, unnest in (("report_", "", ""), ("report_aspect_", "a.aspect, ", "CROSS JOIN LATERAL unnest(r.aspects) AS a(aspect)")):
        names = f"tenant_id, dimension, value, {'aspect, ' if aspect else ''}competitor, reviews, rating_sum, negative"
        await conn.execute(
            f"""INSERT INTO {prefix}hourly (hour, {names})
                SELECT date_trunc('hour', r.posted_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', r.tenant_id, d.dimension, d.value,
                       {aspect}r.competitor, count(*), sum(r.rating), count(*) FILTER (WHERE r.sentiment = 'negative')
                FROM inbox_reviews r {unnest} CROSS JOIN LATERAL (VALUES {_dimension_values()}) AS d(dimension, value)
                WHERE r.tenant_id = ANY($1::uuid[]) AND r.counted
                GROUP BY 1, 2, 3, 4, {'5, 6' if aspect else '5'}""",
            ids,
        )
        keys = f"tenant_id, dimension, value, {'aspect, ' if aspect else ''}competitor"
        await conn.execute(
            f"""INSERT INTO {prefix}daily (day, {names})
                SELECT (hour AT TIME ZONE 'UTC')::date, {keys}, sum(reviews), sum(rating_sum), sum(negative)
                FROM {prefix}hourly WHERE tenant_id = ANY($1::uuid[]) GROUP BY 1, {keys}""",
            ids,
        )
        await conn.execute(
            f"""INSERT INTO {prefix}weekly (week, {names})
                SELECT date_trunc('week', day::timestamp)::date, {keys}, sum(reviews), sum(rating_sum), sum(negative)
                FROM {prefix}daily WHERE tenant_id = ANY($1::uuid[]) GROUP BY 1, {keys}""",
            ids,
        )


async def load(pool: asyncpg.Pool, tenant: str, n: int, rng: random.Random, *, end: datetime, chunk: int = 50_000) -> None:
    """n generated reviews of a fresh tenant, written set-based (see the module's note)."""
    catalogue = Catalogue(rng)
    async with pool.acquire() as conn:
        for start in range(0, n, chunk):
            messages, orders = generate(tenant, min(chunk, n - start), rng, end=end, catalogue=catalogue, first=start)
            await copy_reviews(conn, tenant, messages, orders)
        await build_rollups(conn, [tenant])

