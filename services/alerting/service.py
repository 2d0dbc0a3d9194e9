"""Alerting domain logic: grade analysed reviews, judge daily trends, store alerts once, announce them."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta, timezone

import asyncpg
from opentelemetry import trace
from pydantic import SecretStr, ValidationError

from libs import outbox, paging, topology
from libs.bus import Delivery
from libs.crypto import SecretBox
from libs.errors import Conflict, FieldViolation, InvalidArgument, NotFound, Unavailable, require_uuid
from libs.outbound import OutboundPolicy, OutboundRefused
from libs.telemetry import current_traceparent
from reviewguard.alerting.v1 import alert_pb2, alerting_pb2
from reviewguard.events.v1 import events_pb2
from services.alerting import alertmanager_config, repository, rules, trends
from services.alerting.delivery import route_alert, route_alerts
from services.alerting.policy import AlertPolicy
from services.alerting.receivers import parse_receiver_config
from services.alerting.routing import Matcher, QuietHours, WeeklyWindow

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class AlertingService:
    def __init__(
        self, *, pool: asyncpg.Pool, clock: Clock = _utc_now, box: SecretBox | None = None,
        outbound: OutboundPolicy | None = None,
    ) -> None:
        # NOTE: no bus: every event this service emits goes through its outbox (libs/outbox.py),
        # written in the transaction that stores the alert; the app's relay publishes it.
        self._pool = pool
        self._clock = clock
        self._box = box
        # NOTE: receiver URLs are checked against the outbound policy when saved (and again on every send).
        self._outbound = outbound or OutboundPolicy()

    def now(self) -> datetime:
        """The service's clock (injected in tests)."""
        return self._clock()

    # --- policies -------------------------------------------------------------------------

    async def policy(self, tenant_id: uuid.UUID, conn: asyncpg.Connection | None = None) -> AlertPolicy:
        """The tenant's effective policy (stored sections over the SPEC defaults)."""
        if conn is None:
            async with self._pool.acquire() as own:
                return await self.policy(tenant_id, own)
        stored = await repository.get_policy(conn, tenant_id)
        return AlertPolicy.model_validate(stored[0]) if stored else AlertPolicy()

    async def get_policy(self, tenant_id: str) -> tuple[AlertPolicy, int]:
        tenant = require_uuid(tenant_id, field="tenant_id")
        async with self._pool.acquire() as conn:
            stored = await repository.get_policy(conn, tenant)
        return (AlertPolicy.model_validate(stored[0]), stored[1]) if stored else (AlertPolicy(), 0)

    async def put_policy(self, tenant_id: str, policy_json: str) -> tuple[AlertPolicy, int]:
        """Validates and stores a whole policy; an invalid one is refused and nothing changes."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        try:
            policy = AlertPolicy.model_validate_json(policy_json)
        except ValidationError as error:
            violations = [
                FieldViolation(".".join(str(p) for p in e["loc"]) or "policy", e["msg"]) for e in error.errors()
            ]
            raise InvalidArgument("invalid alert policy; nothing was changed", violations) from None
        references = policy.routing.receiver_references()
        async with self._pool.acquire() as conn, conn.transaction():
            await repository.lock_routing(conn, tenant)
            known = await repository.existing_receivers(conn, tenant, sorted({name for _, name in references}))
            missing = [FieldViolation(path, f"receiver {name!r} is not configured (PUT it first)")
                       for path, name in references if name not in known]
            if missing:
                raise InvalidArgument("the policy routes to receivers that do not exist; nothing was changed", missing)
            version = await repository.put_policy(conn, tenant, policy.model_dump(mode="json"))
        return policy, version

    async def export_routing(self, tenant_id: str) -> tuple[str, int]:
        """The effective routing as Alertmanager YAML, with the policy version it was read from."""
        policy, version = await self.get_policy(tenant_id)
        return alertmanager_config.render(policy.routing), version

    async def import_routing(self, tenant_id: str, config: str) -> tuple[AlertPolicy, int]:
        """Replaces only the routing section with an Alertmanager config; the rest of the policy
        (thresholds, history minimums) stays. Validated like any policy: receivers must exist."""
        section = alertmanager_config.parse(config)
        policy, _ = await self.get_policy(tenant_id)
        # NOTE: read-modify-write; two imports racing keep the later one whole, which is what a
        # person pasting a config expects (put_policy serialises the writes).
        return await self.put_policy(tenant_id, json.dumps({**policy.model_dump(mode="json"), "routing": section}))

    # --- reviews --------------------------------------------------------------------------

    async def policies(self, conn: asyncpg.Connection, tenants: Iterable[uuid.UUID]) -> dict[uuid.UUID, AlertPolicy]:
        """The effective policies of several tenants, read in one query."""
        tenants = set(tenants)
        stored = await repository.get_policies(conn, sorted(tenants)) if tenants else {}
        return {t: AlertPolicy.model_validate(stored[t]) if t in stored else AlertPolicy() for t in tenants}

    async def handle_analyzed(self, batch: list[Delivery[events_pb2.ReviewAnalyzed]]) -> None:
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
        now = self._clock()
        # NOTE: one transaction for the batch: on failure it is redelivered whole, and every write
        # in it is idempotent. Set-based: one read of the policies, one upsert of the facts, one
        # insert-or-get of the alerts; only routing goes alert by alert.
        async with self._pool.acquire() as conn, conn.transaction():
            policies = await self.policies(conn, {uuid.UUID(d.message.review.tenant_id) for d in items})
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
            await repository.upsert_facts(conn, facts)
            new_by_tenant: dict[uuid.UUID, list[alert_pb2.Alert]] = {}
            for context, (row, new) in zip(contexts, await repository.insert_or_get_many(conn, alerts)):
                if new:
                    # NOTE: an alert found already stored (a redelivered batch) was announced by the
                    # transaction that stored it.
                    alert = repository.to_proto(row)
                    new_by_tenant.setdefault(row["tenant_id"], []).append(alert)
                    fired.append((context, alert))
            for tenant, new_alerts in new_by_tenant.items():
                await route_alerts(conn, new_alerts, policies[tenant], now)
            for tenant, clusters in bursts.items():
                fired += [(items[0].context, a) for a in await self._judge_bursts(conn, tenant, clusters, policies[tenant], now)]
            await _queue_announcements(conn, fired)
        for tenant, scopes in touched.items():
            # NOTE: trend alerts caused by these reviews belong to the first review's trace.
            await self._judge(tenant, scopes, policies[tenant], context=items[0].context)

    async def _judge_bursts(
        self, conn: asyncpg.Connection, tenant: uuid.UUID, clusters: set[str], policy: AlertPolicy, now: datetime
    ) -> list[alert_pb2.Alert]:
        """One competitor_attack escalation per near-duplicate cluster whose negatives on one product
        reach the burst threshold within the window; later members update it (count, reasons)."""
        rules_ = policy.attacks
        members = await repository.cluster_negatives(conn, tenant, sorted(clusters), negative_max=rules_.negative_max_rating)
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
                await route_alert(conn, alert, policy, now)
                out.append(alert)
            elif json.loads(row["labels"]).get("cluster_reviews") != labels["cluster_reviews"]:
                await repository.update_alert(
                    conn, tenant, row["id"], severity=row["severity"], reasons=reasons, labels=labels, summary=summary,
                    day=None, at=now, action="updated",
                )
        return out

    # --- trends ---------------------------------------------------------------------------

    async def evaluate_trends(self, tenant_id: str | uuid.UUID, *, days_back: int = 1) -> int:
        """Judges every active scope of the tenant for today and the previous `days_back` days
        (local to each marketplace); returns how many new alerts fired. Run on a schedule."""
        tenant = tenant_id if isinstance(tenant_id, uuid.UUID) else require_uuid(tenant_id, field="tenant_id")
        now = self._clock()
        async with self._pool.acquire() as conn:
            policy = await self.policy(tenant, conn)
            rows = await repository.active_scopes(conn, tenant, since=(now - timedelta(days=days_back + 1)).date())
        today_by_market: dict[str, date] = {}
        scopes = set()
        for r in rows:
            today = today_by_market.setdefault(r["marketplace"], now.astimezone(policy.time_zone(r["marketplace"])).date())
            if today - timedelta(days=days_back) <= r["local_day"] <= today:
                scopes.add((r["local_day"], r["marketplace"], r["store_id"], r["product_id"]))
        return await self._judge(tenant, scopes, policy, context=None)

    async def evaluate_all_tenants(self) -> int:
        async with self._pool.acquire() as conn:
            tenants = await repository.active_tenants(conn, since=(self._clock() - timedelta(days=3)).date())
        return sum([await self.evaluate_trends(t) for t in tenants])

    async def _judge(self, tenant: uuid.UUID, scopes: Iterable[tuple[date, str, str, str]], policy: AlertPolicy, *, context) -> int:
        """Judges baselines, crisis levels and aspect spikes for the given (day, marketplace, store,
        product) combinations; a finding continuing an incident updates its alert, a new incident
        fires (and is announced) once."""
        now = self._clock()
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
        async with self._pool.acquire() as conn:
            core = set(c.core_products) or set(
                await repository.busiest_products(conn, tenant, since=first_day - timedelta(days=30), limit=c.core_top_n)
            )
            # NOTE: one query per scope kind for the whole batch, not one per scope and day.
            figures = {
                kind: await repository.daily_figures(
                    conn, tenant, kind=kind, values=sorted({s[index] for s in scopes}),
                    first=first_day - timedelta(days=span), last=last_day, negative_max=c.negative_max_rating,
                )
                for kind, index in (("marketplace", 1), ("store", 2), ("product", 3))
            }
            aspects = await repository.aspect_counts(
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
                    fired = await self._store_findings(conn, tenant, findings, policy, now)
                    await _queue_announcements(conn, [(context, alert) for alert in fired])
        if fired:
            log.info("trend alerts fired", extra={"fields": {"tenant": str(tenant), "count": len(fired)}})
        return len(fired)

    async def _store_findings(
        self, conn: asyncpg.Connection, tenant: uuid.UUID, findings: list[tuple[trends.Finding, str, str, str]],
        policy: AlertPolicy, now: datetime,
    ) -> list[alert_pb2.Alert]:
        """One alert per incident: a finding within `incident_gap_days` of its incident's latest
        alert updates that alert (worst level kept, latest figures and day); otherwise it fires a
        new alert. Returns the alerts to announce: new ones, and ones whose severity rose."""
        gap = timedelta(days=policy.incident_gap_days)
        incidents = await repository.latest_incidents(conn, tenant, sorted({f.incident_key for f, *_ in findings}))
        announce: dict[str, alert_pb2.Alert] = {}
        for finding, marketplace, store, product in sorted(findings, key=lambda x: (x[0].day, x[0].dedup_key)):
            labels = {**finding.labels, "marketplace": marketplace}
            if store:
                labels["store"] = store
            current = incidents.get(finding.incident_key)
            if current is not None and current["day"] is not None:
                started = date.fromisoformat(json.loads(current["labels"]).get("incident_start", current["day"].isoformat()))
                if started - gap <= (finding.since or finding.day) and finding.day <= current["day"] + gap:
                    row, escalated = await self._continue_incident(conn, tenant, current, finding, labels, now)
                    incidents[finding.incident_key] = row
                    if escalated and row["status"] != alert_pb2.ALERT_STATUS_RESOLVED:
                        alert = repository.to_proto(row)
                        await route_alert(conn, alert, policy, now)
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
                await route_alert(conn, alert, policy, now)
                announce[alert.id] = alert
        return list(announce.values())

    async def _continue_incident(
        self, conn: asyncpg.Connection, tenant: uuid.UUID, current, finding: trends.Finding, labels: dict[str, str],
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
        row = await repository.update_alert(
            conn, tenant, current["id"], severity=severity, reasons=reasons, labels=merged, summary=summary, day=day,
            at=now, action="escalated" if escalated else "updated",
        )
        return row, escalated

    # --- status and backlog ---------------------------------------------------------------

    async def policy_status(self, tenant_id: str) -> dict[str, dict]:
        """Per rule: whether it can judge yet. Trend rules need history (days and reviews in their
        window) per scope; below it they say "insufficient_history" while per-review grading and
        attack detection work from the first review."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        async with self._pool.acquire() as conn:
            policy = await self.policy(tenant, conn)
            today = self._clock().date()
            windows = {"rating_baseline": policy.baseline, "crisis": policy.crisis, "aspect_spike": policy.spikes}
            longest = max(r.history_days for r in windows.values())
            rows = await repository.history_coverage(conn, tenant, first=today - timedelta(days=longest), last=today)
        status: dict[str, dict] = {
            rules.NEGATIVE_REVIEW: {"state": "active", "detail": "every live review is graded from the first one"},
            rules.COMPETITOR_ATTACK: {
                "state": "active",
                "detail": f"{policy.attacks.min_cluster_reviews}+ near-duplicate negatives on one product within "
                f"{policy.attacks.window_hours} h raise one escalation",
            },
        }
        kinds = {
            "rating_baseline": set(policy.baseline.scopes), "crisis": {"marketplace", "product"}, "aspect_spike": {"marketplace"},
        }
        for rule, section in windows.items():
            # NOTE: coverage is counted over the longest window; a rule with a shorter one may see less.
            scoped = [r for r in rows if r["kind"] in kinds[rule]]
            ready = sorted(f"{r['kind']}:{r['value']}" for r in scoped
                           if r["days"] >= section.min_history_days and r["reviews"] >= section.min_history_reviews)
            waiting = sorted(f"{r['kind']}:{r['value']}" for r in scoped
                             if f"{r['kind']}:{r['value']}" not in set(ready))
            state = "active" if ready and not waiting else "partial" if ready else "insufficient_history"
            need = f"{section.min_history_days} days with reviews and {section.min_history_reviews} reviews"
            detail = {
                "active": f"every scope has {need} of history",
                "partial": f"{len(waiting)} scope(s) still below {need}; they are not judged yet",
                "insufficient_history": f"insufficient history: no scope has {need} yet; per-review alerts still fire",
            }[state]
            status[rule] = {
                "state": state, "detail": detail, "min_history_days": section.min_history_days,
                "min_history_reviews": section.min_history_reviews, "significance": section.significance,
                "ready_scopes": len(ready), "waiting_scopes": waiting[:100],
            }
        return status

    async def history_backlog(self, tenant_id: str, *, page_size: int, page_token: str) -> tuple[list[dict], str]:
        """History reviews that would have alerted as news, newest first, for a team to triage."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        limit = paging.page_size(page_size)
        async with self._pool.acquire() as conn:
            rows = await repository.history_backlog(conn, tenant, after=paging.decode(page_token), limit=limit + 1)
        next_token = paging.encode(rows[limit - 1]["posted_at"], rows[limit - 1]["review_id"]) if len(rows) > limit else ""
        items = [
            {
                "review_id": str(r["review_id"]), "platform": r["platform"], "marketplace": r["marketplace"],
                "product_id": r["product_id"], "rating": r["rating"], "posted_at": r["posted_at"].isoformat(),
                "severity": r["backlog_severity"], "summary": r["backlog_summary"],
                "reasons": json.loads(r["backlog_reasons"]), "labels": json.loads(r["backlog_labels"]),
            }
            for r in rows[:limit]
        ]
        return items, next_token

    async def promote_backlog(self, tenant_id: str, review_ids: list[str], actor: str) -> list[alert_pb2.Alert]:
        """Turns backlog reviews into the alerts they would have fired as news, routed and announced
        (resolution opens their cases), labelled `promoted_from=history`; all or nothing. An id
        promoted before answers its existing alert, so a retried call fires nothing twice."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        if not 1 <= len(review_ids) <= MAX_PROMOTE:
            raise InvalidArgument("promote 1 to 500 reviews at a time", [FieldViolation("review_ids", f"1..{MAX_PROMOTE} ids")])
        ids = [require_uuid(r, field=f"review_ids[{i}]") for i, r in enumerate(review_ids)]
        now = self._clock()
        async with self._pool.acquire() as conn, conn.transaction():
            found = await repository.backlog_items(conn, tenant, ids)
            missing = [FieldViolation(f"review_ids[{i}]", "not in this tenant's backlog") for i, r in enumerate(ids) if r not in found]
            if missing:
                raise InvalidArgument("only backlog reviews can be promoted; nothing was changed", missing)
            policy = await self.policy(tenant, conn)
            drafts = []
            for review_id in dict.fromkeys(ids):
                row = found[review_id]
                labels = {**json.loads(row["backlog_labels"]), "promoted_from": "history"}
                drafts.append({
                    "tenant_id": tenant, "dedup_key": f"{rules.NEGATIVE_REVIEW}:{review_id}", "rule": rules.NEGATIVE_REVIEW,
                    "severity": row["backlog_severity"], "review_id": review_id, "platform": row["platform"],
                    "marketplace": row["marketplace"], "product_id": row["product_id"],
                    "reasons": json.loads(row["backlog_reasons"]), "labels": labels, "scope": f"review:{review_id}",
                    "summary": row["backlog_summary"], "day": None, "fired_at": now, "incident_key": None,
                })  # fmt: skip
            stored = await repository.insert_or_get_many(conn, drafts)
            new = [repository.to_proto(row) for row, created in stored if created]
            await route_alerts(conn, new, policy, now)
            await repository.log_actor(conn, [uuid.UUID(a.id) for a in new], now, "promoted", actor or "")
            await repository.mark_promoted(conn, tenant, list(found), now)
            await _queue_announcements(conn, [(None, a) for a in new])
        by_review = {row["review_id"]: repository.to_proto(row) for row, _ in stored}
        return [by_review[r] for r in ids]

    # --- lifecycle ------------------------------------------------------------------------

    async def handle_sla_notice(self, batch: list[Delivery[events_pb2.CaseSlaNotice]]) -> None:
        """Turns a case's SLA warning or breach into an alert, routed like any other (once each)."""
        async with self._pool.acquire() as conn, conn.transaction():
            fired = []
            for delivery in batch:
                notice = delivery.message
                case = notice.case
                tenant = uuid.UUID(case.tenant_id)
                policy = await self.policy(tenant, conn)
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
                    fired_at=self._clock(),
                )
                if new:
                    alert = repository.to_proto(row)
                    await route_alert(conn, alert, policy, self._clock())
                    fired.append((delivery.context, alert))
            await _queue_announcements(conn, fired)

    async def handle_case_opened(self, batch: list[Delivery[events_pb2.CaseOpened]]) -> None:
        """Links each alert to the case opened for it."""
        async with self._pool.acquire() as conn:
            for delivery in batch:
                case = delivery.message.case
                await repository.link_case(conn, uuid.UUID(case.tenant_id), uuid.UUID(case.alert_id), uuid.UUID(case.id))

    async def acknowledge(self, tenant_id: str, alert_id: str, actor: str) -> alert_pb2.Alert:
        return await self._set_status(tenant_id, alert_id, actor, alert_pb2.ALERT_STATUS_ACKNOWLEDGED)

    async def resolve(self, tenant_id: str, alert_id: str, actor: str) -> alert_pb2.Alert:
        return await self._set_status(tenant_id, alert_id, actor, alert_pb2.ALERT_STATUS_RESOLVED)

    async def _set_status(self, tenant_id: str, alert_id: str, actor: str, status: int) -> alert_pb2.Alert:
        tenant = require_uuid(tenant_id, field="tenant_id")
        alert = require_uuid(alert_id, field="alert_id")
        if len(actor) > 200:
            raise InvalidArgument("actor is too long", [FieldViolation("actor", "at most 200 characters")])
        async with self._pool.acquire() as conn, conn.transaction():
            current = await repository.get(conn, tenant, alert)
            if current is None:
                raise NotFound(f"alert {alert_id} not found")
            if current["status"] == alert_pb2.ALERT_STATUS_RESOLVED and status == alert_pb2.ALERT_STATUS_ACKNOWLEDGED:
                return repository.to_proto(current)  # NOTE: acknowledging a resolved alert changes nothing
            row = await repository.set_status(conn, tenant, alert, status=status, actor=actor, at=self._clock())
        return repository.to_proto(row)

    # --- receivers, silences, deliveries ----------------------------------------------------

    async def put_receiver(self, tenant_id: str, name: str, config_json: str, quiet_hours_json: str) -> alerting_pb2.Receiver:
        tenant = require_uuid(tenant_id, field="tenant_id")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", name or ""):
            raise InvalidArgument("bad receiver name", [FieldViolation("name", "letters, digits, . _ - (at most 100)")])
        if self._box is None:
            raise Unavailable("no encryption key configured; receivers cannot be stored")
        data = _json_object(config_json, "config")
        try:
            config = parse_receiver_config({**data, "name": name})
            quiet = QuietHours.model_validate(_json_object(quiet_hours_json, "quiet_hours")) if quiet_hours_json else None
        except ValidationError as error:
            raise InvalidArgument("invalid receiver; nothing was changed", _violations(error)) from None
        secrets = config.model_dump(mode="python", exclude={"name"})
        refused = await _refused_urls(self._outbound, str(data.get("kind", "")), _reveal(secrets))
        if refused:
            raise InvalidArgument("receiver destination refused by the outbound policy; nothing was changed", refused)
        sealed = self._box.seal(_reveal(secrets))
        async with self._pool.acquire() as conn:
            await repository.put_receiver(
                conn, tenant, name, kind=data.get("kind", ""), sealed=sealed, quiet_hours=quiet.model_dump(mode="json") if quiet else None
            )
        return self._receiver_view(name, data.get("kind", ""), config, quiet.model_dump(mode="json") if quiet else None)

    def _receiver_view(self, name: str, kind: str, config, quiet: dict | None) -> alerting_pb2.Receiver:
        return alerting_pb2.Receiver(
            name=name,
            kind=kind,
            config_json=config.model_dump_json(exclude={"name"}),
            quiet_hours_json=json.dumps(quiet) if quiet else "",
        )

    async def list_receivers(self, tenant_id: str) -> list[alerting_pb2.Receiver]:
        tenant = require_uuid(tenant_id, field="tenant_id")
        async with self._pool.acquire() as conn:
            rows = await repository.list_receivers(conn, tenant)
        views = []
        for row in rows:
            config = parse_receiver_config({**self._box.open(row["config"]), "name": row["name"]})
            views.append(self._receiver_view(row["name"], row["kind"], config, json.loads(row["quiet_hours"]) if row["quiet_hours"] else None))
        return views

    async def delete_receiver(self, tenant_id: str, name: str) -> None:
        tenant = require_uuid(tenant_id, field="tenant_id")
        async with self._pool.acquire() as conn, conn.transaction():
            await repository.lock_routing(conn, tenant)
            stored = await repository.get_policy(conn, tenant)
            if stored:
                uses = [path for path, used in AlertPolicy.model_validate(stored[0]).routing.receiver_references() if used == name]
                if uses:
                    raise Conflict(
                        f"receiver {name!r} is used by the alert policy; change the policy first",
                        [FieldViolation(path, f"routes to {name!r}") for path in uses],
                    )
            if not await repository.delete_receiver(conn, tenant, name):
                raise NotFound(f"receiver {name!r} not found")

    async def create_silence(self, tenant_id: str, silence: alerting_pb2.Silence) -> alerting_pb2.Silence:
        tenant = require_uuid(tenant_id, field="tenant_id")
        now = self._clock()
        bad: list[FieldViolation] = []
        if not silence.matchers:
            bad.append(FieldViolation("matchers", "a silence needs at least one matcher"))
        for i, matcher in enumerate(silence.matchers):
            try:
                Matcher.parse(matcher)
            except ValueError as error:
                bad.append(FieldViolation(f"matchers[{i}]", str(error)))
        starts = silence.starts_at.ToDatetime(tzinfo=timezone.utc) if silence.HasField("starts_at") else now
        if not silence.HasField("ends_at"):
            bad.append(FieldViolation("ends_at", "is required: every silence expires"))
            ends = now
        else:
            ends = silence.ends_at.ToDatetime(tzinfo=timezone.utc)
            if ends <= max(starts, now):
                bad.append(FieldViolation("ends_at", "must be after starts_at and in the future"))
        weekly = None
        if silence.weekly_json:
            try:
                weekly = WeeklyWindow.model_validate(_json_object(silence.weekly_json, "weekly")).model_dump(mode="json")
            except ValidationError as error:
                bad += _violations(error, prefix="weekly")
        if bad:
            raise InvalidArgument("invalid silence; nothing was stored", bad)
        async with self._pool.acquire() as conn:
            row = await repository.create_silence(
                conn, tenant, matchers=list(silence.matchers), starts_at=starts, ends_at=ends, weekly=weekly,
                comment=silence.comment[:500], created_by=silence.created_by[:200],
            )
        return _silence_proto(row)

    async def list_silences(self, tenant_id: str) -> list[alerting_pb2.Silence]:
        tenant = require_uuid(tenant_id, field="tenant_id")
        async with self._pool.acquire() as conn:
            return [_silence_proto(r) for r in await repository.list_silences(conn, tenant, self._clock())]

    async def expire_silence(self, tenant_id: str, silence_id: str) -> None:
        tenant = require_uuid(tenant_id, field="tenant_id")
        silence = require_uuid(silence_id, field="silence_id")
        async with self._pool.acquire() as conn:
            if not await repository.expire_silence(conn, tenant, silence, self._clock()):
                raise NotFound(f"silence {silence_id} not found")

    async def list_deliveries(self, tenant_id: str, alert_id: str, page_size: int) -> list[alerting_pb2.Delivery]:
        tenant = require_uuid(tenant_id, field="tenant_id")
        alert = require_uuid(alert_id, field="alert_id") if alert_id else None
        async with self._pool.acquire() as conn:
            rows = await repository.list_deliveries(conn, tenant, alert_id=alert, limit=paging.page_size(page_size))
        out = []
        for r in rows:
            d = alerting_pb2.Delivery(
                id=str(r["id"]), receiver=r["receiver"], kind=r["kind"], alert_ids=[str(a) for a in r["alert_ids"]],
                status=r["status"], attempts=r["attempts"], last_error=r["last_error"],
            )
            d.created_at.FromDatetime(r["created_at"])
            if r["delivered_at"]:
                d.delivered_at.FromDatetime(r["delivered_at"])
            out.append(d)
        return out

    # --- queries --------------------------------------------------------------------------

    async def list(
        self,
        tenant_id: str,
        *,
        review_id: str,
        page_size: int,
        page_token: str,
        rule: str = "",
        status: int = 0,
        labels: Iterable[str] = (),
    ) -> tuple[list[alert_pb2.Alert], str]:
        tenant = require_uuid(tenant_id, field="tenant_id")
        review = require_uuid(review_id, field="review_id") if review_id else None
        matchers = {}
        for matcher in labels:
            key, sep, value = matcher.partition("=")
            if not sep or not key:
                raise InvalidArgument("label filters look like key=value", [FieldViolation("labels", f"bad matcher {matcher!r}")])
            matchers[key] = value
        limit = paging.page_size(page_size)
        async with self._pool.acquire() as conn:
            rows = await repository.list_alerts(
                conn, tenant, review_id=review, rule=rule or None, status=status or None, labels=matchers,
                after=paging.decode(page_token), limit=limit + 1,
            )
        next_token = paging.encode(rows[limit - 1]["fired_at"], rows[limit - 1]["id"]) if len(rows) > limit else ""
        return [repository.to_proto(r) for r in rows[:limit]], next_token

    async def get(self, tenant_id: str, alert_id: str) -> alert_pb2.Alert:
        tenant = require_uuid(tenant_id, field="tenant_id")
        alert = require_uuid(alert_id, field="alert_id")
        async with self._pool.acquire() as conn:
            row = await repository.get(conn, tenant, alert)
        if row is None:
            raise NotFound(f"alert {alert_id} not found")
        return repository.to_proto(row)


