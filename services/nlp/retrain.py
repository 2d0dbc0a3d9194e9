"""Retraining on an operator's own reviews: their stars are the labels (`reviewguard nlp train --from-db`).

The tenant's stored reviews are split (stratified, seeded) into training and held-out parts; a new
model is trained on the first, and it is promoted only if it beats the model that serves the tenant
now on the held-out part (exact accuracy, then macro-F1). The running service picks a promoted model
up within its refresh interval, between two batches, so no message is dropped.
"""

from __future__ import annotations

import logging
import math
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from services.nlp import repository
from services.nlp.model_registry import load_model_bytes
from services.nlp.stars.data import Review, split_holdout
from services.nlp.stars.evaluate import star_metrics
from services.nlp.stars.model import DEFAULT_MODEL_PATH, StarModel
from services.nlp.stars.train import train_from_records

log = logging.getLogger(__name__)

MIN_RECORDS = 100


@dataclass(frozen=True)
class RetrainResult:
    version: str
    promoted: bool
    candidate: dict
    current: dict
    records: int


def _better(candidate: dict, current: dict) -> bool:
    """Better by more than the noise of the held-out set: one standard error of its accuracy.

    NOTE: with a few hundred held-out reviews a candidate trained on noise beats the current model
    by chance about half the time; requiring a standard error of margin stops such coin flips.
    """
    p, n = current["exact"], max(1, candidate["n"])
    margin = max(0.005, math.sqrt(p * (1 - p) / n))
    return candidate["exact"] > p + margin and candidate["macro_f1"] >= current["macro_f1"]


async def retrain_tenant(
    dsn: str, tenant_id: uuid.UUID, *, holdout: float = 0.2, seed: int = 13, epochs: int | None = None,
    default_model: Path = DEFAULT_MODEL_PATH,
) -> RetrainResult:
    """Trains a candidate on the tenant's reviews, compares, stores it, and promotes it if better."""
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "nlp"})
    try:
        rows = await repository.training_records(conn, tenant_id)
        if len(rows) < MIN_RECORDS:
            raise ValueError(f"tenant has {len(rows)} stored reviews; at least {MIN_RECORDS} are needed to retrain")
        reviews = [Review(r["language"] or "xx", r["text"], r["rating"]) for r in rows]
        train_part, held_out = split_holdout(reviews, holdout, seed=seed)
        serving = {m["tenant_id"]: m for m in await repository.promoted_models(conn)}.get(tenant_id)
        current = load_model_bytes(await repository.model_bytes(conn, serving["id"])) if serving else StarModel.load(default_model)
        with tempfile.TemporaryDirectory() as tmp:
            result = train_from_records(
                ((r.text, r.stars, r.lang) for r in train_part), Path(tmp), seed=seed, epochs=epochs, holdout=0.0,
                source=f"tenant {tenant_id}'s own rated reviews",
            )
            onnx = result.model_path.read_bytes()
        candidate = load_model_bytes(onnx)
        truth = [r.stars for r in held_out]
        texts = [r.text for r in held_out]
        candidate_metrics = star_metrics(truth, candidate.predict(texts))
        current_metrics = star_metrics(truth, current.predict(texts))
        promoted = _better(candidate_metrics, current_metrics)
        await repository.save_model(
            conn, tenant_id, version=candidate.version, onnx=onnx, promoted=promoted,
            metrics={"candidate": candidate_metrics, "current": current_metrics, "current_version": current.version,
                     "records": len(reviews), "held_out": len(held_out)},
        )
    finally:
        await conn.close()
    log.info("retrained", extra={"fields": {"tenant": str(tenant_id), "promoted": promoted}})
    return RetrainResult(candidate.version, promoted, candidate_metrics, current_metrics, len(reviews))
