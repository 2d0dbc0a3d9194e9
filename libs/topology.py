"""The JetStream streams and subjects ReviewGuard's events flow through.

Payloads are the messages of protos/reviewguard/events/v1/events.proto.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    # Days a message is kept; consumers that fall further behind than this lose messages.
    max_age_days: float = 7.0


REVIEWS = StreamSpec("REVIEWS", ("reviews.>",))
ALERTS = StreamSpec("ALERTS", ("alerts.>",))
CASES = StreamSpec("CASES", ("cases.>",))
# NOTE: replies to publish on a platform and their outcomes; kept longer than reviews' so a
# publisher (ingest) that was down over a long weekend still sends every reply it was asked for.
REPLIES = StreamSpec("REPLIES", ("replies.>",), max_age_days=14.0)
# NOTE: review requests to send through a platform (or by e-mail) and their outcomes; kept as long as
# replies' for the same reason: a sender (ingest) down over a weekend still sends each one.
REVIEW_REQUESTS = StreamSpec("REVIEW_REQUESTS", ("review_requests.>",), max_age_days=14.0)
# NOTE: what happened to a tenant's sources that a person must act on (a revoked credential).
SOURCES = StreamSpec("SOURCES", ("sources.>",))
ORDERS = StreamSpec("ORDERS", ("orders.>",))
DEAD_LETTERS = StreamSpec("DLQ", ("dlq.>",), max_age_days=30.0)
# NOTE: JetStream has no dead-letter queue of its own. It announces a message that ran out of
# deliveries on this advisory subject; keeping the advisories in a stream makes that durable, so
# a forwarder that was down when the advisory was sent still moves the message to the DLQ.
MAX_DELIVERIES_ADVISORIES = StreamSpec(
    "ADVISORIES_MAX_DELIVERIES", ("$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>",), max_age_days=30.0
)

ALL_STREAMS = (REVIEWS, ALERTS, CASES, ORDERS, REPLIES, REVIEW_REQUESTS, SOURCES, DEAD_LETTERS, MAX_DELIVERIES_ADVISORIES)

REVIEW_INGESTED = "reviews.ingested"
REVIEW_ANALYZED = "reviews.analyzed"
# NOTE: history (imports, backfills, long-past reviews; Review.history) rides its own subjects so
# that a tenant's 100k-review import never queues in front of another tenant's fresh 1-star review:
# each consumer serves these only while its live lane is idle. Token-exact matching means a filter
# on "reviews.ingested" never sees "reviews.ingested.history".
HISTORY_SUFFIX = ".history"
REVIEW_INGESTED_HISTORY = "reviews.ingested" + HISTORY_SUFFIX
REVIEW_ANALYZED_HISTORY = "reviews.analyzed" + HISTORY_SUFFIX
# NOTE: the same lane in an outbox: a relay given HISTORY_SUFFIX publishes those rows only while
# no live row waits (libs/outbox.claim_live_first).
REVIEW_UPDATED = "reviews.updated"
REVIEW_TRANSLATED = "reviews.translated"
ALERT_FIRED = "alerts.fired"
CASE_OPENED = "cases.opened"
CASE_UPDATED = "cases.updated"
CASE_SLA_WARNING = "cases.sla_warning"
CASE_SLA_BREACHED = "cases.sla_breached"
REPLY_PUBLISH_REQUESTED = "replies.publish_requested"
REPLY_PUBLISHED = "replies.published"
REPLY_PUBLISH_FAILED = "replies.publish_failed"
REVIEW_REQUEST_SEND_REQUESTED = "review_requests.send_requested"
REVIEW_REQUEST_OUTCOME = "review_requests.outcome"
SOURCE_NEEDS_ATTENTION = "sources.needs_attention"
ORDER_SUBMITTED = "orders.submitted"


def dead_letter_subject(consumer: str) -> str:
    return f"dlq.{consumer}"


def max_deliveries_advisory(stream: str, consumer: str) -> str:
    return f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.{consumer}"
