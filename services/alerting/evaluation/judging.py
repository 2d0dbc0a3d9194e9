"""Judging what a batch of reviews touched, for every tenant of the batch at once: near-duplicate
bursts into attack alerts, daily trends (baselines, crisis levels, aspect spikes) into incidents.

Runs inside the caller's transaction and returns the alerts to announce; the caller queues them.
Reads are set-based over all tenants of the batch (one query per scope kind, read from the day
counts, not the facts), so a batch costs the same number of round trips however many tenants and
reviews it holds; only findings (rare: a new or continued incident) are stored one by one, because
each may continue the incident the previous one touched.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

import asyncpg

from reviewguard.alerting.v1 import alert_pb2
from services.alerting import repository, rules, trends
from services.alerting.context import Context
from services.alerting.delivery import route_alerts
from services.alerting.evaluation import repository as evaluation_repository
from services.alerting.policy import AlertPolicy

Scope = tuple[date, str, str, str]  # (local day, marketplace, store, product)


async def judge_bursts(
    ctx: Context, conn: asyncpg.Connection, clusters: Mapping[uuid.UUID, set[str]], policies: Mapping[uuid.UUID, AlertPolicy],
    now: datetime,
) -> list[alert_pb2.Alert]:
    """One competitor_attack escalation per near-duplicate cluster whose negatives on one product
    reach the burst threshold within the window; later members update it (count, reasons)."""
    keys = [(t, c, policies[t].attacks.negative_max_rating) for t, cs in clusters.items() for c in sorted(cs)]
    by_product: dict[tuple[uuid.UUID, str, str], list] = {}
    for m in await evaluation_repository.cluster_negatives(conn, keys):
        by_product.setdefault((m["tenant_id"], m["duplicate_cluster_id"], m["product_id"]), []).append(m)
    drafts = []
    for (tenant, cluster, product), reviews in sorted(by_product.items()):
        draft = _attack(tenant, cluster, product, reviews, policies[tenant], now)
        if draft is not None:
            drafts.append(draft)
    fired = []
    for draft, (row, new) in zip(drafts, await repository.insert_or_get_many(conn, drafts)):
        if new:
            fired.append(repository.to_proto(row))
        elif json.loads(row["labels"]).get("cluster_reviews") != draft["labels"]["cluster_reviews"]:
            await evaluation_repository.update_alert(
                conn, draft["tenant_id"], row["id"], severity=row["severity"], reasons=draft["reasons"], labels=draft["labels"],
                summary=draft["summary"], day=None, at=now, action="updated",
            )
    await route_alerts(conn, fired, policies, now, metrics=ctx.metrics)
    return fired


def _attack(tenant: uuid.UUID, cluster: str, product: str, reviews: list, policy: AlertPolicy, now: datetime) -> dict | None:
    """The attack alert of one cluster's negatives on one product, or None below the burst threshold."""
    rules_ = policy.attacks
    # NOTE: the densest window of the cluster's negatives: a slow trickle over months is no burst.
    span = timedelta(hours=rules_.window_hours)
    best, start = 0, 0
    for end in range(len(reviews)):
        while reviews[end]["posted_at"] - reviews[start]["posted_at"] > span:
            start += 1
        best = max(best, end - start + 1)
    if best < rules_.min_cluster_reviews:
        return None
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
    return {
        "tenant_id": tenant, "dedup_key": f"{rules.COMPETITOR_ATTACK}:{cluster}:{product}",
        "rule": rules.COMPETITOR_ATTACK, "severity": alert_pb2.SEVERITY_HIGH, "review_id": None,
        "platform": first["platform"], "marketplace": first["marketplace"], "product_id": product,
        "reasons": reasons, "labels": labels, "scope": f"product:{product}", "summary": summary,
        "day": None, "fired_at": now, "incident_key": f"{rules.COMPETITOR_ATTACK}:{cluster}:{product}",
    }


