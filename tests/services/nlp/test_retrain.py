"""Retraining on a tenant's own rated reviews: promoted only when better, picked up without a restart."""

from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import numpy as np
import pytest

from libs import db
from services.nlp import repository
from services.nlp.app import MIGRATIONS, SCHEMA
from services.nlp.model_registry import ModelRegistry
from services.nlp.retrain import PROMOTE_ALPHA, compare, retrain_tenant
from services.nlp.stars.model import StarModel

TENANT = uuid.UUID("7e0a5b8e-2f1c-4c55-9a51-3d1f0c6b2a11")
# A seller's own jargon the shipped model has never seen: only the tenant's data can teach it.
PRAISE = ["zorbly", "fantabulous", "glimmerfine", "sproingy"]
COMPLAINT = ["grimbly", "wretchful", "clonkered", "mubbled"]


def seeded_uuid(rng: random.Random) -> uuid.UUID:
    # NOTE: retraining reads reviews in review_id order, so random ids would make every run a different split.
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def jargon_review(rng: random.Random, stars: int) -> str:
    words = PRAISE if stars >= 4 else COMPLAINT
    return f"Kettle {rng.choice(words)} and {rng.choice(words)}, model KX-{rng.randrange(100)}."


@pytest.fixture
async def samples(database_url: str):
    await db.migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    pool = await db.create_pool(database_url, schema=SCHEMA)
    rng = random.Random(5)
    rows = []
    for i in range(300):
        stars = rng.choice([1, 5])
        rows.append({
            "review_id": seeded_uuid(rng), "tenant_id": TENANT, "product_id": "KX", "reviewer_id": f"r{i}", "rating": stars,
            "language": "en", "posted_at": datetime(2026, 11, 1, tzinfo=timezone.utc), "text": jargon_review(rng, stars),
            "signature": None, "cluster_id": None,
        })
    async with pool.acquire() as conn:
        await repository.store_samples(conn, rows)
    yield database_url, pool, rows
    await pool.close()


async def test_a_better_model_is_promoted_and_served_without_restart(samples) -> None:
    dsn, pool, _ = samples
    default = StarModel.load()
    registry = ModelRegistry(default)
    assert registry.for_tenant(TENANT) is default
    result = await retrain_tenant(dsn, TENANT, epochs=3)
    assert result.promoted and result.candidate["exact"] > result.current["exact"] + 0.2
    assert result.comparison.candidate_only > 10 * result.comparison.current_only
    with ThreadPoolExecutor(max_workers=1) as executor:
        async with pool.acquire() as conn:
            assert await registry.refresh(conn, executor) == 1
    served = registry.for_tenant(TENANT)
    assert served is not default and served.version == result.version
    assert served.calibration is default.calibration, "its negative score means what the default model's means"
    probs = served.predict(["Kettle grimbly and wretchful, model KX-7.", "Kettle zorbly and sproingy, model KX-9."])
    assert probs[0].argmax() + 1 <= 2 and probs[1].argmax() + 1 >= 4
    assert registry.for_tenant(uuid.uuid4()) is default, "other tenants keep the shipped model"


async def test_a_worse_model_is_kept_but_not_promoted(samples) -> None:
    dsn, pool, rows = samples
    await retrain_tenant(dsn, TENANT, epochs=3)
    rng = random.Random(9)
    async with pool.acquire() as conn:
        for row in rows:
            row["rating"] = rng.choice([1, 2, 3, 4, 5])  # labels now noise
        await repository.store_samples(conn, rows)
    result = await retrain_tenant(dsn, TENANT, epochs=3)
    assert not result.promoted, result.comparison
    async with pool.acquire() as conn:
        stored = await conn.fetch("SELECT promoted FROM star_models WHERE tenant_id = $1 ORDER BY created_at", TENANT)
    assert [r["promoted"] for r in stored] == [True, False]


async def test_too_few_reviews_is_a_clear_error(database_url: str) -> None:
    await db.migrate(database_url, schema=SCHEMA, directory=MIGRATIONS)
    with pytest.raises(ValueError, match="at least 100"):
        await retrain_tenant(database_url, uuid.uuid4())


def one_hot(stars: list[int]) -> np.ndarray:
    return np.eye(5)[np.asarray(stars) - 1]


def test_comparison_counts_only_reviews_the_models_disagree_on() -> None:
    truth = [1, 2, 3, 4, 5] * 12
    current = [1] * 60  # right on the 12 one-star reviews only
    candidate = truth[:30] + current[30:]  # right on the first 30, plus the one-star reviews after them
    comparison = compare(truth, one_hot(candidate), one_hot(current))
    assert (comparison.candidate_only, comparison.current_only) == (24, 0)
    assert comparison.p_value < PROMOTE_ALPHA


def test_identical_or_worse_candidates_are_not_significant() -> None:
    truth = [1, 2, 3, 4, 5] * 12
    same = compare(truth, one_hot(truth), one_hot(truth))
    assert (same.candidate_only, same.current_only, same.p_value) == (0, 0, 1.0)
    worse = compare(truth, one_hot([1] * 60), one_hot(truth))
    assert worse.candidate_only == 0 and worse.current_only == 48 and worse.p_value == 1.0


def test_a_small_lead_on_few_disagreements_is_not_enough() -> None:
    # 6 against 2 is the kind of lead chance gives a useless model on a small held-out part.
    truth = [5] * 8 + [3] * 52
    current = [5, 5, 4, 4, 4, 4, 4, 4] + [3] * 52
    candidate = [4, 4, 5, 5, 5, 5, 5, 5] + [3] * 52
    comparison = compare(truth, one_hot(candidate), one_hot(current))
    assert (comparison.candidate_only, comparison.current_only) == (6, 2)
    assert comparison.p_value > PROMOTE_ALPHA