async def _queue_announcements(conn: asyncpg.Connection, fired: list[tuple[object, alert_pb2.Alert]]) -> None:
    """alerts.fired for each alert, into the outbox in the caller's transaction: the event exists
    exactly when the alert does, and reaches resolution (which opens the case) once NATS is there."""
    events = []
    for context, alert in fired:
        with tracer.start_as_current_span("alerting.alert_fired", context=context) as span:
            span.set_attribute("alert.id", alert.id)
            span.set_attribute("alert.rule", alert.rule)
            payload = events_pb2.AlertFired(alert=alert).SerializeToString()
            events.append(outbox.Event(topology.ALERT_FIRED, _announcement_id(alert), payload, current_traceparent()))
    await outbox.add(conn, events, channel=repository.OUTBOX_CHANNEL)


def _announcement_id(alert: alert_pb2.Alert) -> str:
    """A redelivered alert is announced once; an incident whose severity rose is announced again."""
    return f"alert:{alert.id}" if alert.rule not in TREND_RULES else f"alert:{alert.id}:{alert.severity}"


# NOTE: one call is one transaction holding row locks; 500 is a page of the backlog.
MAX_PROMOTE = 500

TREND_RULES = {trends.RATING_BASELINE, trends.CRISIS, trends.ASPECT_SPIKE}


