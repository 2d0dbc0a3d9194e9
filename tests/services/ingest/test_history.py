"""Edit history, removal, rating changes, syndication and capture lag, against real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest
from prometheus_client import CollectorRegistry

from libs.errors import InvalidArgument, NotFound
from reviewguard.events.v1 import events_pb2
from services.ingest.metrics import IngestMetrics
from services.ingest.models import Limits
from services.ingest.service import REVIEW_UPDATED, IngestService
from tests.helpers import make_review
from tests.services.ingest.conftest import outbox_events

TENANT = str(uuid.uuid4())


async def test_an_edited_review_keeps_every_version_and_publishes_what_changed(ingest: IngestService, ingest_pool) -> None:
    [first] = await ingest.submit(TENANT, [make_review(external_id="A", rating=1)])
    await ingest.submit(TENANT, [make_review(external_id="A", rating=4)])
    await ingest.submit(TENANT, [make_review(external_id="A", rating=4, body="Nach dem Austausch funktioniert er einwandfrei.")])
    await ingest.submit(TENANT, [make_review(external_id="A", rating=4, body="Nach dem Austausch funktioniert er einwandfrei.")])

    history = await ingest.history(tenant_id=TENANT, review_id=first.id)
    assert [v.review.version for v in history] == [1, 2, 3]
    assert [v.review.rating for v in history] == [1, 4, 4]
    assert [list(v.changed_fields) for v in history] == [[], ["rating"], ["body"]]
    assert history[0].review.body.startswith("Der Wasserkocher") and history[2].review.body.startswith("Nach dem")
    assert all(v.recorded_at.seconds for v in history)

    updates = [events_pb2.ReviewUpdated.FromString(p) for p in await outbox_events(ingest_pool, REVIEW_UPDATED)]
    assert [(u.previous_version, u.review.version, list(u.changed_fields)) for u in updates] == [(1, 2, ["rating"]), (2, 3, ["body"])]
    assert (updates[0].old_rating, updates[0].new_rating) == (1, 4)
    assert updates[0].changed_at.seconds > 0


async def test_rating_changes_are_listed_by_direction_and_paged(ingest: IngestService) -> None:
    [a] = await ingest.submit(TENANT, [make_review(external_id="A", rating=1)])
    [b] = await ingest.submit(TENANT, [make_review(external_id="B", rating=5)])
    await ingest.submit(TENANT, [make_review(external_id="A", rating=4)])
    await ingest.submit(TENANT, [make_review(external_id="B", rating=2)])
    await ingest.submit(TENANT, [make_review(external_id="B", rating=2, title="Edited title only")])

    ups, _ = await ingest.rating_changes(tenant_id=TENANT, direction="up")
    assert [(c.review_id, c.old_rating, c.new_rating, c.from_version, c.to_version) for c in ups] == [(a.id, 1, 4, 1, 2)]
    both, token = await ingest.rating_changes(tenant_id=TENANT, page_size=1)
    assert len(both) == 1 and token
    rest, last = await ingest.rating_changes(tenant_id=TENANT, page_size=1, page_token=token)
    assert {both[0].review_id, rest[0].review_id} == {a.id, b.id} and last == ""
    assert await ingest.rating_changes(tenant_id=TENANT, direction="up", since=datetime.now(timezone.utc) + timedelta(hours=1)) == ([], "")
    with pytest.raises(InvalidArgument, match="direction"):
        await ingest.rating_changes(tenant_id=TENANT, direction="sideways")


async def test_a_review_removed_on_the_platform_is_a_new_version(ingest: IngestService, ingest_pool) -> None:
    [first] = await ingest.submit(TENANT, [make_review(external_id="A", rating=1)])
    removed = await ingest.remove(tenant_id=TENANT, platform="amazon", external_ids=["A", "never-seen"])
    assert [(r.id, r.updated) for r in removed] == [(first.id, True)]
    stored = await ingest.get(TENANT, first.id)
    assert (stored.status, stored.version) == ("removed", 2)
    history = await ingest.history(tenant_id=TENANT, review_id=first.id)
    assert [v.review.status for v in history] == ["published", "removed"] and list(history[1].changed_fields) == ["status"]
    [update] = [events_pb2.ReviewUpdated.FromString(p) for p in await outbox_events(ingest_pool, REVIEW_UPDATED)]
    assert (update.old_status, update.new_status) == ("published", "removed")
    # Removing again, or submitting the removed state again, adds nothing.
    assert await ingest.remove(tenant_id=TENANT, platform="amazon", external_ids=["A"]) == []
    again = await ingest.submit(TENANT, [make_review(external_id="A", rating=1, status="removed")])
    assert (again[0].created, again[0].updated) == (False, False)
    with pytest.raises(InvalidArgument) as raised:
        await ingest.submit(TENANT, [make_review(external_id="C", status="deleted")])
    assert [v.field for v in raised.value.violations] == ["reviews[0].status"]


async def test_reviews_stored_before_statuses_existed_are_not_taken_for_edits(ingest: IngestService) -> None:
    # NOTE: the hash of a published review leaves the status out, as hashes stored by 0001 did.
    [first] = await ingest.submit(TENANT, [make_review(external_id="A")])
    [again] = await ingest.submit(TENANT, [make_review(external_id="A", status="published")])
    assert again.id == first.id and not again.updated


async def test_syndicated_copies_are_linked_to_the_first_and_counting_can_skip_them(ingest: IngestService, ingest_pool) -> None:
    de = make_review(external_id="R-DE", marketplace="DE", reviewer={"name": "Jürgen M."})
    at = make_review(external_id="R-AT", marketplace="AT", reviewer={"name": "jürgen m"})
    ch = make_review(external_id="R-CH", marketplace="CH", reviewer={"name": "Jürgen M."}, body=de.body.upper() + " !!")
    other_reviewer = make_review(external_id="R-FR", marketplace="FR", reviewer={"name": "Amélie"})
    short = [make_review(external_id=f"S{i}", title="Gut", body="Gut!") for i in range(2)]
    [first] = await ingest.submit(TENANT, [de])
    results = await ingest.submit(TENANT, [at, ch, other_reviewer, *short])
    stored = [await ingest.get(TENANT, r.id) for r in [first, *results]]
    group = stored[0].syndication_group
    assert group and stored[1].syndication_group == group == stored[2].syndication_group
    assert stored[0].syndicated_from == "" and stored[1].syndicated_from == stored[2].syndicated_from == first.id
    assert stored[3].syndication_group not in ("", group) and stored[3].syndicated_from == ""
    assert stored[4].syndication_group == stored[5].syndication_group == "", "short texts say nothing about syndication"
    async with ingest_pool.acquire() as conn:
        counted = await conn.fetchval("SELECT count(*) FROM reviews WHERE syndicated_from IS NULL")
    assert counted == 4, "one kettle review syndicated to three marketplaces counts once"
    # Editing a copy's text unlinks it.
    [edited] = await ingest.submit(TENANT, [make_review(external_id="R-AT", marketplace="AT", reviewer={"name": "jürgen m"}, body="Ganz anderer Text nach dem Umtausch, jetzt zufrieden.")])
    assert (await ingest.get(TENANT, edited.id)).syndicated_from == ""


async def test_capture_lag_per_channel_as_metric_and_percentiles(ingest_pool) -> None:
    registry = CollectorRegistry()
    service = IngestService(pool=ingest_pool, limits=Limits(max_title_chars=500, max_body_chars=20_000), max_batch=500, metrics=IngestMetrics(registry))
    now = datetime.now(timezone.utc)
    await service.submit(TENANT, [make_review(external_id=f"A{i}", posted_at=now - timedelta(seconds=60 * (i + 1))) for i in range(10)])
    await service.submit(TENANT, [make_review(external_id="W", platform="trustpilot", posted_at=now - timedelta(seconds=30))], channel="webhook")
    await service.submit(TENANT, [make_review(external_id="A0", posted_at=now - timedelta(seconds=60))])  # a repeat: not captured again
    count = registry.get_sample_value("reviewguard_ingest_capture_lag_seconds_count", {"platform": "amazon", "channel": "api"})
    assert count == 10
    assert registry.get_sample_value("reviewguard_ingest_capture_lag_seconds_bucket", {"platform": "amazon", "channel": "api", "le": "300.0"}) == 4  # 1 to 4 minutes late; 5+ are over
    lag = await service.capture_lag(tenant_id=TENANT, window_seconds=3600)
    stats = {(s.platform, s.channel): s for s in lag.stats}
    assert stats[("amazon", "api")].reviews == 10
    assert 300 <= stats[("amazon", "api")].p50_seconds <= 340 and 560 <= stats[("amazon", "api")].p95_seconds <= 620
    assert 29 <= stats[("trustpilot", "webhook")].p95_seconds <= 45
    with pytest.raises(InvalidArgument, match="window"):
        await service.capture_lag(tenant_id=TENANT, window_seconds=-5)


async def test_history_of_an_unknown_or_foreign_review_is_not_found(ingest: IngestService) -> None:
    [mine] = await ingest.submit(TENANT, [make_review(external_id="A")])
    with pytest.raises(NotFound):
        await ingest.history(tenant_id=str(uuid.uuid4()), review_id=mine.id)
    with pytest.raises(InvalidArgument, match="review_id"):
        await ingest.history(tenant_id=TENANT, review_id="x")


async def test_a_failed_batch_leaves_no_version_behind(ingest: IngestService, ingest_pool: asyncpg.Pool) -> None:
    await ingest.submit(TENANT, [make_review(external_id="A", rating=1)])
    with pytest.raises(InvalidArgument):
        await ingest.submit(TENANT, [make_review(external_id="A", rating=4), make_review(external_id="B", rating=9)])
    async with ingest_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM review_versions") == 0
        assert await conn.fetchval("SELECT rating FROM reviews WHERE external_id = 'A'") == 1
