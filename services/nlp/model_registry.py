"""Which star model serves which tenant: the shipped default, or a tenant's own promoted model.

The service swaps a tenant's model by replacing a dict entry between batches, so a promotion
takes effect without stopping the consumer or dropping a message.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from concurrent.futures import Executor
from pathlib import Path

import asyncpg

from libs.loops import run_every
from services.nlp import repository
from services.nlp.stars.calibration import NegativeCalibration
from services.nlp.stars.loading import StarPredictor
from services.nlp.stars.model import StarModel

log = logging.getLogger(__name__)


class ModelRegistry:
    def __init__(self, default: StarPredictor | None) -> None:
        self.default = default
        self._tenant: dict[uuid.UUID, tuple[uuid.UUID, StarModel]] = {}

    def for_tenant(self, tenant_id: uuid.UUID) -> StarPredictor | None:
        entry = self._tenant.get(tenant_id)
        return entry[1] if entry else self.default

    async def refresh(self, conn: asyncpg.Connection, executor: Executor) -> int:
        """Loads tenants' newly promoted models; returns how many changed."""
        changed = 0
        for row in await repository.promoted_models(conn):
            current = self._tenant.get(row["tenant_id"])
            if current and current[0] == row["id"]:
                continue
            data = await repository.model_bytes(conn, row["id"])
            # NOTE: a tenant's model reuses the default model's negative-score calibration (retrain.py says why).
            calibration = self.default.calibration if self.default is not None else None
            model = await asyncio.get_running_loop().run_in_executor(executor, load_model_bytes, data, calibration)
            self._tenant[row["tenant_id"]] = (row["id"], model)
            changed += 1
            log.info("star model swapped", extra={"fields": {"tenant": str(row["tenant_id"]), "version": row["version"]}})
        return changed

    async def run(self, pool: asyncpg.Pool, executor: Executor, *, interval_seconds: float, stop: asyncio.Event) -> None:
        async def refresh() -> None:
            async with pool.acquire() as conn:
                await self.refresh(conn, executor)

        await run_every(refresh, interval_seconds=interval_seconds, stop=stop, name="model refresh")


def load_model_bytes(data: bytes, calibration: NegativeCalibration | None = None) -> StarModel:
    """A StarModel from stored ONNX bytes (onnxruntime keeps its own copy once loaded).

    Stored models carry no calibration of their own; `calibration` maps their negative score.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        path.write_bytes(data)
        return StarModel.load(path, calibration=calibration)
