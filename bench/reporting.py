"""`python -m bench.reporting`: the inbox search and the reports at volume, beside the naive GROUP BY.

In one process against embedded PostgreSQL: N analysed reviews of one tenant (REVIEWGUARD_BENCH_REPORT_REVIEWS,
default 200,000; `make bench` also runs the issue's 1,000,000 into reporting_1m.json) from bench/reporting_load.py
(several marketplaces, platforms, six product lines, 400 products, six languages incl. Japanese and Chinese,
aspects, carriers, ratings around each product's quality with noise, over 365 days), plus a second tenant's
10%. Above 50,000 they are written set-based (COPY and INSERT ... SELECT ... GROUP BY, tested equal to the
consumer) and the consumer's own rate is measured on 5,000 more; else fed through
ReportingService.handle_analyzed in consumer-sized batches (REVIEWGUARD_BENCH_REPORT_LOADER=copy|consumer
chooses). Then each query runs REPEATS times and reports p50/p95 ms: inbox pages (newest, filtered, Latin
and CJK full text with filters, a later page), every report (ratings by marketplace/day over 90 days and by
product/week over a year, the product x aspect heat map, competitors, drilldown, the three department
reports, a PDF export), each beside the naive GROUP BY over the raw inbox rows in the same run (the
ratings figures checked equal). Figures go to REVIEWGUARD_BENCH_REPORT_RESULTS (bench/results/reporting.json).
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
from bench import reporting_load
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

# NOTE: above this size the read model is written set-based (bench/reporting_load.py, tested equal to the
# consumer); the consumer's own rate is still measured, on a third tenant's FEED_SAMPLE reviews.
LOADER = os.environ.get("REVIEWGUARD_BENCH_REPORT_LOADER", "copy" if REVIEWS > 50_000 else "consumer")
FEED_SAMPLE = 5_000
HOLD = os.environ.get("REVIEWGUARD_BENCH_REPORT_HOLD", "")


def deliveries(messages: list) -> list[Delivery]:
    return [Delivery(message=m, subject=topology.REVIEW_ANALYZED, headers={}, context=extract_context({}), deliveries=1,
                     stream_sequence=0, raw=None) for m in messages]


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


async def consume(service: ReportingService, tenant: str, n: int, rng: random.Random) -> float:
    """Feeds n generated reviews (and their orders first) through the consumer; returns the seconds it took."""
    catalogue = reporting_load.Catalogue(rng)
    spent = 0.0
    for start in range(0, n, 20_000):
        messages, orders = reporting_load.generate(tenant, min(20_000, n - start), rng, end=END, catalogue=catalogue, first=start)
        started = time.perf_counter()
        await service.handle_order_submitted(deliveries(reporting_load.order_events(tenant, orders)))
        batches = deliveries(messages)
        for i in range(0, len(batches), BATCH):
            await service.handle_analyzed(batches[i:i + BATCH])
        spent += time.perf_counter() - started
    return spent


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
# NOTE: the other reports' naive equivalents: the same figures straight from the raw rows.
NAIVE_COMPETITORS = """SELECT date_trunc('week', posted_at AT TIME ZONE $4) AS period, competitor, count(*) AS reviews,
       sum(rating) AS rating_sum, count(*) FILTER (WHERE sentiment = 'negative') AS negative
