"""Polling state without a database: due times, backfill depth, resumable cursors, pauses."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from libs.errors import InvalidArgument
from reviewguard.ingest.v1 import review_pb2
from services.ingest.connectors import Connector, CredentialsRejected, Page, SourceState, SourceUnavailable, build_connector
from services.ingest.connectors.http import parse_retry_after, redact_url
from services.ingest.connectors.schedule import PollPolicy, is_due, poll_source, resume, since_for

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def review(external_id: str, posted_at: datetime) -> review_pb2.Review:
    r = review_pb2.Review(platform="trustpilot", marketplace="DE", external_id=external_id, product_id="p", rating=2, body="Zu spät geliefert.")
    r.posted_at.FromDatetime(posted_at)
    return r


class FakeConnector(Connector):
    """Serves fixed pages; fails on the listed page numbers with the given errors."""

    platform = "trustpilot"

    def __init__(self, pages: list[list[review_pb2.Review]], failures: dict[int, Exception] | None = None) -> None:
        self.pages = pages
        self.failures = failures or {}
        self.calls: list[tuple[int, datetime]] = []

    async def fetch_page(self, cursor, *, since):
        number = (cursor or {}).get("page", 1)
        self.calls.append((number, since))
        if number in self.failures:
            raise self.failures.pop(number)
        more = number < len(self.pages)
        return Page(reviews=self.pages[number - 1], next_cursor={"page": number + 1} if more else None)


def test_interval_must_be_under_five_minutes() -> None:
    with pytest.raises(ValidationError, match="under 5 minutes"):
        PollPolicy(interval=timedelta(minutes=5))
    assert PollPolicy(interval=timedelta(minutes=4, seconds=59)).interval < timedelta(minutes=5)


def test_first_sync_backfills_then_polls_from_the_watermark() -> None:
    policy = PollPolicy(backfill_days=30, overlap=timedelta(minutes=10))
    assert since_for(SourceState(), policy, NOW) == NOW - timedelta(days=30)
    assert since_for(SourceState(watermark=NOW), policy, NOW + timedelta(hours=1)) == NOW - timedelta(minutes=10)
    assert is_due(SourceState(), NOW)


async def test_poll_stores_each_page_before_checkpointing_and_moves_the_watermark() -> None:
    events: list[str] = []
    newest = NOW - timedelta(minutes=3)
    connector = FakeConnector([[review("a", newest), review("b", NOW - timedelta(days=2))], [review("c", NOW - timedelta(days=9))]])

    async def sink(reviews, skipped):
        events.append("store " + ",".join(r.external_id for r in reviews))

    async def checkpoint(state: SourceState):
        events.append(f"checkpoint {state.cursor}")

    policy = PollPolicy(backfill_days=10)
    state = await poll_source(connector, SourceState(), policy, sink=sink, checkpoint=checkpoint, clock=lambda: NOW)
    assert events == ["store a,b", "checkpoint {'page': 2}", "store c", "checkpoint None"]
    assert connector.calls == [(1, NOW - timedelta(days=10)), (2, NOW - timedelta(days=10))]
    assert state.watermark == newest and state.cursor is None and state.run_since is None
    assert state.next_poll_at == NOW + policy.interval and not is_due(state, NOW + timedelta(seconds=10))
    assert SourceState.from_json(json.loads(json.dumps(state.to_json()))) == state


async def test_a_backfill_longer_than_one_poll_resumes_from_its_cursor() -> None:
    connector = FakeConnector([[review("a", NOW)], [review("b", NOW - timedelta(days=1))], [review("c", NOW - timedelta(days=2))]])

    async def sink(reviews, skipped):
        pass

    policy = PollPolicy(max_pages_per_poll=2)
    state = await poll_source(connector, SourceState(), policy, sink=sink, clock=lambda: NOW)
    assert state.cursor == {"page": 3} and state.next_poll_at == NOW and state.watermark is None
    state = SourceState.from_json(json.loads(json.dumps(state.to_json())))
    state = await poll_source(connector, state, policy, sink=sink, clock=lambda: NOW + timedelta(seconds=5))
    assert connector.calls[-1] == (3, NOW - timedelta(days=90)), "the resumed run keeps its window"
    assert state.cursor is None and state.watermark == NOW


async def test_transient_failure_backs_off_and_keeps_the_cursor() -> None:
    connector = FakeConnector([[review("a", NOW)], [review("b", NOW)]], {2: SourceUnavailable("trustpilot: still failing", source="trustpilot")})

    async def sink(reviews, skipped):
        pass

    policy = PollPolicy(retry_initial=timedelta(seconds=30))
    state = await poll_source(connector, SourceState(), policy, sink=sink, clock=lambda: NOW)
    assert state.failures == 1 and state.cursor == {"page": 2} and state.paused_reason is None
    assert state.next_poll_at == NOW + timedelta(seconds=30) and "still failing" in state.last_error
    state = await poll_source(connector, state, policy, sink=sink, clock=lambda: NOW + timedelta(minutes=1))
    assert state.failures == 0 and state.cursor is None


async def test_rejected_credentials_pause_the_source_until_resumed() -> None:
    error = CredentialsRejected("judgeme: the platform rejected the credentials (HTTP 401)", source="judgeme", status=401)
    connector = FakeConnector([[review("a", NOW)]], {1: error})

    async def sink(reviews, skipped):
        pass

    state = await poll_source(connector, SourceState(), PollPolicy(), sink=sink, clock=lambda: NOW)
    assert state.paused_reason and "HTTP 401" in state.paused_reason
    assert state.next_poll_at is None and not is_due(state, NOW + timedelta(days=1))
    assert is_due(resume(state, NOW), NOW)


def test_registry_validates_settings_without_echoing_secrets() -> None:
    with pytest.raises(InvalidArgument) as raised:
        build_connector("judgeme", {"shop_domain": "x y", "api_token": "jm_secret_value"}, client=None)
    fields = {v.field for v in raised.value.violations}
    assert fields == {"shop_domain", "marketplace"}
    assert "jm_secret_value" not in repr(raised.value)
    with pytest.raises(InvalidArgument, match="unknown source kind"):
        build_connector("myspace", {}, client=None)


def test_retry_after_and_redaction_helpers() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=datetime(2015, 10, 21, 7, 27, 30, tzinfo=timezone.utc).timestamp()) == 30.0
    assert parse_retry_after("soon") is None
    assert redact_url("https://judge.me/api/v1/reviews?api_token=abc123&shop_domain=s&page=2") == (
        "https://judge.me/api/v1/reviews?api_token=***&shop_domain=s&page=2"
    )
