"""`python -m bench.reporting`: the inbox search and the reports at volume, beside the naive GROUP BY.

In one process against embedded PostgreSQL: N analysed reviews of one tenant (REVIEWGUARD_BENCH_REPORT_REVIEWS,
default 200,000; the issue's target is 1,000,000) in six languages over a year, plus a second tenant's
10%, fed through ReportingService.handle_analyzed in consumer-sized batches (the real incremental path:
inbox rows and hourly rollups). Then each query runs REPEATS times and reports p50/p95 ms: inbox pages
(newest, filtered, Latin and CJK full text, a later page), and the ratings, aspects, competitors and
drilldown reports over 90 days (ratings by product over a year of weeks), beside the baseline of the same
ratings and aspects figures computed by GROUP BY over the raw inbox rows (checked equal). Figures go to bench/results/reporting.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from libs import db, topology
from libs.bus import Delivery
from libs.embedded import EmbeddedPostgres, ensure_database
from libs.telemetry import extract_context
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import review_pb2
from reviewguard.nlp.v1 import analysis_pb2
from reviewguard.reporting.v1 import reporting_pb2
from services.alerting import app as alerting_app
from services.alerting.reporting.grpc_api import ReportingServicer
from services.alerting.reporting.models import PageTokens
from services.alerting.reporting.service import ReportingService

RESULTS = Path(os.environ.get("REVIEWGUARD_BENCH_REPORT_RESULTS", Path(__file__).parent / "results" / "reporting.json"))
REVIEWS = int(os.environ.get("REVIEWGUARD_BENCH_REPORT_REVIEWS", "200000"))
BATCH = 500
REPEATS = 30
END = datetime(2026, 12, 1, tzinfo=timezone.utc)
ZONE = "Europe/Berlin"

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
MARKET = {"en": "US", "de": "DE", "fr": "FR", "es": "ES", "ja": "JP", "zh": "CN"}
ASPECTS = ("shipping", "quality", "battery", "service", "packaging", "price")


def generate(tenant: str, n: int, rng: random.Random) -> list[Delivery]:
    out = []
    for i in range(n):
        lang = rng.choice(tuple(PHRASES))
        body = ", ".join(rng.choices(PHRASES[lang], k=rng.randint(3, 6)))
        rating = rng.choices((1, 2, 3, 4, 5), weights=(12, 8, 10, 25, 45))[0]
        review = review_pb2.Review(
            id=str(uuid.uuid4()), tenant_id=tenant, platform=rng.choice(("amazon", "ebay", "shopify")), marketplace=MARKET[lang],
            store_id=f"S{rng.randint(1, 5)}", product_id=f"P{rng.randint(1, 400):03d}", product_line=rng.choice(("kettles", "toasters", "fans")),
            rating=rating, title=body[:30], body=body, version=1, competitor=rng.random() < 0.15, external_id=str(i),
        )
        review.posted_at.FromDatetime(END - timedelta(seconds=rng.uniform(0, 365 * 86400)))
        analysis = analysis_pb2.Analysis(review_id=review.id, tenant_id=tenant, language=lang,
                                         aspects=rng.sample(ASPECTS, rng.choice((0, 1, 1, 2))))
        analysis.negative_score = min(1.0, max(0.0, (5 - rating) / 4 + rng.uniform(-0.2, 0.2)))
        out.append(Delivery(message=events_pb2.ReviewAnalyzed(review=review, analysis=analysis), subject=topology.REVIEW_ANALYZED,
                            headers={}, context=extract_context({}), deliveries=1, stream_sequence=0, raw=None))
    return out


async def timed(call, repeats: int = REPEATS) -> dict:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 2), "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2)}


def window(days: int, grain: str) -> reporting_pb2.ReportWindow:
    w = reporting_pb2.ReportWindow(grain=grain, time_zone=ZONE)
    w.starts_at.FromDatetime(END - timedelta(days=days))
    w.ends_at.FromDatetime(END)
    return w


NAIVE_RATINGS = """SELECT date_trunc('day', posted_at AT TIME ZONE $4) AS period, marketplace, count(*) AS reviews,
       sum(rating) AS rating_sum, count(*) FILTER (WHERE sentiment = 'negative') AS negative
