"""The notification pipeline: route alerts into groups, flush groups into deliveries, send them.

Everything is stored before it is sent, so an alert reaches its receiver even if that receiver, or
this service, is down for a while: deliveries wait in PostgreSQL and are retried with backoff.
Time comes from an injectable clock, so tests replay hours in a few calls of `run_once`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import asyncpg
import httpx
from pydantic import ValidationError

from libs.crypto import SecretBox
from libs.loops import run_every
from reviewguard.alerting.v1 import alert_pb2
from services.alerting import repository, routing
from services.alerting.metrics import DeliveryMetrics
from services.alerting.notifications import repository as notifications_repository
from services.alerting.policy import AlertPolicy
from services.alerting.receivers import (
    DeliveryStatus,
    Notification,
    build_receiver,
    notification_from_alert,
    parse_receiver_config,
)
from services.alerting.receivers.notification import Severity

log = logging.getLogger(__name__)

# Deliveries that failed transiently wait this long at most before their next try.
MAX_RETRY_DELAY = timedelta(hours=1)
MAX_ALERTS_PER_MESSAGE = 10
GROUPS_PER_ROUND = 200
DELIVERIES_PER_ROUND = 100


async def route_alerts(
    conn: asyncpg.Connection, alerts: Sequence[alert_pb2.Alert], policy: AlertPolicy | Mapping[uuid.UUID, AlertPolicy],
    now: datetime, *, metrics: DeliveryMetrics,
) -> int:
    """Files new alerts into the notification group of every route they match, in a constant number
    of round trips whatever the batch size and however many tenants it holds (`policy`: one policy
    for all, or each tenant's); returns how many filings.

    An alert that reaches no configured receiver is labelled `undeliverable` (with the reason),
    counted (on `metrics`, the service's registry), and kept in history."""
    if not alerts:
        return 0
    entries, matched = [], []
    for alert in alerts:
        tenant_policy = policy if isinstance(policy, AlertPolicy) else policy[uuid.UUID(alert.tenant_id)]
        labels = routing.alert_labels(alert)
        targets = routing.match_routes(tenant_policy.routing.route, labels)
        matched.append((alert, labels, targets))
    wanted = {(uuid.UUID(alert.tenant_id), t.receiver) for alert, _, targets in matched for t in targets if t.receiver}
    known = await notifications_repository.existing_receivers_of(conn, sorted(wanted)) if wanted else set()
    undeliverable: list[tuple[uuid.UUID, str, str]] = []
    for alert, labels, targets in matched:
        tenant = uuid.UUID(alert.tenant_id)
        named = [t for t in targets if t.receiver]
        if not named:
            undeliverable.append((uuid.UUID(alert.id), "no receiver configured for its route", "no_receiver"))
        elif not any((tenant, t.receiver) in known for t in named):
            missing = ", ".join(sorted({t.receiver for t in named}))
            undeliverable.append((uuid.UUID(alert.id), f"receiver not configured: {missing}", "missing_receiver"))
        for target in named:
            entries.append(
                {
                    "tenant_id": tenant, "alert_id": uuid.UUID(alert.id), "route_path": target.route_path,
                    "receiver": target.receiver, "group_key": target.group_key(labels),
                    "group_wait": target.group_wait, "group_interval": target.group_interval,
                    "repeat_interval": target.repeat_interval, "escalate_to": list(target.escalate_to),
                    "escalate_after": target.escalate_after_minutes,
                    "mute_time_intervals": list(target.mute_time_intervals),
                    "active_time_intervals": list(target.active_time_intervals),
                }
            )
    await notifications_repository.add_to_groups(conn, entries, now)
    if undeliverable:
        await notifications_repository.mark_undeliverable(conn, [u[0] for u in undeliverable], [u[1] for u in undeliverable])
        reasons = {str(alert_id): reason for alert_id, reason, _ in undeliverable}
        for alert, _, _ in matched:
            if alert.id in reasons:
                alert.labels["undeliverable"] = reasons[alert.id]
        for _, _, kind in undeliverable:
            metrics.undeliverable_alert(kind)
    return len(entries)


async def route_alert(
    conn: asyncpg.Connection, alert: alert_pb2.Alert, policy: AlertPolicy, now: datetime, *, metrics: DeliveryMetrics
) -> int:
    """Files one new alert (see route_alerts)."""
    return await route_alerts(conn, [alert], policy, now, metrics=metrics)


def silenced(labels: dict[str, str], silences: list[asyncpg.Record], at: datetime) -> bool:
    """True when a silence in force (and inside its weekly window, if recurring) matches the labels."""
    for silence in silences:
        if not routing.matches_all(json.loads(silence["matchers"]), labels):
            continue
        weekly = silence["weekly"]
        if weekly is None or routing.WeeklyWindow.model_validate_json(weekly).contains(at):
            return True
    return False


def quiet_until(quiet_hours: dict | None, at: datetime) -> datetime | None:
    """When the receiver's quiet hours end, if `at` is inside them."""
    if not quiet_hours:
        return None
    window = routing.QuietHours.model_validate(quiet_hours).window()
    if not window.contains(at):
        return None
    later = at
    # NOTE: quiet hours are at most a day; stepping by minutes finds the end to the minute.
    for _ in range(24 * 60):
        later += timedelta(minutes=1)
        if not window.contains(later):
            return later.replace(second=0, microsecond=0)
    return None


class Dispatcher:
    """Flushes due notification groups, escalates unacknowledged alerts, and sends deliveries."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        box: SecretBox,
        http: httpx.AsyncClient,
        clock: Callable[[], datetime],
        link_base: str,
        policy_for: Callable,
        sleep=asyncio.sleep,
        metrics: DeliveryMetrics | None = None,
    ) -> None:
        self._pool = pool
        self._metrics = metrics
        self._box = box
        self._http = http
        self._clock = clock
        self._link_base = link_base.rstrip("/")
        self._policy_for = policy_for
        self._sleep = sleep

    async def run(self, stop: asyncio.Event, interval_seconds: float) -> None:
        # NOTE: a full round means more is waiting: go again at once instead of sleeping. A failed
        # round loses nothing: its groups and deliveries wait in PostgreSQL for the next.
        await run_every(
            self.run_once, interval_seconds=interval_seconds, stop=stop, name="dispatch round",
            more=lambda counts: counts["flushed"] >= GROUPS_PER_ROUND or counts["attempted"] >= DELIVERIES_PER_ROUND,
        )

    async def run_once(self) -> dict[str, int]:
        """One round: flush groups, escalate, deliver. Returns counts (for tests and logs)."""
        flushed = await self._flush_groups()
        escalated = await self._escalate()
        attempted, delivered = await self._deliver()
        return {"flushed": flushed, "escalated": escalated, "attempted": attempted, "delivered": delivered}

    async def _flush_groups(self) -> int:
        now = self._clock()
        flushed = 0
        # NOTE: what every group of a tenant is judged against is loaded once per round.
        context: dict[uuid.UUID, tuple[AlertPolicy, list[dict[str, str]], list[asyncpg.Record]]] = {}
        async with self._pool.acquire() as conn, conn.transaction():
            await notifications_repository.wake_groups_with_resolved(conn, now)
            for group in await notifications_repository.claim_due_groups(conn, now, GROUPS_PER_ROUND):
                tenant = group["tenant_id"]
                if tenant not in context:
                    policy = await self._policy_for(tenant, conn)
                    rules = policy.routing.effective_inhibit_rules()
                    sources = [
                        routing.alert_labels(repository.to_proto(r))
                        for r in await repository.firing_alerts(conn, tenant, now - timedelta(days=7))
                    ]
                    sources = [labels for labels in sources if routing.could_inhibit(labels, rules)]
                    context[tenant] = (policy, sources, await notifications_repository.silences_in_force(conn, tenant, now))
                await self._flush(conn, group, now, *context[tenant])
                flushed += 1
        return flushed

    async def _flush(
        self, conn: asyncpg.Connection, group: asyncpg.Record, now: datetime, policy: AlertPolicy,
        firing: list[dict[str, str]], silences: list[asyncpg.Record],
    ) -> int:
        """Sends what a group owes its receiver now: every unmuted firing alert of the group when
        some are new (Alertmanager's follow-up carries the whole group), all of them again after the
        repeat interval while some are unacknowledged, and resolved ones to send_resolved receivers."""
        tenant = group["tenant_id"]
        members = await notifications_repository.group_members(conn, group["id"])
        if not members:
            await notifications_repository.reschedule_group(conn, group["id"], next_flush_at=None, flushed_at=None)
            return 0
        interval = timedelta(seconds=group["group_interval"])
        if routing.muted_by_time(
            tuple(group["mute_time_intervals"]), tuple(group["active_time_intervals"]), policy.routing.intervals(), now
        ):
            # NOTE: as in Alertmanager, a muted route sends nothing and forgets nothing: what is
            # still owed goes out at the first group interval after the mute ends.
            await notifications_repository.reschedule_group(conn, group["id"], next_flush_at=now + interval, flushed_at=None)
            return 0
        rules = policy.routing.effective_inhibit_rules()
        resolved = [r for r in members if r["status"] == alert_pb2.ALERT_STATUS_RESOLVED]
        sendable, held = [], []
        for row in members:
            if row["status"] == alert_pb2.ALERT_STATUS_RESOLVED:
                continue
            labels = routing.alert_labels(repository.to_proto(row))
            muted = silenced(labels, silences, now) or routing.inhibited(labels, firing, rules)
            (held if muted else sendable).append(row)
        fresh = [r for r in sendable if r["notified_at"] is None]
        unacknowledged = [r for r in sendable if r["status"] == alert_pb2.ALERT_STATUS_FIRING]
        last = group["last_flushed_at"]
        repeat_due = last is not None and now >= last + timedelta(seconds=group["repeat_interval"]) and bool(unacknowledged)
        batch = sendable if (fresh or repeat_due) else []
        receiver = await notifications_repository.get_receiver(conn, tenant, group["receiver"])
        if receiver is None:
            if resolved:
                # NOTE: nobody to tell; forgetting them keeps the group from waking for nothing.
                await notifications_repository.mark_resolved_notified(conn, group["id"], [r["id"] for r in resolved], now)
            if batch:
                # NOTE: route_alerts marked alerts that reached no configured receiver when they were
                # routed; policies can no longer name missing receivers, so this is a leftover group.
                log.warning("alerts routed to a receiver that is not configured", extra={"fields": {"receiver": group["receiver"]}})
            # NOTE: the receiver may be created later; the group keeps trying at its interval.
            await notifications_repository.reschedule_group(conn, group["id"], next_flush_at=now + interval if batch or held else None, flushed_at=None)
            return 0
        send_resolved = False
        if receiver is not None and resolved:
            try:
                send_resolved = parse_receiver_config({**self._box.open(receiver["config"]), "name": receiver["name"]}).send_resolved
            except (ValidationError, ValueError):
                send_resolved = False
        if batch or (resolved and send_resolved):
            quiet_end = quiet_until(json.loads(receiver["quiet_hours"]) if receiver["quiet_hours"] else None, now)
            if quiet_end is not None and not any(r["severity"] == alert_pb2.SEVERITY_CRITICAL for r in batch):
                await notifications_repository.reschedule_group(conn, group["id"], next_flush_at=quiet_end, flushed_at=None)
                return 0
        if batch:
            ids = [r["id"] for r in batch]
            await notifications_repository.add_delivery(conn, tenant, receiver=group["receiver"], kind="notify" if fresh else "repeat", alert_ids=ids, now=now)
            escalate_at = now + timedelta(minutes=group["escalate_after"]) if group["escalate_to"] else None
            await notifications_repository.mark_notified(conn, group["id"], ids, now, escalate_at)
        if resolved:
            ids = [r["id"] for r in resolved]
            if send_resolved:
                await notifications_repository.add_delivery(conn, tenant, receiver=group["receiver"], kind="resolved", alert_ids=ids, now=now)
            await notifications_repository.mark_resolved_notified(conn, group["id"], ids, now)
        sent = bool(batch) or (bool(resolved) and send_resolved)
        # NOTE: muted alerts are looked at again after the group interval (a silence may expire);
        # notified ones come back after the repeat interval while they keep firing unacknowledged.
        if held:
            next_at = now + interval
        elif unacknowledged:
            next_at = (now if batch else (last or now)) + timedelta(seconds=group["repeat_interval"])
        else:
            next_at = None
        await notifications_repository.reschedule_group(conn, group["id"], next_flush_at=next_at, flushed_at=now if sent else None)
        return 1 if sent else 0

    async def _escalate(self) -> int:
        now = self._clock()
        count = 0
        async with self._pool.acquire() as conn, conn.transaction():
            for row in await notifications_repository.claim_due_escalations(conn, now, 100):
                chain = row["escalate_to"]
                step = row["escalation_step"]
                if step >= len(chain):
                    await notifications_repository.advance_escalation(conn, row["group_id"], row["alert_id"], step=step, escalate_at=None)
                    continue
                await notifications_repository.add_delivery(conn, row["tenant_id"], receiver=chain[step], kind="escalation", alert_ids=[row["alert_id"]], now=now)
                more = step + 1 < len(chain)
                await notifications_repository.advance_escalation(
                    conn, row["group_id"], row["alert_id"], step=step + 1,
                    escalate_at=now + timedelta(minutes=row["escalate_after"]) if more else None,
                )
                count += 1
        return count

    async def _deliver(self) -> tuple[int, int]:
        """Sends due deliveries concurrently; returns (attempted, delivered)."""
        now = self._clock()
        async with self._pool.acquire() as conn, conn.transaction():
            due = await notifications_repository.claim_due_deliveries(conn, now, DELIVERIES_PER_ROUND)
            if not due:
                return 0, 0
            receivers = {}
            for key in {(d["tenant_id"], d["receiver"]) for d in due}:
                receivers[key] = await notifications_repository.get_receiver(conn, *key)
            alerts = {
                r["id"]: repository.to_proto(r)
                for r in await repository.alerts_by_id(conn, list({a for d in due for a in d["alert_ids"]}))
            }
            outcomes = await asyncio.gather(
                *(self._send(d, receivers[(d["tenant_id"], d["receiver"])], alerts) for d in due)
            )
            for delivery, (status, error, retry_after) in zip(due, outcomes):
                if self._metrics is not None:
                    stored = receivers[(delivery["tenant_id"], delivery["receiver"])]
                    self._metrics.attempted(stored["kind"] if stored is not None else None, status)
                next_at = None
                if status == "pending":
                    next_at = now + (timedelta(seconds=retry_after) if retry_after else self._backoff(delivery["attempts"]))
                await notifications_repository.finish_delivery(conn, delivery["id"], status=status, error=error, next_attempt_at=next_at, now=now)
        return len(due), sum(1 for status, _, _ in outcomes if status == "delivered")

    async def _send(self, delivery: asyncpg.Record, stored: asyncpg.Record | None, alerts: dict) -> tuple[str, str, float | None]:
        """One delivery attempt: (new status, error text, server-requested retry delay)."""
        if stored is None:
            return "pending", "receiver not configured", None
        try:
            config = parse_receiver_config({**self._box.open(stored["config"]), "name": stored["name"]})
        except (ValidationError, ValueError) as error:
            return "failed", f"bad receiver config: {error.__class__.__name__}", None
        batch = [alerts[a] for a in delivery["alert_ids"] if a in alerts]
        if not batch:
            return "failed", "alerts no longer exist", None
        notification = self._notification(batch, language=config.language or "en", kind=delivery["kind"])
        result = await build_receiver(config, http=self._http, sleep=self._sleep).send(notification)
        if result.status is DeliveryStatus.OK:
            return "delivered", "", None
        # NOTE: the record keeps the short reason (status code, error class), never what the server answered.
        if result.status is DeliveryStatus.PERMANENT_FAILURE:
            log.error("delivery refused by receiver", extra={"fields": {"receiver": stored["name"], "error": result.reason}})
            return "failed", result.reason or "failed", None
        return "pending", result.reason or "failed for now", result.retry_after

    @staticmethod
    def _backoff(attempts: int) -> timedelta:
        return min(MAX_RETRY_DELAY, timedelta(seconds=15 * 2**attempts))

    def _notification(self, alerts: list[alert_pb2.Alert], *, language: str, kind: str) -> Notification:
        first = alerts[0]
        single = notification_from_alert(first, language=language, link=f"{self._link_base}/v1/alerts/{first.id}")
        if len(alerts) == 1 and kind == "notify":
            return single
        reasons = tuple(a.summary or "; ".join(a.reasons) for a in alerts[:MAX_ALERTS_PER_MESSAGE])
        if len(alerts) > MAX_ALERTS_PER_MESSAGE:
            reasons += (f"+{len(alerts) - MAX_ALERTS_PER_MESSAGE}",)
        worst = max(alerts, key=lambda a: a.severity)
        prefix = {"escalation": "⚠ unacknowledged", "repeat": "still firing", "resolved": "resolved"}.get(kind, f"{len(alerts)} alerts")
        if language == "zh":
            prefix = {"escalation": "⚠ 未确认升级", "repeat": "仍在告警", "resolved": "已恢复"}.get(kind, f"{len(alerts)} 条告警")
        return Notification(
            alert_id=first.id,
            rule=first.rule,
            severity={alert_pb2.SEVERITY_CRITICAL: Severity.CRITICAL, alert_pb2.SEVERITY_HIGH: Severity.HIGH}.get(worst.severity, Severity.NORMAL),
            product=first.product_id or first.scope,
            marketplace=first.marketplace,
            platform=first.platform,
            reasons=reasons,
            labels=dict(first.labels),
            link=single.link,
            language=language,
            tenant_id=first.tenant_id,
            review_id=first.review_id,
            fired_at=single.fired_at,
            title=f"{prefix}: {first.summary or first.rule}",
        )
