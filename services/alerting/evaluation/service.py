"""Use cases that fire alerts: grade analysed reviews, raise one attack alert per burst, judge daily trends
into incidents, turn a case's SLA notice into an alert.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, timedelta, timezone

from libs import topology
from libs.bus import Delivery
from libs.errors import require_uuid, require_uuids
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from services.alerting import announcements, repository, rules
from services.alerting.context import Context
from services.alerting.delivery import route_alerts
from services.alerting.evaluation import judging
from services.alerting.evaluation import repository as evaluation_repository
from services.alerting.policies import service as tenant_policies


log = logging.getLogger(__name__)


async def handle_analyzed(ctx: Context, batch: list[Delivery[events_pb2.ReviewAnalyzed]]) -> None:
    """Records each review's facts, fires at most one alert per live review, raises one attack
    alert per burst of near-duplicate negatives, then judges the trends of every (scope, day)
    the batch's live reviews touched. Redelivery re-announces, never re-fires.

    Serves both lanes: a history review (`review.history`, or one delivered on
    reviews.analyzed.history) is counted in the facts (baselines, trends, reports) and keeps its
    would-be grade for the backlog, but opens no alert, so no case and no notification, and
    never makes a day worth judging.
    """
    fired: list[tuple[object, alert_pb2.Alert]] = []
    touched: dict[uuid.UUID, set[tuple[date, str, str, str]]] = {}
    # NOTE: a syndicated copy is the same review: counted and alerted once.
    items = [d for d in batch if not d.message.review.syndicated_from]
    if not items:
        return
    for delivery in items:
        require_uuids({"review.id": delivery.message.review.id, "review.tenant_id": delivery.message.review.tenant_id})
    now = ctx.clock()
    # NOTE: one transaction for the batch, acked after it commits: on failure it is redelivered
    # whole, and every write in it is idempotent. Set-based for every tenant of the batch at once:
    # one read of the policies, one upsert of the facts, one insert-or-get of the alerts, one
    # routing, the bursts and trends judged in a fixed number of queries (evaluation/judging.py),
    # one outbox write.
    async with ctx.pool.acquire() as conn, conn.transaction():
        policies = await tenant_policies.effective_many(ctx, conn, {uuid.UUID(d.message.review.tenant_id) for d in items})
        facts, alerts, contexts = [], [], []
        bursts: dict[uuid.UUID, set[str]] = {}
        for delivery in items:
            review, analysis = delivery.message.review, delivery.message.analysis
            tenant = uuid.UUID(review.tenant_id)
            policy = policies[tenant]
            history = review.history or delivery.subject == topology.REVIEW_ANALYZED_HISTORY
            posted = review.posted_at.ToDatetime(tzinfo=timezone.utc)
            day = posted.astimezone(policy.time_zone(review.marketplace)).date()
            draft = rules.evaluate_review(review, analysis, policy.reviews)
            facts.append(
                {
                    "review_id": uuid.UUID(review.id), "tenant_id": tenant, "version": review.version,
                    "platform": review.platform, "marketplace": review.marketplace, "store_id": review.store_id,
                    "product_id": review.product_id, "rating": review.rating, "aspects": list(analysis.aspects),
                    "posted_at": posted, "local_day": day, "competitor": review.competitor,
                    "negative_score": analysis.negative_score if analysis.HasField("negative_score") else None,
                    "duplicate_cluster_id": analysis.duplicate_cluster_id, "malicious": analysis.malicious,
                    "history": history,
                    "backlog_severity": draft.severity if history and draft else None,
                    "backlog_summary": draft.summary if history and draft else "",
                    "backlog_reasons": draft.reasons if history and draft else [],
                    "backlog_labels": draft.labels if history and draft else {},
                }
            )
            if history:
                continue  # NOTE: history informs (facts, backlog), it never pages.
            if not review.competitor:
                touched.setdefault(tenant, set()).add((day, review.marketplace, review.store_id, review.product_id))
                if analysis.duplicate_cluster_id and review.rating <= policy.attacks.negative_max_rating:
                    bursts.setdefault(tenant, set()).add(analysis.duplicate_cluster_id)
            if draft is None:
                continue
            alerts.append(
                {
                    "tenant_id": tenant, "dedup_key": f"{draft.rule}:{review.id}", "rule": draft.rule,
                    "severity": draft.severity, "review_id": uuid.UUID(review.id), "platform": review.platform,
                    "marketplace": review.marketplace, "product_id": review.product_id, "reasons": draft.reasons,
                    "labels": draft.labels, "scope": f"review:{review.id}", "summary": draft.summary,
                    "day": None, "fired_at": now, "incident_key": None,
                }
            )
            contexts.append(delivery.context)
        await evaluation_repository.upsert_facts(conn, facts)
        for context, (row, new) in zip(contexts, await repository.insert_or_get_many(conn, alerts)):
            if new:
                # NOTE: an alert found already stored (a redelivered batch) was announced by the
                # transaction that stored it.
                fired.append((context, repository.to_proto(row)))
        await route_alerts(conn, [alert for _, alert in fired], policies, now, metrics=ctx.metrics)
        # NOTE: attack and trend alerts caused by these reviews belong to the first review's trace.
        fired += [(items[0].context, a) for a in await judging.judge_bursts(ctx, conn, bursts, policies, now)]
        fired += [(items[0].context, a) for a in await judging.judge_trends(ctx, conn, touched, policies, now)]
        await announcements.queue(conn, fired)
    trend_alerts = sum(1 for _, a in fired if a.rule in announcements.TREND_RULES)
    if trend_alerts:
        log.info("trend alerts fired", extra={"fields": {"count": trend_alerts}})


async def evaluate_trends(ctx: Context, tenant_id: str | uuid.UUID, *, days_back: int = 1) -> int:
    """Judges every active scope of the tenant for today and the previous `days_back` days
    (local to each marketplace); returns how many new alerts fired. Run on a schedule."""
    tenant = tenant_id if isinstance(tenant_id, uuid.UUID) else require_uuid(tenant_id, field="tenant_id")
    now = ctx.clock()
    async with ctx.pool.acquire() as conn, conn.transaction():
        policy = await tenant_policies.effective(ctx, tenant, conn)
        rows = await evaluation_repository.active_scopes(conn, tenant, since=(now - timedelta(days=days_back + 1)).date())
        today_by_market: dict[str, date] = {}
        scopes = set()
        for r in rows:
            today = today_by_market.setdefault(r["marketplace"], now.astimezone(policy.time_zone(r["marketplace"])).date())
            if today - timedelta(days=days_back) <= r["local_day"] <= today:
                scopes.add((r["local_day"], r["marketplace"], r["store_id"], r["product_id"]))
        fired = await judging.judge_trends(ctx, conn, {tenant: scopes}, {tenant: policy}, now)
        await announcements.queue(conn, [(None, alert) for alert in fired])
    if fired:
        log.info("trend alerts fired", extra={"fields": {"tenant": str(tenant), "count": len(fired)}})
    return len(fired)


async def evaluate_all_tenants(ctx: Context) -> int:
    async with ctx.pool.acquire() as conn:
        tenants = await evaluation_repository.active_tenants(conn, since=(ctx.clock() - timedelta(days=3)).date())
    return sum([await evaluate_trends(ctx, t) for t in tenants])


async def handle_sla_notice(ctx: Context, batch: list[Delivery[events_pb2.CaseSlaNotice]]) -> None:
    """Turns a case's SLA warning or breach into an alert, routed like any other (once each); the
    whole batch in one transaction of set-based statements."""
    for delivery in batch:
        case = delivery.message.case
        require_uuids({"case.tenant_id": case.tenant_id} | ({"case.review_id": case.review_id} if case.review_id else {}))
    now = ctx.clock()
    alerts, contexts = [], []
    for delivery in batch:
        notice = delivery.message
        case = notice.case
        breached = notice.stage == "breached"
        what = "first response" if notice.sla == "first_response" else "resolution"
        summary = f"Case {case.id} {'missed' if breached else 'is close to'} its {what} due time"
        alerts.append({
            "tenant_id": uuid.UUID(case.tenant_id), "dedup_key": f"case_sla:{case.id}:{notice.sla}:{notice.stage}",
            "rule": "case_sla", "severity": alert_pb2.SEVERITY_HIGH if breached else alert_pb2.SEVERITY_NORMAL,
            "review_id": uuid.UUID(case.review_id) if case.review_id else None, "platform": "",
            "marketplace": case.marketplace, "product_id": case.product_id, "reasons": [summary],
            "labels": {"sla": notice.sla, "stage": notice.stage, "case_id": case.id, "owner": case.owner},
            "scope": f"case:{case.id}", "summary": summary, "day": None, "fired_at": now, "incident_key": None,
        })
        contexts.append(delivery.context)
    async with ctx.pool.acquire() as conn, conn.transaction():
        policies = await tenant_policies.effective_many(ctx, conn, {a["tenant_id"] for a in alerts})
        fired = [
            (context, repository.to_proto(row))
            for context, (row, new) in zip(contexts, await repository.insert_or_get_many(conn, alerts)) if new
        ]
        await route_alerts(conn, [alert for _, alert in fired], policies, now, metrics=ctx.metrics)
        await announcements.queue(conn, fired)
