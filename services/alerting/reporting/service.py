"""Use cases of the inbox and the reports: keep the read model, answer searches and reports."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone

import asyncpg

from libs.bus import Delivery
from reviewguard.events.v1 import events_pb2
from reviewguard.reporting.v1 import reporting_pb2
from reviewguard.resolution.v1 import case_pb2
from services.alerting.reporting import departments, repository
from services.alerting.reporting.models import DIMENSIONS, PageTokens, Window, bigrams, normalise, period_labels, sentiment, timestamp
from services.alerting.reporting.pdf import PdfWriter

log = logging.getLogger(__name__)

BASELINE_DAYS = 28
# NOTE: one rollup row per (dimension, value, hour): "all" holds the totals.
ROLLUP_DIMENSIONS = (*DIMENSIONS, "all")
ALERT_DIMENSIONS = ("marketplace", "platform", "product_id")


def case_status_name(status: int) -> str:
    """CASE_STATUS_AWAITING_CUSTOMER → awaiting_customer."""
    return case_pb2.CaseStatus.Name(status).removeprefix("CASE_STATUS_").lower()


def _searchable(title: str, body: str, translation: str) -> dict:
    text = "\n".join((title, body, translation))
    return {"search_text": " ".join(normalise(text).split()), "search_grams": bigrams(text)}


def _row_from_event(message: events_pb2.ReviewAnalyzed, translated: dict) -> dict:
    review, analysis = message.review, message.analysis
    score = analysis.negative_score if analysis.HasField("negative_score") else None
    translation = analysis.translation.text if analysis.translation.status == "done" else ""
    known = translated.get(uuid.UUID(review.id))
    if not translation and known is not None and known["review_version"] == review.version:
        translation = known["text"]
    language = analysis.language if analysis.language and analysis.language != "und" else review.language
    return {
        "review_id": uuid.UUID(review.id), "tenant_id": uuid.UUID(review.tenant_id), "version": review.version,
        "platform": review.platform, "marketplace": review.marketplace, "store_id": review.store_id,
        "product_id": review.product_id, "product_line": review.product_line, "language": language,
        "rating": review.rating, "first_rating": review.rating, "title": review.title, "body": review.body, "translation": translation,
        "sentiment": sentiment(review.rating, score), "negative_score": score,
        "aspects": sorted(set(analysis.aspects)), "risk_categories": sorted({t.category for t in analysis.risk_terms}),
        "malicious": analysis.malicious, "competitor": review.competitor,
        # NOTE: a syndicated copy is listed, but its original already counts in the reports.
        "counted": not review.syndicated_from,
        "posted_at": review.posted_at.ToDatetime(tzinfo=timezone.utc), "order_id": review.order_id, "carrier": "",
        **_searchable(review.title, review.body, translation),
    }


def _add_share(deltas: dict[str, dict], row, sign: int) -> None:
    """Adds (sign=+1) or removes (-1) one review's share of every rollup."""
    if not row["counted"]:
        return
    hour = row["posted_at"].astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    share = (sign, sign * row["rating"], sign * (row["sentiment"] == "negative"))
    for dimension in ROLLUP_DIMENSIONS:
        value = row[dimension] if dimension != "all" else ""
        day = hour.date()
        for table, at in (("report_hourly", hour), ("report_daily", day), ("report_weekly", day - timedelta(days=day.weekday()))):
            key = (row["tenant_id"], dimension, at, value, row["competitor"])
            for target, k in ((table, key), *((table.replace("report_", "report_aspect_"), (*key, a)) for a in row["aspects"])):
                totals = deltas.setdefault(target, {}).setdefault(k, [0, 0, 0])
                for i, part in enumerate(share):
                    totals[i] += part


def _mean(rating_sum: int, reviews: int) -> float | None:
    return rating_sum / reviews if reviews else None


