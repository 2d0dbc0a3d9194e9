"""Use cases that fire alerts: grade analysed reviews, raise one attack alert per burst, judge daily trends
into incidents, turn a case's SLA notice into an alert.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

import asyncpg

from libs import topology
from libs.bus import Delivery
from libs.errors import require_uuid, require_uuids
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from services.alerting import announcements, repository, rules, trends
from services.alerting.context import Context
from services.alerting.delivery import route_alert, route_alerts
from services.alerting.evaluation import repository as evaluation_repository
from services.alerting.policies import service as tenant_policies
from services.alerting.policy import AlertPolicy


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
    # NOTE: one transaction for the batch: on failure it is redelivered whole, and every write
    # in it is idempotent. Set-based: one read of the policies, one upsert of the facts, one
    # insert-or-get of the alerts; only routing goes alert by alert.
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
        new_by_tenant: dict[uuid.UUID, list[alert_pb2.Alert]] = {}
        for context, (row, new) in zip(contexts, await repository.insert_or_get_many(conn, alerts)):
            if new:
                # NOTE: an alert found already stored (a redelivered batch) was announced by the
                # transaction that stored it.
                alert = repository.to_proto(row)
                new_by_tenant.setdefault(row["tenant_id"], []).append(alert)
                fired.append((context, alert))
        for tenant, new_alerts in new_by_tenant.items():
            await route_alerts(conn, new_alerts, policies[tenant], now, metrics=ctx.metrics)
        for tenant, clusters in bursts.items():
            fired += [(items[0].context, a) for a in await _judge_bursts(ctx, conn, tenant, clusters, policies[tenant], now)]
        await announcements.queue(conn, fired)
    for tenant, scopes in touched.items():
        # NOTE: trend alerts caused by these reviews belong to the first review's trace.
        await _judge(ctx, tenant, scopes, policies[tenant], context=items[0].context)


async def _judge_bursts(ctx: Context, conn: asyncpg.Connection, tenant: uuid.UUID, clusters: set[str], policy: AlertPolicy, now: datetime
) -> list[alert_pb2.Alert]:
    """One competitor_attack escalation per near-duplicate cluster whose negatives on one product
    reach the burst threshold within the window; later members update it (count, reasons)."""
    rules_ = policy.attacks
    members = await evaluation_repository.cluster_negatives(conn, tenant, sorted(clusters), negative_max=rules_.negative_max_rating)
    by_product: dict[tuple[str, str], list] = {}
    for m in members:
        by_product.setdefault((m["duplicate_cluster_id"], m["product_id"]), []).append(m)
    out = []
    span = timedelta(hours=rules_.window_hours)
    for (cluster, product), reviews in sorted(by_product.items()):
        # NOTE: the densest window of the cluster's negatives: a slow trickle over months is no burst.
        best, start = 0, 0
        for end in range(len(reviews)):
            while reviews[end]["posted_at"] - reviews[start]["posted_at"] > span:
                start += 1
            best = max(best, end - start + 1)
        if best < rules_.min_cluster_reviews:
            continue
        malicious = sum(1 for r in reviews if r["malicious"])
        first, last = reviews[0], reviews[-1]
        summary = (
            f"Suspected competitor attack on {product}: {len(reviews)} near-identical negative reviews "
            f"({best} within {rules_.window_hours} h) on {first['platform']} {first['marketplace']}"
        )
        reasons = [
            summary,
            f"near-duplicate cluster {cluster}: {len(reviews)} negative reviews, {malicious} with attack evidence",
            f"first {first['posted_at'].isoformat()}, latest {last['posted_at'].isoformat()}",
        ]
        labels = {
            "escalation": "competitor_attack", "team": "risk", "duplicate_cluster": cluster,
            "cluster_reviews": str(len(reviews)), "burst_reviews": str(best), "malicious_reviews": str(malicious),
            "review_ids": ",".join(str(r["review_id"]) for r in reviews[:50]),
            "marketplace": first["marketplace"],
        }
        ((row, new),) = await repository.insert_or_get_many(
            conn,
            [{
                "tenant_id": tenant, "dedup_key": f"{rules.COMPETITOR_ATTACK}:{cluster}:{product}",
                "rule": rules.COMPETITOR_ATTACK, "severity": alert_pb2.SEVERITY_HIGH, "review_id": None,
                "platform": first["platform"], "marketplace": first["marketplace"], "product_id": product,
                "reasons": reasons, "labels": labels, "scope": f"product:{product}", "summary": summary,
                "day": None, "fired_at": now, "incident_key": f"{rules.COMPETITOR_ATTACK}:{cluster}:{product}",
            }],
        )
        if new:
            alert = repository.to_proto(row)
            await route_alert(conn, alert, policy, now, metrics=ctx.metrics)
            out.append(alert)
        elif json.loads(row["labels"]).get("cluster_reviews") != labels["cluster_reviews"]:
            await evaluation_repository.update_alert(
                conn, tenant, row["id"], severity=row["severity"], reasons=reasons, labels=labels, summary=summary,
                day=None, at=now, action="updated",
            )
    return out


async def evaluate_trends(ctx: Context, tenant_id: str | uuid.UUID, *, days_back: int = 1) -> int:
    """Judges every active scope of the tenant for today and the previous `days_back` days
    (local to each marketplace); returns how many new alerts fired. Run on a schedule."""
    tenant = tenant_id if isinstance(tenant_id, uuid.UUID) else require_uuid(tenant_id, field="tenant_id")
    now = ctx.clock()
    async with ctx.pool.acquire() as conn:
        policy = await tenant_policies.effective(ctx, tenant, conn)
        rows = await evaluation_repository.active_scopes(conn, tenant, since=(now - timedelta(days=days_back + 1)).date())
    today_by_market: dict[str, date] = {}
    scopes = set()
    for r in rows:
        today = today_by_market.setdefault(r["marketplace"], now.astimezone(policy.time_zone(r["marketplace"])).date())
        if today - timedelta(days=days_back) <= r["local_day"] <= today:
            scopes.add((r["local_day"], r["marketplace"], r["store_id"], r["product_id"]))
    return await _judge(ctx, tenant, scopes, policy, context=None)


async def evaluate_all_tenants(ctx: Context) -> int:
    async with ctx.pool.acquire() as conn:
        tenants = await evaluation_repository.active_tenants(conn, since=(ctx.clock() - timedelta(days=3)).date())
    return sum([await evaluate_trends(ctx, t) for t in tenants])


async def _judge(ctx: Context, tenant: uuid.UUID, scopes: Iterable[tuple[date, str, str, str]], policy: AlertPolicy, *, context) -> int:
    """Judges baselines, crisis levels and aspect spikes for the given (day, marketplace, store,
    product) combinations; a finding continuing an incident updates its alert, a new incident
    fires (and is announced) once."""
    now = ctx.clock()
    # NOTE: only recent days are judged: importing a year of history must not fire a year of alerts.
    scopes = {
        s for s in scopes
        if s[0] >= now.astimezone(policy.time_zone(s[1])).date() - timedelta(days=policy.judge_days_back)
    }
    if not scopes:
        return 0
    b, c, sp = policy.baseline, policy.crisis, policy.spikes
    findings: list[tuple[trends.Finding, str, str, str]] = []
    first_day = min(day for day, *_ in scopes)
    last_day = max(day for day, *_ in scopes)
    span = max(b.history_days, c.history_days, c.level1_trailing_days, c.level2_days, sp.history_days) + b.orange_streak_days
    async with ctx.pool.acquire() as conn:
        core = set(c.core_products) or set(
            await evaluation_repository.busiest_products(conn, tenant, since=first_day - timedelta(days=30), limit=c.core_top_n)
        )
        # NOTE: one query per scope kind for the whole batch, not one per scope and day.
        figures = {
            kind: await evaluation_repository.daily_figures(
                conn, tenant, kind=kind, values=sorted({s[index] for s in scopes}),
                first=first_day - timedelta(days=span), last=last_day, negative_max=c.negative_max_rating,
            )
            for kind, index in (("marketplace", 1), ("store", 2), ("product", 3))
        }
        aspects = await evaluation_repository.aspect_counts(
            conn, tenant, marketplaces=sorted({s[1] for s in scopes}),
            first=first_day - timedelta(days=sp.history_days), last=last_day,
            negative_max=sp.negative_max_rating, scored_max=sp.scored_max_rating, negative_score=sp.negative_score,
        )
        checked: set[tuple[str, str, date]] = set()
        for day, marketplace, store, product in sorted(scopes):
            for kind, value in (("store", store), ("product", product), ("marketplace", marketplace)):
                if (kind, value, day) in checked:
                    continue
                checked.add((kind, value, day))
                series = figures[kind].get(value, {})
                scope = f"{kind}:{value}"
                candidates = []
                if kind in b.scopes:
                    candidates.append(trends.judge_baseline(series, day, scope, b))
                if kind == "marketplace":
                    candidates.append(trends.judge_level1(series, day, scope, c) or trends.judge_level3(series, day, scope, c))
                if kind == "product" and value in core:
                    candidates.append(trends.judge_level2(series, day, scope, c))
                findings += [(f, marketplace, store, product if kind == "product" else "") for f in candidates if f]
            if ("aspects", marketplace, day) not in checked:
                checked.add(("aspects", marketplace, day))
                volume = figures["marketplace"].get(marketplace, {})
                for aspect, by_day in aspects.get(marketplace, {}).items():
                    spike = trends.judge_spike(by_day, day, f"marketplace:{marketplace}", aspect, sp, volume=volume)
                    if spike:
                        findings.append((spike, marketplace, "", ""))
        fired = []
        if findings:
            async with conn.transaction():
                fired = await _store_findings(ctx, conn, tenant, findings, policy, now)
                await announcements.queue(conn, [(context, alert) for alert in fired])
    if fired:
        log.info("trend alerts fired", extra={"fields": {"tenant": str(tenant), "count": len(fired)}})
    return len(fired)


async def _store_findings(ctx: Context, conn: asyncpg.Connection, tenant: uuid.UUID, findings: list[tuple[trends.Finding, str, str, str]],
    policy: AlertPolicy, now: datetime,
) -> list[alert_pb2.Alert]:
    """One alert per incident: a finding within `incident_gap_days` of its incident's latest
    alert updates that alert (worst level kept, latest figures and day); otherwise it fires a
    new alert. Returns the alerts to announce: new ones, and ones whose severity rose."""
    gap = timedelta(days=policy.incident_gap_days)
    incidents = await evaluation_repository.latest_incidents(conn, tenant, sorted({f.incident_key for f, *_ in findings}))
    announce: dict[str, alert_pb2.Alert] = {}
    for finding, marketplace, store, product in sorted(findings, key=lambda x: (x[0].day, x[0].dedup_key)):
        labels = {**finding.labels, "marketplace": marketplace}
        if store:
            labels["store"] = store
        current = incidents.get(finding.incident_key)
        if current is not None and current["day"] is not None:
            started = date.fromisoformat(json.loads(current["labels"]).get("incident_start", current["day"].isoformat()))
            if started - gap <= (finding.since or finding.day) and finding.day <= current["day"] + gap:
                row, escalated = await _continue_incident(ctx, conn, tenant, current, finding, labels, now)
                incidents[finding.incident_key] = row
                if escalated and row["status"] != alert_pb2.ALERT_STATUS_RESOLVED:
                    alert = repository.to_proto(row)
                    await route_alert(conn, alert, policy, now, metrics=ctx.metrics)
                    announce[alert.id] = alert
                continue
        labels["incident_start"] = (finding.since or finding.day).isoformat()
        ((row, new),) = await repository.insert_or_get_many(
            conn,
            [{
                "tenant_id": tenant, "dedup_key": finding.dedup_key, "rule": finding.rule,
                "severity": finding.severity, "review_id": None, "platform": "", "marketplace": marketplace,
                "product_id": product, "reasons": [finding.summary], "labels": labels, "scope": finding.scope,
                "summary": finding.summary, "day": finding.day, "fired_at": now, "incident_key": finding.incident_key,
            }],
        )
        incidents[finding.incident_key] = row
        if new:
            alert = repository.to_proto(row)
            await route_alert(conn, alert, policy, now, metrics=ctx.metrics)
            announce[alert.id] = alert
    return list(announce.values())


async def _continue_incident(ctx: Context, conn: asyncpg.Connection, tenant: uuid.UUID, current, finding: trends.Finding, labels: dict[str, str],
    now: datetime,
) -> tuple[asyncpg.Record, bool]:
    """Folds a finding into its incident's alert; returns the row and whether its severity rose."""
    old_labels = json.loads(current["labels"])
    level_key = "crisis_level" if finding.rule == trends.CRISIS else "level"
    old_level = old_labels.get(level_key, old_labels.get("level", finding.level))
    worse = trends.LEVEL_RANK.get(finding.level, 0) >= trends.LEVEL_RANK.get(old_level, 0)
    day = max(current["day"], finding.day)
    if worse:
        merged = {**labels, "incident_start": old_labels.get("incident_start", current["day"].isoformat())}
        severity, summary = max(current["severity"], finding.severity), finding.summary
    else:
        # NOTE: an incident keeps the worst level it reached; a milder day only extends it.
        merged = {**old_labels, "current_level": finding.level}
        severity, summary = current["severity"], current["summary"]
    merged["last_day"] = day.isoformat()
    if merged == old_labels and day == current["day"] and summary == current["summary"]:
        return current, False
    reasons = json.loads(current["reasons"])
    if finding.summary not in reasons:
        reasons = (reasons + [finding.summary])[-20:]
    escalated = severity > current["severity"]
    row = await evaluation_repository.update_alert(
        conn, tenant, current["id"], severity=severity, reasons=reasons, labels=merged, summary=summary, day=day,
        at=now, action="escalated" if escalated else "updated",
    )
    return row, escalated