FROM inbox_reviews WHERE tenant_id = $1 AND posted_at >= $2 AND posted_at < $3 AND counted GROUP BY 1, 2 ORDER BY 1, 2"""
NAIVE_DRILLDOWN = """SELECT a AS aspect, count(*) AS reviews, count(*) FILTER (WHERE sentiment = 'negative') AS negative
FROM inbox_reviews, unnest(aspects) AS a WHERE tenant_id = $1 AND posted_at >= $2 AND posted_at < $3 AND marketplace = $4
  AND counted AND NOT competitor GROUP BY 1 ORDER BY 3 DESC"""
NAIVE_DEFECTS = """SELECT date_trunc('week', posted_at AT TIME ZONE $4) AS period, product_id, a AS aspect, count(*) AS negative
FROM inbox_reviews, unnest(aspects) AS a WHERE tenant_id = $1 AND posted_at >= $2 AND posted_at < $3 AND counted AND NOT competitor
  AND sentiment = 'negative' GROUP BY 1, 2, 3 ORDER BY 4 DESC"""
NAIVE_CARRIERS = """SELECT date_trunc('week', posted_at AT TIME ZONE $4) AS period, carrier, a AS aspect, count(*) AS reviews,
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
        load_before = uptime()
        started = time.perf_counter()
        for owner, count in ((tenant, REVIEWS), (other, REVIEWS // 10)):
            if LOADER == "copy":
                await reporting_load.load(pool, owner, count, rng, end=END)
            else:
                await consume(service, owner, count, rng)
        load_seconds = time.perf_counter() - started
        sample = FEED_SAMPLE if LOADER == "copy" else 0
        fed_seconds = await consume(service, str(uuid.uuid4()), sample, rng) if sample else load_seconds
        async with pool.acquire() as conn:
            await conn.execute("VACUUM ANALYZE")
        fed = REVIEWS + REVIEWS // 10 + sample

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
            "q_german_marketplace_product_line": await timed(search(q="kaputt", marketplace=["DE"], product_line=["kettles"], page_size=50)),
            "q_latin_aspect_90d": await timed(search(q="arrived broken", aspect="shipping", page_size=50,
                                                     posted_from=window(90, "day").starts_at)),
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
                "naive_competitors_week_90d": await timed(lambda: conn.fetch(NAIVE_COMPETITORS, t, starts, ends, ZONE), 10),
                "naive_drilldown_marketplace_day": await timed(
                    lambda: conn.fetch(NAIVE_DRILLDOWN, t, END - timedelta(days=1), END, "DE"), 10),
                "naive_department_product_week_28d": await timed(
                    lambda: conn.fetch(NAIVE_DEFECTS, t, END - timedelta(days=28), END, ZONE), 10),
                "naive_department_logistics_week_90d": await timed(lambda: conn.fetch(NAIVE_CARRIERS, t, starts, ends, ZONE), 10),
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
            "commit": commit, "reviews_in_tenant": REVIEWS, "reviews_in_database": fed, "loader": LOADER,
            "load_seconds": round(load_seconds, 1), "uptime_before_load": load_before, "uptime_at_end": uptime(),
            # NOTE: say where it ran (e.g. "shared: 2 cores, 8 engineers"); figures from a shared machine are upper bounds.
            "machine": os.environ.get("REVIEWGUARD_BENCH_MACHINE", ""),
            "incremental_feed": {"reviews_per_s": round((sample or fed) / fed_seconds, 1), "batch": BATCH, "reviews": sample or fed},
            "inbox": inbox, "reports": reports, "baseline_naive_group_by": baseline, "rollup_equals_naive": same,
            "speedup_p50": {k.removeprefix("naive_"): round(v["p50_ms"] / reports[k.removeprefix("naive_")]["p50_ms"], 1)
                            for k, v in baseline.items()},
            # NOTE: issue 14's goals: every report p95 <= 300 ms, inbox search p95 <= 200 ms.
            "over_goal": sorted([k for k, v in reports.items() if v["p95_ms"] > 300 and not k.startswith("export_")]
                                + [k for k, v in inbox.items() if v["p95_ms"] > 200]),
            "speedup_ratings": round(baseline["naive_ratings_by_marketplace_day_90d"]["p50_ms"] / reports["ratings_by_marketplace_day_90d"]["p50_ms"], 1),
            "speedup_ratings_product_week": round(
                baseline["naive_ratings_by_product_week_365d"]["p50_ms"] / reports["ratings_by_product_week_365d"]["p50_ms"], 1),
            "speedup_aspects": round(baseline["naive_aspects_product_x_aspect_week_90d"]["p50_ms"] / reports["aspects_product_x_aspect_week_90d"]["p50_ms"], 1),
        }
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
        await pool.close()
        if HOLD:
            # NOTE: keeps the loaded database up for EXPLAIN ANALYZE until the file written here is removed.
            Path(HOLD).write_text(dsn + "\n")
            while Path(HOLD).exists():
                await asyncio.sleep(2)
    finally:
        pg.stop()


if __name__ == "__main__":
    asyncio.run(main())
