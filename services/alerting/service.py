"""Alerting domain logic: grade analysed reviews, judge daily trends, store alerts once, announce them."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta, timezone

import asyncpg
from opentelemetry import trace
from pydantic import SecretStr, ValidationError

from libs import paging, topology
from libs.bus import Bus, Delivery
from libs.crypto import SecretBox
from libs.errors import Conflict, FieldViolation, InvalidArgument, NotFound, Unavailable, require_uuid
from reviewguard.alerting.v1 import alert_pb2, alerting_pb2
from reviewguard.events.v1 import events_pb2
from services.alerting import repository, rules, trends
from services.alerting.delivery import route_alert
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
        self, *, pool: asyncpg.Pool, bus: Bus | None = None, clock: Clock = _utc_now, box: SecretBox | None = None
    ) -> None:
        self._pool = pool
        self._bus = bus
        self._clock = clock
        self._box = box

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

    # --- reviews --------------------------------------------------------------------------

    async def handle_analyzed(self, batch: list[Delivery[events_pb2.ReviewAnalyzed]]) -> None:
        """Records each review's facts, fires at most one alert per review, then judges the trends
        of every (scope, day) the batch touched. Redelivery re-announces, never re-fires."""
        assert self._bus is not None, "handle_analyzed needs a bus"
        fired: list[tuple[object, alert_pb2.Alert]] = []
        touched: dict[uuid.UUID, set[tuple[date, str, str, str]]] = {}
        # NOTE: one transaction for the batch: on failure it is redelivered whole, and every write
        # in it is idempotent.
        async with self._pool.acquire() as conn, conn.transaction():
            policies: dict[uuid.UUID, AlertPolicy] = {}
            facts = []
            for delivery in batch:
                review, analysis = delivery.message.review, delivery.message.analysis
                if review.syndicated_from:
                    continue  # NOTE: a syndicated copy is the same review: counted and alerted once.
                tenant = uuid.UUID(review.tenant_id)
                if tenant not in policies:
                    policies[tenant] = await self.policy(tenant, conn)
                policy = policies[tenant]
                posted = review.posted_at.ToDatetime(tzinfo=timezone.utc)
                day = posted.astimezone(policy.time_zone(review.marketplace)).date()
                facts.append(
                    {
                        "review_id": uuid.UUID(review.id), "tenant_id": tenant, "version": review.version,
                        "platform": review.platform, "marketplace": review.marketplace, "store_id": review.store_id,
                        "product_id": review.product_id, "rating": review.rating, "aspects": list(analysis.aspects),
                        "posted_at": posted, "local_day": day, "competitor": review.competitor,
                    }
                )
                if not review.competitor:
                    touched.setdefault(tenant, set()).add((day, review.marketplace, review.store_id, review.product_id))
                draft = rules.evaluate_review(review, analysis, policy.reviews)
                if draft is None:
                    continue
                row, new = await repository.insert_or_get(
                    conn,
                    tenant_id=tenant,
                    dedup_key=f"{draft.rule}:{review.id}",
                    rule=draft.rule,
                    severity=draft.severity,
                    review_id=uuid.UUID(review.id),
                    platform=review.platform,
                    marketplace=review.marketplace,
                    product_id=review.product_id,
                    reasons=draft.reasons,
                    labels=draft.labels,
                    scope=f"review:{review.id}",
                    summary=draft.summary,
                    fired_at=self._clock(),
                )
                if new:
                    await route_alert(conn, repository.to_proto(row), policy, self._clock())
                fired.append((delivery.context, repository.to_proto(row)))
            await repository.upsert_facts(conn, facts)
        await asyncio.gather(*(self._announce(context, alert) for context, alert in fired))
        for tenant, scopes in touched.items():
            # NOTE: trend alerts caused by these reviews belong to the first review's trace.
            await self._judge(tenant, scopes, policies[tenant], context=batch[0].context)

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
        product) combinations; stores and announces new findings."""
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
        span = max(b.history_days, c.level1_trailing_days, c.level2_days)
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
                    for aspect, by_day in aspects.get(marketplace, {}).items():
                        spike = trends.judge_spike(by_day, day, f"marketplace:{marketplace}", aspect, sp)
                        if spike:
                            findings.append((spike, marketplace, "", ""))
            fired = []
            for finding, marketplace, store, product in findings:
                labels = {**finding.labels, "marketplace": marketplace}
                if store:
                    labels["store"] = store
                async with conn.transaction():
                    row, new = await repository.insert_or_get(
                        conn,
                        tenant_id=tenant,
                        dedup_key=finding.dedup_key,
                        rule=finding.rule,
                        severity=finding.severity,
                        marketplace=marketplace,
                        product_id=product,
                        reasons=[finding.summary],
                        labels=labels,
                        scope=finding.scope,
                        summary=finding.summary,
                        day=finding.day,
                        fired_at=self._clock(),
                    )
                    if new:
                        await route_alert(conn, repository.to_proto(row), policy, self._clock())
                        fired.append(repository.to_proto(row))
        await asyncio.gather(*(self._announce(context, alert) for alert in fired))
        if fired:
            log.info("trend alerts fired", extra={"fields": {"tenant": str(tenant), "count": len(fired)}})
        return len(fired)

    async def _announce(self, context, alert: alert_pb2.Alert) -> None:
        with tracer.start_as_current_span("alerting.alert_fired", context=context) as span:
            span.set_attribute("alert.id", alert.id)
            span.set_attribute("alert.rule", alert.rule)
            await self._bus.publish(topology.ALERT_FIRED, events_pb2.AlertFired(alert=alert), msg_id=f"alert:{alert.id}")

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
        await asyncio.gather(*(self._announce(context, alert) for context, alert in fired))

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