class ReportingService:
    def __init__(
        self, *, pool: asyncpg.Pool, page_tokens: PageTokens, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        pdf: PdfWriter | None = None,
    ) -> None:
        self._pool = pool
        self._tokens = page_tokens
        self.pool, self.clock = pool, clock
        self.pdf = pdf or PdfWriter()
        self.departments = departments.DepartmentReports(pool=pool, clock=clock)

    async def handle_analyzed(self, batch: Sequence[Delivery[events_pb2.ReviewAnalyzed]]) -> None:
        """Stores each review as last analysed and moves its share of the rollups with it.

        NOTE: idempotent: the stored row's share is taken out and the new one put in, so a
        redelivery nets zero; an older version arriving after a newer one changes nothing.
        """
        events = [d.message for d in batch if d.message.review.id and d.message.review.tenant_id]
        if not events:
            return
        async with self._pool.acquire() as conn, conn.transaction():
            # NOTE: a translation announced before its review reached the read model waits there.
            translated = await repository.stored_translations(conn, [uuid.UUID(m.review.id) for m in events])
            rows = [_row_from_event(m, translated) for m in events]
            ordered = [(r["tenant_id"], r["order_id"]) for r in rows if r["order_id"]]
            await repository.lock_orders(conn, ordered)
            known = await repository.carriers(conn, ordered)
            for row in rows:
                row["carrier"] = known.get((row["tenant_id"], row["order_id"]), "")
            current = dict(await repository.lock_stored(conn, sorted({r["review_id"] for r in rows})))
            deltas: dict = {}
            latest: dict[uuid.UUID, dict] = {}
            for row in rows:
                stored = current.get(row["review_id"])
                if stored is not None and (stored["tenant_id"] != row["tenant_id"] or stored["version"] > row["version"]):
                    continue
                if stored is not None:
                    _add_share(deltas, stored, -1)
                _add_share(deltas, row, +1)
                current[row["review_id"]] = row
                latest[row["review_id"]] = row
            await repository.add_to_rollups(conn, deltas)
            await repository.upsert_reviews(conn, list(latest.values()))

    async def handle_order_submitted(self, batch: Sequence[Delivery[events_pb2.OrderSubmitted]]) -> None:
        """Keeps each order's carrier and moves the rollup share of the reviews already stored for it."""
        async with self._pool.acquire() as conn:
            for delivery in batch:
                event = delivery.message
                if not event.tenant_id or not event.order.order_id:
                    continue
                tenant, order_id, carrier = uuid.UUID(event.tenant_id), event.order.order_id, event.order.carrier
                async with conn.transaction():
                    await repository.lock_orders(conn, [(tenant, order_id)])
                    await repository.keep_order(conn, tenant, order_id, carrier)
                    moved, deltas = [], {}
                    for stored in await repository.lock_reviews_of_order(conn, tenant, order_id):
                        if stored["carrier"] != carrier:
                            _add_share(deltas, stored, -1)
                            moved.append({**dict(stored), "carrier": carrier})
                            _add_share(deltas, moved[-1], +1)
                    await repository.add_to_rollups(conn, deltas)
                    await repository.upsert_reviews(conn, moved)

    async def handle_translated(self, batch: Sequence[Delivery[events_pb2.ReviewTranslated]]) -> None:
        """Makes each translation searchable; kept aside for a review whose row is still to come."""
        async with self._pool.acquire() as conn:
            for delivery in batch:
                event = delivery.message
                tenant, review_id = uuid.UUID(event.tenant_id), uuid.UUID(event.review_id)
                async with conn.transaction():
                    await repository.keep_translation(conn, tenant_id=tenant, review_id=review_id, version=event.review_version, text=event.text)
                    stored = await repository.review_for_update(conn, tenant, review_id)
                    if stored is not None and stored["version"] == event.review_version:
                        await repository.set_translation(
                            conn, review_id, text=event.text, **_searchable(stored["title"], stored["body"], event.text)
                        )

    async def handle_case_event(self, batch: Sequence[Delivery]) -> None:
        """Keeps each review's latest case state, each case's service facts and its offers'
        compensation, from cases.opened and cases.updated."""
        async with self._pool.acquire() as conn:
            for delivery in batch:
                case = delivery.message.case
                if not case.id or not case.tenant_id:
                    continue
                tenant, changed = uuid.UUID(case.tenant_id), timestamp(case, "updated_at") or timestamp(case, "opened_at")
                async with conn.transaction():
                    await departments.keep_case_facts(conn, case, changed)
                    if isinstance(delivery.message, events_pb2.CaseUpdated):
                        await departments.keep_offer_facts(conn, tenant, case, delivery.message.event)
                    if case.review_id:
                        await repository.upsert_case(
                            conn, tenant_id=tenant, review_id=uuid.UUID(case.review_id), case_id=uuid.UUID(case.id),
                            status=case_status_name(case.status), changed_at=changed,
                        )

    async def search(self, tenant_id: uuid.UUID, filters: dict, *, sort: str, page_size: int, page_token: str):
        """A page of reviews and the token of the next (empty on the last page)."""
        digest = PageTokens.query_digest(str(tenant_id), {**filters, "sort": sort})
        after = self._tokens.decode(page_token, digest)
        if after is not None and sort.endswith("posted_at"):
            after = (datetime.fromisoformat(str(after[0])), uuid.UUID(after[1]))
        elif after is not None:
            after = (after[0], uuid.UUID(after[1]))
        query = dict(filters)
        if query.pop("q", ""):
            query["q_text"] = " ".join(normalise(filters["q"]).split())
            query["q_grams"] = bigrams(filters["q"])
        async with self._pool.acquire() as conn:
            rows = await repository.search(conn, tenant_id, query, sort=sort, after=after, limit=page_size + 1)
        token = ""
        if len(rows) > page_size:
            rows = rows[:page_size]
            last = rows[-1]
            value = {"posted_at": last["posted_at"].isoformat(), "rating": last["rating"]}.get(
                sort.lstrip("-"), -1 if last["negative_score"] is None else last["negative_score"]
            )
            token = self._tokens.encode(digest, value, str(last["review_id"]))
        return [inbox_review(r) for r in rows], token

    async def ratings(self, tenant_id: uuid.UUID, w: Window, group_by: str) -> reporting_pb2.ReportTable:
        async with self._pool.acquire() as conn:
            rows = await repository.summed(conn, tenant_id, w, group_by)
            before = Window(w.starts_at - timedelta(days=BASELINE_DAYS), w.starts_at, w.grain, w.zone)
            baseline = {
                r["k0"]: _mean(r["rating_sum"], r["reviews"])
                for r in await repository.summed(conn, tenant_id, before, group_by, by_period=False)
            }
            alerts = {}
            if group_by in ALERT_DIMENSIONS:
                alerts = {(r["period"], r["k0"]): r["alerts"] for r in await repository.alerts_by_period(conn, tenant_id, w, group_by)}
        table, label = reporting_pb2.ReportTable(keys=[group_by]), period_labels(w)
        for r in rows:
            cell = _cell(table, r, label(r["period"]), (r["k0"],))
            if baseline.get(r["k0"]) is not None:
                cell.baseline_mean_rating = baseline[r["k0"]]
            if alerts:
                cell.alerts = alerts.get((r["period"], r["k0"]), 0)
        return table

    async def aspects(self, tenant_id: uuid.UUID, w: Window, rows_by: str, cols_by: str) -> reporting_pb2.ReportTable:
        """A dimension × aspect heat map (either way round)."""
        dimension = cols_by if rows_by == "aspect" else rows_by
        async with self._pool.acquire() as conn:
            rows = await repository.summed(conn, tenant_id, w, dimension, by_aspect=True)
        order = (lambda r: (r["k1"], r["k0"])) if rows_by == "aspect" else (lambda r: (r["k0"], r["k1"]))
        table, label = reporting_pb2.ReportTable(keys=[rows_by, cols_by]), period_labels(w)
        for r in rows:
            _cell(table, r, label(r["period"]), order(r))
        return table

    async def competitors(self, tenant_id: uuid.UUID, w: Window, group_by: str, top: int = 3) -> reporting_pb2.ReportTable:
        dimension = group_by or "all"
        async with self._pool.acquire() as conn:
            rows = await repository.summed(conn, tenant_id, w, dimension, split_competitor=True)
            complaints = await repository.summed(conn, tenant_id, w, dimension, by_aspect=True, split_competitor=True)
        ranked: dict[tuple, list[tuple[int, str]]] = {}
        for r in complaints:
            if r["negative"]:
                ranked.setdefault((r["period"], r["kc"], r["k0"]), []).append((-r["negative"], r["k1"]))
        table, label = reporting_pb2.ReportTable(keys=["listing", *([group_by] if group_by else [])]), period_labels(w)
        for r in sorted(rows, key=lambda r: (r["period"], r["kc"], r["k0"])):
            listing = "competitor" if r["kc"] == "true" else "own"
            cell = _cell(table, r, label(r["period"]), (listing, r["k0"]) if group_by else (listing,))
            cell.top_aspects.extend(a for _, a in sorted(ranked.get((r["period"], r["kc"], r["k0"]), []))[:top])
        return table

    async def drilldown(self, tenant_id: uuid.UUID, w: Window, dimension: str, value: str, limit: int) -> reporting_pb2.DrilldownResponse:
        async with self._pool.acquire() as conn:
            total = await repository.summed(conn, tenant_id, w, dimension, value=value, by_period=False)
            aspects = await repository.summed(conn, tenant_id, w, dimension, value=value, by_period=False, by_aspect=True)
            products = await repository.top_products(conn, tenant_id, w, dimension, value, limit)
            examples = await repository.examples(conn, tenant_id, w, dimension, value, limit)
        aspects = sorted(aspects, key=lambda r: (-r["negative"], -r["reviews"], r["k1"]))[:limit]
        answer = reporting_pb2.DrilldownResponse(
            top_aspects=[reporting_pb2.Count(value=r["k1"], reviews=r["reviews"], negative=r["negative"]) for r in aspects],
            top_products=[_count(r) for r in products], examples=[inbox_review(r) for r in examples],
        )
        if total:
            answer.reviews, answer.negative = total[0]["reviews"], total[0]["negative"]
            answer.mean_rating = _mean(total[0]["rating_sum"], total[0]["reviews"])
        return answer