def _json_object(text: str, field: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidArgument(f"{field} is not valid JSON", [FieldViolation(field, str(error))]) from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"{field} must be a JSON object", [FieldViolation(field, "must be a JSON object")])
    return value


def _violations(error: ValidationError, prefix: str = "") -> list[FieldViolation]:
    return [
        FieldViolation(".".join(str(p) for p in ([prefix] if prefix else []) + list(e["loc"])) or "body", e["msg"])
        for e in error.errors()
    ]


async def _refused_urls(policy: OutboundPolicy, prefix: str, values: dict) -> list[FieldViolation]:
    """A violation (named like pydantic's, e.g. `webhook.url`) for each URL the outbound policy refuses."""
    bad = []
    for key, value in values.items():
        if isinstance(value, dict):
            bad += await _refused_urls(policy, f"{prefix}.{key}", value)
        elif isinstance(value, str) and "://" in value:
            try:
                await policy.check_url(value)
            except OutboundRefused as refused:
                bad.append(FieldViolation(f"{prefix}.{key}" if prefix else key, refused.reason))
    return bad


def _reveal(value):
    """A config dump with SecretStr values opened, for sealing (never for logs or responses)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_reveal(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _silence_proto(row) -> alerting_pb2.Silence:
    silence = alerting_pb2.Silence(
        id=str(row["id"]), matchers=json.loads(row["matchers"]), weekly_json=row["weekly"] or "",
        comment=row["comment"], created_by=row["created_by"],
    )
    silence.starts_at.FromDatetime(row["starts_at"])
    silence.ends_at.FromDatetime(row["ends_at"])
    return silence
