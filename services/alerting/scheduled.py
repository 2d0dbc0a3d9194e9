"""Time-based rules on a schedule: trends are judged even when no review arrives."""

from __future__ import annotations

import asyncio

from libs.loops import run_every
from services.alerting.service import AlertingService


async def run_trend_schedule(service: AlertingService, *, interval_seconds: float, stop: asyncio.Event) -> None:
    """Judges every active tenant's trends every `interval_seconds` until `stop`."""
    await run_every(service.evaluate_all_tenants, interval_seconds=interval_seconds, stop=stop, name="scheduled trend evaluation")
