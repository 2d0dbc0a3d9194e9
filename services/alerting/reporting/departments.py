"""Department reports (weekly or monthly): product defects per SKU with quotes and trend, logistics
delay and damage complaint rates, service response times and compensation against rating recovered.

A complaint is a negative review (models.sentiment) that names the aspect, so the product and
logistics figures are sums of the aspect rollups; only the quotes read review rows.
"""

from __future__ import annotations

import bisect
import json
import statistics
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

import asyncpg

from reviewguard.reporting.v1 import reporting_pb2
from services.alerting.reporting import departments_repository as storage
from services.alerting.reporting.models import Window, period_labels, periods, timestamp
from services.alerting.reporting.repository import summed

# NOTE: aspect names of the NLP service's taxonomy (services/nlp/aspects/models.py).
DELAY_ASPECT, DAMAGE_ASPECT = "logistics", "damaged"
TOP_DEFECTS, QUOTES_PER_DEFECT, DEFAULT_SKUS = 3, 2, 10
RESPONSE_TARGET = timedelta(hours=24)


async def keep_case_facts(conn: asyncpg.Connection, case, changed_at: datetime) -> None:
    """The response facts of a case, from any of its events."""
    await storage.keep_case(
        conn, case_id=uuid.UUID(case.id), tenant_id=uuid.UUID(case.tenant_id),
        review_id=uuid.UUID(case.review_id) if case.review_id else None, opened_at=timestamp(case, "opened_at") or changed_at,
        first_response_due_at=timestamp(case, "first_response_due_at"), first_response_at=timestamp(case, "first_response_at"),
        resolved_at=timestamp(case, "resolved_at"), changed_at=changed_at,
    )


async def keep_offer_facts(conn: asyncpg.Connection, tenant_id: uuid.UUID, case, event) -> None:
    """An offer's cost (offer_recorded) and its acceptance (offer_accepted), from the case's audit events."""
    if event.kind not in ("offer_recorded", "offer_accepted"):
        return
    try:
        detail = json.loads(event.detail_json or "{}")
        offer_id = uuid.UUID(detail["offer_id"])
        cost = Decimal(detail["cost_usd"]) if "cost_usd" in detail else None
    except (ValueError, KeyError, TypeError, InvalidOperation):
        return
    await storage.keep_offer(
        conn, offer_id=offer_id, tenant_id=tenant_id, case_id=uuid.UUID(case.id), cost_usd=cost, accepted=event.kind == "offer_accepted"
    )


