"""Where review invitations go: a pluggable sender behind one interface."""

from __future__ import annotations

import logging
from typing import Protocol

from services.resolution.requests.models import OutgoingMessage

log = logging.getLogger(__name__)


class ReviewRequestSender(Protocol):
    """Delivers one invitation; must be idempotent on `message.key` (it may be retried after a crash)."""

    async def send(self, message: OutgoingMessage) -> None: ...


class LogSender:
    """The default sender: logs what would go out (marketplace messaging connectors plug in here)."""

    async def send(self, message: OutgoingMessage) -> None:
        log.info(
            "review request sent",
            extra={"fields": {"key": message.key, "channel": message.channel, "order_id": message.order_id, "language": message.language}},
        )
