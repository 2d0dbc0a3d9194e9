"""The alerting service's transport-free core: grade analysed reviews, judge daily trends, store alerts
once, announce them, route them to receivers.

`AlertingService` owns no logic: each of its calls is the use case of one topic, bound to the
service's `Context`:

- `policies/`: the tenant's alert policy, Alertmanager routing in and out, which rules can judge;
- `evaluation/`: analysed reviews, case SLA notices and sources needing attention in, alerts and incidents out;
- `backlog/`: history reviews that would have alerted, and promoting them;
- `notifications/`: receivers, silences, deliveries (the dispatcher is `delivery.py`);
- `lifecycle.py`: a stored alert read, paged, acknowledged, resolved, linked to its case.

Every event the service emits goes through its outbox (`announcements.py`, `libs/outbox.py`), written
in the transaction that stores the alert; the app's relay publishes it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial

import asyncpg

from libs.crypto import SecretBox
from libs.metrics import Metrics
from libs.outbound import OutboundPolicy
from services.alerting import lifecycle
from services.alerting.backlog import service as backlog
from services.alerting.context import Context
from services.alerting.evaluation import service as evaluation
from services.alerting.evaluation import sources as source_alerts
from services.alerting.metrics import DeliveryMetrics
from services.alerting.notifications import service as notifications
from services.alerting.policies import service as policies

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class AlertingService:
    def __init__(
        self, *, pool: asyncpg.Pool, clock: Clock = _utc_now, box: SecretBox | None = None,
        outbound: OutboundPolicy | None = None, metrics: DeliveryMetrics | None = None,
    ) -> None:
        # NOTE: the wiring root passes the service registry's metrics; without (a test's service)
        # they count on a registry of their own, which `self.metrics.registry` reads.
        self.metrics = metrics or DeliveryMetrics(Metrics("alerting"))
        ctx = Context(pool=pool, clock=clock, metrics=self.metrics, box=box, outbound=outbound or OutboundPolicy())
        self._ctx = ctx
        self._pool = pool
        self._box = box
        # NOTE: each call below is a topic's use case with this service's context bound; its
        # signature and docstring are the function's (go to the function to read it).
        self.policy = partial(policies.effective, ctx)
        self.get_policy = partial(policies.get_policy, ctx)
        self.put_policy = partial(policies.put_policy, ctx)
        self.export_routing = partial(policies.export_routing, ctx)
        self.import_routing = partial(policies.import_routing, ctx)
        self.policy_status = partial(policies.policy_status, ctx)

        self.handle_analyzed = partial(evaluation.handle_analyzed, ctx)
        self.handle_sla_notice = partial(evaluation.handle_sla_notice, ctx)
        self.handle_source_needs_attention = partial(source_alerts.handle_source_needs_attention, ctx)
        self.evaluate_trends = partial(evaluation.evaluate_trends, ctx)
        self.evaluate_all_tenants = partial(evaluation.evaluate_all_tenants, ctx)

        self.history_backlog = partial(backlog.history_backlog, ctx)
        self.promote_backlog = partial(backlog.promote_backlog, ctx)

        self.put_receiver = partial(notifications.put_receiver, ctx)
        self.list_receivers = partial(notifications.list_receivers, ctx)
        self.delete_receiver = partial(notifications.delete_receiver, ctx)
        self.create_silence = partial(notifications.create_silence, ctx)
        self.list_silences = partial(notifications.list_silences, ctx)
        self.expire_silence = partial(notifications.expire_silence, ctx)
        self.list_deliveries = partial(notifications.list_deliveries, ctx)

        self.handle_case_opened = partial(lifecycle.handle_case_opened, ctx)
        self.acknowledge = partial(lifecycle.acknowledge, ctx)
        self.resolve = partial(lifecycle.resolve, ctx)
        self.list = partial(lifecycle.list_alerts, ctx)
        self.get = partial(lifecycle.get, ctx)

    def now(self) -> datetime:
        """The service's clock (injected in tests)."""
        return self._ctx.clock()