class DepartmentReports:
    def __init__(self, *, pool: asyncpg.Pool, clock: Callable[[], datetime]) -> None:
        self._pool = pool
        self._clock = clock

    async def product(self, tenant_id: uuid.UUID, w: Window, limit: int) -> reporting_pb2.ProductReportResponse:
        """The SKUs with the most complaints, each with its top defects, their trend and quotes."""
        before = Window(w.starts_at - (w.ends_at - w.starts_at), w.starts_at, w.grain, w.zone)
        async with self._pool.acquire() as conn:
            skus = await summed(conn, tenant_id, w, "product_id", by_period=False)
            defects = await summed(conn, tenant_id, w, "product_id", by_aspect=True, by_period=False)
            previous = await summed(conn, tenant_id, before, "product_id", by_aspect=True, by_period=False)
            trend_rows = await summed(conn, tenant_id, w, "product_id", by_aspect=True)
            skus = sorted(skus, key=lambda r: (-r["negative"], -r["reviews"], r["k0"]))[: limit or DEFAULT_SKUS]
            top: dict[str, list] = defaultdict(list)
            for r in sorted(defects, key=lambda r: (-r["negative"], r["k1"])):
                if r["negative"] and len(top[r["k0"]]) < TOP_DEFECTS:
                    top[r["k0"]].append(r)
            pairs = [(s["k0"], d["k1"]) for s in skus for d in top[s["k0"]]]
            quotes = await storage.quotes(conn, tenant_id, w.starts_at, w.ends_at, pairs, QUOTES_PER_DEFECT)
        earlier = {(r["k0"], r["k1"]): r["negative"] for r in previous}
        trend: dict[tuple, list] = defaultdict(list)
        period_label = period_labels(w)
        for r in trend_rows:
            if r["negative"]:
                trend[(r["k0"], r["k1"])].append(reporting_pb2.PeriodCount(period=period_label(r["period"]), complaints=r["negative"]))
        quoted: dict[tuple, list] = defaultdict(list)
        for q in quotes:
            quoted[(q["product_id"], q["aspect"])].append(reporting_pb2.Quote(
                review_id=str(q["review_id"]), rating=q["rating"], title=q["title"], body=q["body"], language=q["language"],
                marketplace=q["marketplace"],
            ))
        answer = reporting_pb2.ProductReportResponse()
        for s in skus:
            product = answer.products.add(product_id=s["k0"], reviews=s["reviews"], negative=s["negative"])
            if s["reviews"]:
                product.mean_rating = s["rating_sum"] / s["reviews"]
            for d in top[s["k0"]]:
                key = (s["k0"], d["k1"])
                product.defects.add(
                    aspect=d["k1"], complaints=d["negative"], complaint_share=d["negative"] / s["reviews"] if s["reviews"] else 0.0,
                    previous_complaints=earlier.get(key, 0), trend=trend[key], quotes=quoted[key],
                )
        return answer

    async def logistics(self, tenant_id: uuid.UUID, w: Window, group_by: str) -> reporting_pb2.LogisticsReportResponse:
        """Delay and damage complaints over reviews, per period and value of `group_by`."""
        async with self._pool.acquire() as conn:
            totals = await summed(conn, tenant_id, w, group_by)
            aspects = await summed(conn, tenant_id, w, group_by, by_aspect=True)
        complaints = {(r["period"], r["k0"], r["k1"]): r["negative"] for r in aspects if r["k1"] in (DELAY_ASPECT, DAMAGE_ASPECT)}
        answer = reporting_pb2.LogisticsReportResponse(group_by=group_by)
        period_label = period_labels(w)
        for r in totals:
            delay = complaints.get((r["period"], r["k0"], DELAY_ASPECT), 0)
            damage = complaints.get((r["period"], r["k0"], DAMAGE_ASPECT), 0)
            answer.rows.add(
                period=period_label(r["period"]), value=r["k0"], reviews=r["reviews"], delay_complaints=delay,
                delay_rate=delay / r["reviews"] if r["reviews"] else 0.0, damage_complaints=damage,
                damage_rate=damage / r["reviews"] if r["reviews"] else 0.0,
            )
        return answer

    async def service(self, tenant_id: uuid.UUID, w: Window) -> reporting_pb2.ServiceReportResponse:
        """The cases opened in each period: how fast and how often they were answered in time, the
        compensation accepted on them and how their reviews' ratings moved since."""
        spans = periods(w)
        async with self._pool.acquire() as conn:
            cases = await storage.cases_opened(conn, tenant_id, w.starts_at, w.ends_at)
        starts = [lo for _, lo, _ in spans]
        buckets: dict[int, list] = defaultdict(list)
        for c in cases:
            buckets[bisect.bisect_right(starts, c["opened_at"]) - 1].append(c)
        now = self._clock()
        answer = reporting_pb2.ServiceReportResponse()
        period_label = period_labels(w)
        for index in sorted(buckets):
            answer.rows.append(_service_row(period_label(spans[index][0]), buckets[index], now))
        return answer


def _service_row(period: str, cases: list, now: datetime) -> reporting_pb2.ServiceRow:
    answered = [c for c in cases if c["first_response_at"] is not None]
    hours = [(c["first_response_at"] - c["opened_at"]).total_seconds() / 3600 for c in answered]
    # NOTE: a case still unanswered counts against a target only once the target has passed.
    judged_24h = [c for c in cases if c["first_response_at"] is not None or now >= c["opened_at"] + RESPONSE_TARGET]
    in_24h = [c for c in answered if c["first_response_at"] - c["opened_at"] <= RESPONSE_TARGET]
    due = [c for c in cases if c["first_response_due_at"] is not None]
    judged_sla = [c for c in due if c["first_response_at"] is not None or now >= c["first_response_due_at"]]
    met = [c for c in judged_sla if c["first_response_at"] is not None and c["first_response_at"] <= c["first_response_due_at"]]
    rated = [c for c in cases if c["first_rating"] is not None and c["rating"] is not None]
    row = reporting_pb2.ServiceRow(
        period=period, cases=len(cases), responded=len(answered),
        response_rate_24h=len(in_24h) / len(judged_24h) if judged_24h else 0.0,
        sla_met_share=len(met) / len(judged_sla) if judged_sla else 0.0,
        compensation_usd=float(sum(c["compensation_usd"] for c in cases)),
        ratings_raised=sum(1 for c in rated if c["rating"] > c["first_rating"]),
    )
    if hours:
        row.mean_response_hours = statistics.fmean(hours)
        row.median_response_hours = statistics.median(hours)
    if rated:
        row.mean_rating_change = statistics.fmean(c["rating"] - c["first_rating"] for c in rated)
    return row
