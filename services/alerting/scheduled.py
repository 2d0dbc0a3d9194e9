"""Time-based rules on a schedule: trends are judged even when no review arrives."""

from __future__ import annotations

import asyncio
import logging

from services.alerting.service import AlertingService

log = logging.getLogger(__name__)


async def run_trend_schedule(service: AlertingService, *, interval_seconds: float, stop: asyncio.Event) -> None:
    """Judges every active tenant's trends every `interval_seconds` until `stop`."""
    while not stop.is_set():
        try:
            await service.evaluate_all_tenants()
        except Exception:  # noqa: BLE001 - the next round tries again
            log.exception("scheduled trend evaluation failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except TimeoutError:
            pass