FROM inbox_reviews WHERE tenant_id = $1 AND posted_at >= $2 AND posted_at < $3 AND counted AND NOT competitor
GROUP BY 1, 2 ORDER BY 1, 2"""
NAIVE_RATINGS_PRODUCT_WEEK = """SELECT date_trunc('week', posted_at AT TIME ZONE $4) AS period, product_id, count(*) AS reviews,
       sum(rating) AS rating_sum, count(*) FILTER (WHERE sentiment = 'negative') AS negative
FROM inbox_reviews WHERE tenant_id = $1 AND posted_at >= $2 AND posted_at < $3 AND counted AND NOT competitor
GROUP BY 1, 2 ORDER BY 1, 2"""
NAIVE_ASPECTS = """SELECT date_trunc('week', posted_at AT TIME ZONE $4) AS period, product_id, a AS aspect, count(*) AS reviews,
       count(*) FILTER (WHERE sentiment = 'negative') AS negative
FROM inbox_reviews, unnest(aspects) AS a WHERE tenant_id = $1 AND posted_at >= $2 AND posted_at < $3 AND counted AND NOT competitor
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""


async def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-reporting-"))
    pg = EmbeddedPostgres(root / "pg", delete_on_stop=True)
    dsn = await ensure_database(pg.start(), "bench")
    try:
        await db.migrate(dsn, schema=alerting_app.SCHEMA, directory=alerting_app.MIGRATIONS)
        pool = await db.create_pool(dsn, schema=alerting_app.SCHEMA, min_size=2, max_size=4)
        service = ReportingService(pool=pool, page_tokens=PageTokens(b"bench"))
        servicer = ReportingServicer(service)
        tenant, other = str(uuid.uuid4()), str(uuid.uuid4())
        rng = random.Random(14)
        fed_seconds = 0.0
        for owner, count in ((tenant, REVIEWS), (other, REVIEWS // 10)):
            for start in range(0, count, 20_000):
                chunk = generate(owner, min(20_000, count - start), rng)
                started = time.perf_counter()
                for i in range(0, len(chunk), BATCH):
                    await service.handle_analyzed(chunk[i:i + BATCH])
                fed_seconds += time.perf_counter() - started
        async with pool.acquire() as conn:
            await conn.execute("ANALYZE")
        fed = REVIEWS + REVIEWS // 10

        def search(**fields):
            return lambda: servicer.SearchReviews(reporting_pb2.SearchReviewsRequest(tenant_id=tenant, **fields), None)

        later = await servicer.SearchReviews(reporting_pb2.SearchReviewsRequest(tenant_id=tenant, page_size=50), None)
        inbox = {
            "newest_page": await timed(search(page_size=50)),
            "second_page_by_token": await timed(search(page_size=50, page_token=later.next_page_token)),
            "filtered_marketplace_negative": await timed(search(marketplace=["DE", "FR"], sentiment="negative", page_size=50)),
            "q_latin_phrase": await timed(search(q="leaked from the base", page_size=50)),
            "q_japanese": await timed(search(q="箱が潰れて", page_size=50)),
            "q_chinese_rare_none": await timed(search(q="裂缝不能", page_size=50)),
            "q_chinese_and_rating": await timed(search(q="客服", rating_lte=2, page_size=50)),
        }
        t = uuid.UUID(tenant)
        w90 = window(90, "day")
        reports = {
            "ratings_by_marketplace_day_90d": await timed(lambda: servicer.RatingsReport(
                reporting_pb2.RatingsReportRequest(tenant_id=tenant, window=w90, group_by="marketplace"), None)),
            "ratings_by_product_week_365d": await timed(lambda: servicer.RatingsReport(
                reporting_pb2.RatingsReportRequest(tenant_id=tenant, window=window(364, "week"), group_by="product_id"), None)),
            "aspects_product_x_aspect_week_90d": await timed(lambda: servicer.AspectsReport(
                reporting_pb2.AspectsReportRequest(tenant_id=tenant, window=window(90, "week"), rows="product_id", cols="aspect"), None)),
            "competitors_week_90d": await timed(lambda: servicer.CompetitorsReport(
                reporting_pb2.CompetitorsReportRequest(tenant_id=tenant, window=window(90, "week")), None)),
            "drilldown_marketplace_day": await timed(lambda: servicer.Drilldown(
                reporting_pb2.DrilldownRequest(tenant_id=tenant, dimension="marketplace", value="DE", window=window(1, "day")), None)),
            "department_product_week_28d": await timed(lambda: servicer.ProductReport(
                reporting_pb2.DepartmentReportRequest(tenant_id=tenant, window=window(28, "week")), None)),
            "department_logistics_week_90d": await timed(lambda: servicer.LogisticsReport(
                reporting_pb2.DepartmentReportRequest(tenant_id=tenant, window=window(90, "week")), None)),
            "department_service_month_90d": await timed(lambda: servicer.ServiceReport(
                reporting_pb2.DepartmentReportRequest(tenant_id=tenant, window=window(90, "month")), None)),
            # NOTE: the report plus writing its PDF (charts, CJK font), as the API and the mails do.
            "export_product_pdf_28d": await timed(lambda: servicer.ExportReport(reporting_pb2.ExportReportRequest(
                format="pdf", product=reporting_pb2.DepartmentReportRequest(tenant_id=tenant, window=window(28, "week"))), None), 5),
        }
        starts, ends = END - timedelta(days=90), END
        async with pool.acquire() as conn:
            baseline = {
                "naive_ratings_by_marketplace_day_90d": await timed(lambda: conn.fetch(NAIVE_RATINGS, t, starts, ends, ZONE), 10),
                "naive_aspects_product_x_aspect_week_90d": await timed(lambda: conn.fetch(NAIVE_ASPECTS, t, starts, ends, ZONE), 10),
                "naive_ratings_by_product_week_365d": await timed(
                    lambda: conn.fetch(NAIVE_RATINGS_PRODUCT_WEEK, t, END - timedelta(days=364), END, ZONE), 10),
            }
            naive = await conn.fetch(NAIVE_RATINGS, t, starts, ends, ZONE)
            naive_weeks = await conn.fetch(NAIVE_RATINGS_PRODUCT_WEEK, t, END - timedelta(days=364), END, ZONE)
        report = await servicer.RatingsReport(reporting_pb2.RatingsReportRequest(tenant_id=tenant, window=w90, group_by="marketplace"), None)
        weekly = await servicer.RatingsReport(
            reporting_pb2.RatingsReportRequest(tenant_id=tenant, window=window(364, "week"), group_by="product_id"), None)
        # NOTE: both sides checked equal: the weekly rollups (plus and minus the zone's edge hours) and the raw rows.
        same = sorted((c.key[0], c.reviews, c.negative) for c in report.cells) == sorted(
            (r["marketplace"], r["reviews"], r["negative"]) for r in naive) and sorted(
            (c.period[:10], c.key[0], c.reviews, c.negative) for c in weekly.cells) == sorted(
            (r["period"].date().isoformat(), r["product_id"], r["reviews"], r["negative"]) for r in naive_weeks)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        result = {
            "commit": commit, "reviews_in_tenant": REVIEWS, "reviews_in_database": fed,
            # NOTE: say where it ran (e.g. "shared: 2 cores, 8 engineers"); figures from a shared machine are upper bounds.
            "machine": os.environ.get("REVIEWGUARD_BENCH_MACHINE", ""),
            "incremental_feed": {"reviews_per_s": round(fed / fed_seconds, 1), "batch": BATCH},
            "inbox": inbox, "reports": reports, "baseline_naive_group_by": baseline, "rollup_equals_naive": same,
            "speedup_ratings": round(baseline["naive_ratings_by_marketplace_day_90d"]["p50_ms"] / reports["ratings_by_marketplace_day_90d"]["p50_ms"], 1),
            "speedup_ratings_product_week": round(
                baseline["naive_ratings_by_product_week_365d"]["p50_ms"] / reports["ratings_by_product_week_365d"]["p50_ms"], 1),
            "speedup_aspects": round(baseline["naive_aspects_product_x_aspect_week_90d"]["p50_ms"] / reports["aspects_product_x_aspect_week_90d"]["p50_ms"], 1),
        }
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
        await pool.close()
    finally:
        pg.stop()


if __name__ == "__main__":
    asyncio.run(main())
