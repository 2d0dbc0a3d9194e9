"""Pull connectors: read reviews from platforms' documented APIs as `review_pb2.Review` messages.

`base` holds the interface and the paging loop, `http` the retrying transport, one module per
platform, `schedule` the database-free polling state machine and `registry` the factory used by
whoever stores sources and their encrypted credentials.
"""

from services.ingest.connectors.base import Connector, Cursor, Page, PublishedReply, RepliesTo, ReplyTarget, Skipped, sync
from services.ingest.connectors.errors import (
    BadResponse,
    ConnectorError,
    CredentialsRejected,
    RequestRejected,
    SourceUnavailable,
)
from services.ingest.connectors.http import RetryPolicy
from services.ingest.connectors.registry import build_connector
from services.ingest.connectors.schedule import PollPolicy, SourceState, poll_source

__all__ = [
    "BadResponse",
    "Connector",
    "ConnectorError",
    "CredentialsRejected",
    "Cursor",
    "Page",
    "PollPolicy",
    "PublishedReply",
    "RepliesTo",
    "ReplyTarget",
    "RequestRejected",
    "RetryPolicy",
    "Skipped",
    "SourceState",
    "SourceUnavailable",
    "build_connector",
    "poll_source",
    "sync",
]