def _count(row) -> reporting_pb2.Count:
    return reporting_pb2.Count(value=row["k0"], reviews=row["reviews"], negative=row["negative"])


def _cell(table: reporting_pb2.ReportTable, row, label: str, key: tuple) -> reporting_pb2.ReportCell:
    """Adds the row's cell to the table (in place: a copy per cell would double a 20k-cell report's cost)."""
    reviews = row["reviews"]
    cell = table.cells.add(
        period=label, key=[str(k) for k in key], reviews=reviews, negative=row["negative"],
        negative_share=row["negative"] / reviews if reviews else 0.0,
    )
    if reviews:
        cell.mean_rating = row["rating_sum"] / reviews
    return cell


def inbox_review(row) -> reporting_pb2.InboxReview:
    review = reporting_pb2.InboxReview(
        id=str(row["review_id"]), platform=row["platform"], marketplace=row["marketplace"], store_id=row["store_id"],
        product_id=row["product_id"], product_line=row["product_line"], language=row["language"], rating=row["rating"],
        title=row["title"], body=row["body"], translation=row["translation"], sentiment=row["sentiment"],
        aspects=row["aspects"], risk_categories=row["risk_categories"], malicious=row["malicious"],
        competitor=row["competitor"], case_id=str(row["case_id"] or ""), case_status=row["case_status"] or "",
    )
    if row["negative_score"] is not None:
        review.negative_score = row["negative_score"]
    review.posted_at.FromDatetime(row["posted_at"])
    return review


__all__ = ["DIMENSIONS", "ReportingService", "case_status_name", "inbox_review"]