async def judge_trends(
    ctx: Context, conn: asyncpg.Connection, scopes_by_tenant: Mapping[uuid.UUID, Iterable[Scope]],
    policies: Mapping[uuid.UUID, AlertPolicy], now: datetime,
) -> list[alert_pb2.Alert]:
    """Judges baselines, crisis levels and aspect spikes for the given (day, marketplace, store,
    product) combinations of each tenant; a finding continuing an incident updates its alert, a new
    incident fires once. Returns the alerts to announce."""
    wanted: dict[uuid.UUID, set[Scope]] = {}
    for tenant, scopes in scopes_by_tenant.items():
        policy = policies[tenant]
        # NOTE: only recent days are judged: importing a year of history must not fire a year of alerts.
        recent = {
            s for s in scopes
            if s[0] >= now.astimezone(policy.time_zone(s[1])).date() - timedelta(days=policy.judge_days_back)
        }
        if recent:
            wanted[tenant] = recent
    if not wanted:
        return []
    figure_keys: dict[str, list] = {"marketplace": [], "store": [], "product": []}
    aspect_keys, busiest_keys = [], []
    for tenant, scopes in wanted.items():
        b, c, sp = policies[tenant].baseline, policies[tenant].crisis, policies[tenant].spikes
        first_day, last_day = min(s[0] for s in scopes), max(s[0] for s in scopes)
        span = max(b.history_days, c.history_days, c.level1_trailing_days, c.level2_days, sp.history_days) + b.orange_streak_days
        for kind, index in (("marketplace", 1), ("store", 2), ("product", 3)):
            figure_keys[kind] += [
                (tenant, value, first_day - timedelta(days=span), last_day, c.negative_max_rating)
                for value in sorted({s[index] for s in scopes})
            ]
        aspect_keys += [
            (tenant, m, first_day - timedelta(days=sp.history_days), last_day, sp.negative_max_rating, sp.scored_max_rating,
             sp.negative_score)
            for m in sorted({s[1] for s in scopes})
        ]
        if not c.core_products:
            busiest_keys.append((tenant, first_day - timedelta(days=30), c.core_top_n))
    # NOTE: one query per scope kind for every tenant of the batch, not one per tenant, scope and day.
    figures = {kind: await evaluation_repository.daily_figures(conn, kind=kind, keys=keys) for kind, keys in figure_keys.items()}
    aspects = await evaluation_repository.aspect_counts(conn, keys=aspect_keys)
    busiest = await evaluation_repository.busiest_products(conn, busiest_keys)
    fired: list[alert_pb2.Alert] = []
    for tenant, scopes in sorted(wanted.items()):
        policy = policies[tenant]
        core = set(policy.crisis.core_products) or set(busiest.get(tenant, []))
        findings = _findings(tenant, scopes, policy, figures, aspects, core)
        if findings:
            fired += await _store_findings(ctx, conn, tenant, findings, policy, now)
    return fired


def _findings(tenant: uuid.UUID, scopes: set[Scope], policy: AlertPolicy, figures: dict, aspects: dict, core: set[str]
) -> list[tuple[trends.Finding, str, str, str]]:
    """What the rules find in one tenant's figures (pure)."""
    b, c, sp = policy.baseline, policy.crisis, policy.spikes
    findings: list[tuple[trends.Finding, str, str, str]] = []
    checked: set[tuple[str, str, date]] = set()
    for day, marketplace, store, product in sorted(scopes):
        for kind, value in (("store", store), ("product", product), ("marketplace", marketplace)):
            if (kind, value, day) in checked:
                continue
            checked.add((kind, value, day))
            series = figures[kind].get((tenant, value), {})
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
            volume = figures["marketplace"].get((tenant, marketplace), {})
            for aspect, by_day in aspects.get((tenant, marketplace), {}).items():
                spike = trends.judge_spike(by_day, day, f"marketplace:{marketplace}", aspect, sp, volume=volume)
                if spike:
                    findings.append((spike, marketplace, "", ""))
    return findings


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
                row, escalated = await _continue_incident(conn, tenant, current, finding, labels, now)
                incidents[finding.incident_key] = row
                if escalated and row["status"] != alert_pb2.ALERT_STATUS_RESOLVED:
                    alert = repository.to_proto(row)
                    await route_alerts(conn, [alert], policy, now, metrics=ctx.metrics)
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
            await route_alerts(conn, [alert], policy, now, metrics=ctx.metrics)
            announce[alert.id] = alert
    return list(announce.values())


async def _continue_incident(conn: asyncpg.Connection, tenant: uuid.UUID, current, finding: trends.Finding, labels: dict[str, str],
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
