"""What every alerting use case works with: the pool, the clock, the secret box, the outbound policy.

Built once by `AlertingService` from the wiring root's arguments and handed to the use-case
functions of the topic packages (`policies/`, `evaluation/`, `backlog/`, `notifications/`,
`lifecycle.py`), so they need no class of their own and no global state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from libs.crypto import SecretBox
from libs.outbound import OutboundPolicy
from services.alerting.metrics import DeliveryMetrics


@dataclass(frozen=True)
class Context:
    pool: asyncpg.Pool
    clock: Callable[[], datetime]
    # NOTE: on the service's registry (the wiring root's), so what routing counts is on /metrics.
    metrics: DeliveryMetrics
    # NOTE: receivers' secrets are sealed with it; without one, a receiver with secrets is refused.
    box: SecretBox | None = None
    # NOTE: receiver URLs are checked against the outbound policy when saved (and again on every send).
    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)
