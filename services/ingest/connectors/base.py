"""The one interface every pull connector implements, and the loop that pages through a source."""

from __future__ import annotations

import abc
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar

import httpx

from reviewguard.ingest.v1 import review_pb2
from services.ingest.connectors.errors import RequestRejected
from services.ingest.connectors.http import Limiter, RetryPolicy

# An opaque, JSON-serialisable position inside one sync run; only the connector that issued it
# reads it. Stored as-is by whoever persists source state.
Cursor = dict[str, Any]


@dataclass(frozen=True)
class Skipped:
    """A platform record that could not become a Review (withdrawn, no rating, ...), and why."""

    external_id: str
    reason: str


@dataclass(frozen=True)
class Page:
    """One page of a source, already mapped.

    Attributes:
        reviews: reviews posted at or after the sync's `since`, newest first as the platform sent them.
        next_cursor: where the next page starts; None when the source is caught up to `since`.
        skipped: records on this page that were seen but could not be mapped.
    """

    reviews: list[review_pb2.Review]
    next_cursor: Cursor | None
    skipped: list[Skipped] = field(default_factory=list)


class Connector(abc.ABC):
    """Pulls one source (a shop, a business unit, a seller account) of one platform.

    Implementations page newest-first and stop once a page reaches reviews older than `since`; a
    review that moves between pages while paging is seen twice rather than missed (ingest stores each
    (platform, external_id) once).
    """

    platform: ClassVar[str]

    @abc.abstractmethod
    async def fetch_page(self, cursor: Cursor | None, *, since: datetime) -> Page:
        """The page at `cursor` (the first page when None), holding only reviews posted at or after `since`."""


class PlatformConnector(Connector):
    """A connector of one platform's HTTP API: its config, the caller's client, the retry policy, and
    the mapping of a page's records into reviews (a record that cannot be mapped is skipped, named)."""

    # NOTE: a record these errors come out of is the platform's oddity, not ours: skip it, go on.
    mapping_errors: ClassVar[tuple[type[Exception], ...]] = (KeyError, TypeError, ValueError)

    def __init__(self, config: Any, *, client: httpx.AsyncClient, retry: RetryPolicy = RetryPolicy(), limiter: Limiter | None = None) -> None:
        self._config = config
        self._client = client
        self._retry = retry
        # NOTE: the shared bucket of this source's credential, for the calls that count (replies); polls go without.
        self._limiter = limiter

    @abc.abstractmethod
    def _to_review(self, item: Any) -> review_pb2.Review:
        """The Review one platform record maps to; one of `mapping_errors` when it cannot."""

    @abc.abstractmethod
    def _record_id(self, item: Any) -> str:
        """How a skipped record is named ("?" when it has no id)."""

    def review_from(self, item: Any) -> review_pb2.Review:
        """The Review one API (or webhook) review object maps to; KeyError/TypeError/ValueError when it cannot."""
        return self._to_review(item)

    def _map(self, items: list, *, since: datetime) -> tuple[list[review_pb2.Review], list[Skipped], int]:
        """The reviews of a page posted at or after `since`, the records skipped, and how many were older."""
        reviews: list[review_pb2.Review] = []
        skipped: list[Skipped] = []
        older = 0
        for item in items:
            try:
                review = self._to_review(item)
            except self.mapping_errors as error:
                skipped.append(Skipped(self._record_id(item), str(error)))
                continue
            if review.posted_at.ToDatetime(tzinfo=since.tzinfo) < since:
                older += 1
                continue
            reviews.append(review)
        return reviews, skipped, older


async def sync(
    connector: Connector, cursor: Cursor | None, since: datetime, *, max_pages: int | None = None
) -> AsyncIterator[Page]:
    """Yields pages from `cursor` until the source is caught up or `max_pages` pages were read.

    The caller stores each page's reviews and then its `next_cursor`, so a crash resumes where it
    stopped. When the last page yielded has a `next_cursor`, the run was cut by `max_pages`.
    """
    if since.tzinfo is None:
        raise ValueError("since must carry a time zone")
    since = since.astimezone(timezone.utc)
    pages = 0
    while True:
        page = await connector.fetch_page(cursor, since=since)
        pages += 1
        yield page
        cursor = page.next_cursor
        if cursor is None or (max_pages is not None and pages >= max_pages):
            return


def newest_posted(reviews: list[review_pb2.Review]) -> datetime | None:
    """The latest posted_at among the reviews, or None for none."""
    times = [r.posted_at.ToDatetime(tzinfo=timezone.utc) for r in reviews if r.HasField("posted_at")]
    return max(times) if times else None


@dataclass(frozen=True)
class ReplyTarget:
    """The review a reply answers, in the platform's terms (what ingest stored of it)."""

    external_id: str
    product_id: str = ""
    reviewer_id: str = ""
    order_id: str = ""


@dataclass(frozen=True)
class PublishedReply:
    """What the platform answered for a reply: its id (the review's where a review holds one reply)."""

    platform_reply_id: str


class RepliesTo(abc.ABC):
    """A connector whose platform takes a seller's reply through its API.

    NOTE: every platform here keeps one seller reply per review and a publish replaces it, so a send
    repeated after a lost answer leaves the same reply, never a second one.
    """

    @abc.abstractmethod
    async def publish_reply(self, target: ReplyTarget, *, text: str, private: bool = False) -> PublishedReply:
        """Creates or replaces the reply to one review; ConnectorError when the platform refuses."""

    @abc.abstractmethod
    async def delete_reply(self, target: ReplyTarget, *, private: bool = False) -> PublishedReply:
        """Takes the reply to one review down; RequestRejected where the platform cannot."""

    async def current_reply(self, target: ReplyTarget, *, private: bool = False) -> str | None:
        """The seller's reply the platform shows on the review now (None for none).

        NOTE: none of these platforms takes an idempotency key, so a send that may have reached the
        platform before ingest was killed is checked with this before it is sent again. A connector
        that cannot read a reply back keeps this default: such a send goes to a person (failed, with
        the reason), never out a second time.
        """
        raise RequestRejected(
            f"{self.platform}: an earlier try of this reply may have reached the platform, which cannot be asked; "
            "check it there, then edit the reply to send it again", source=self.platform,
        )  # fmt: skip

    def rate_key(self) -> str:
        """Names the credential the platform counts requests against, without revealing it (libs/token_bucket.py).

        The default, one bucket per platform and tenant, is stricter than per credential; connectors
        name their credential with `credential_digest`.
        """
        return f"{self.platform}:all"


def credential_digest(platform: str, secret: str) -> str:
    """A bucket key for one credential: the platform and a digest, never the secret itself."""
    return f"{platform}:{hashlib.sha256(secret.encode()).hexdigest()[:16]}"