async def handle_sla_notice(ctx: Context, batch: list[Delivery[events_pb2.CaseSlaNotice]]) -> None:
    """Turns a case's SLA warning or breach into an alert, routed like any other (once each)."""
    for delivery in batch:
        case = delivery.message.case
        require_uuids({"case.tenant_id": case.tenant_id} | ({"case.review_id": case.review_id} if case.review_id else {}))
    async with ctx.pool.acquire() as conn, conn.transaction():
        fired = []
        for delivery in batch:
            notice = delivery.message
            case = notice.case
            tenant = uuid.UUID(case.tenant_id)
            policy = await tenant_policies.effective(ctx, tenant, conn)
            breached = notice.stage == "breached"
            what = "first response" if notice.sla == "first_response" else "resolution"
            summary = f"Case {case.id} {'missed' if breached else 'is close to'} its {what} due time"
            row, new = await repository.insert_or_get(
                conn,
                tenant_id=tenant,
                dedup_key=f"case_sla:{case.id}:{notice.sla}:{notice.stage}",
                rule="case_sla",
                severity=alert_pb2.SEVERITY_HIGH if breached else alert_pb2.SEVERITY_NORMAL,
                review_id=uuid.UUID(case.review_id) if case.review_id else None,
                marketplace=case.marketplace,
                product_id=case.product_id,
                reasons=[summary],
                labels={"sla": notice.sla, "stage": notice.stage, "case_id": case.id, "owner": case.owner},
                scope=f"case:{case.id}",
                summary=summary,
                fired_at=ctx.clock(),
            )
            if new:
                alert = repository.to_proto(row)
                await route_alert(conn, alert, policy, ctx.clock(), metrics=ctx.metrics)
                fired.append((delivery.context, alert))
        await announcements.queue(conn, fired)
