"""Publishes one reply request in a process of its own, so a test can kill it mid-send (SIGKILL: no
cleanup, no rollback handler, exactly a crash): `python -m tests.services.ingest.replies.publish_once JSON`."""

from __future__ import annotations

import asyncio
import json
import sys

from libs import db
from libs.crypto import SecretBox
from libs.outbound import OutboundPolicy, outbound_client
from reviewguard.events.v1 import events_pb2
from services.ingest.app import SCHEMA
from services.ingest.replies.service import ReplyPublisher
from tests.services.ingest.connectors.conftest import FAST_RETRY


async def main(args: dict) -> None:
    pool = await db.create_pool(args["dsn"], schema=SCHEMA)
    async with outbound_client(OutboundPolicy(["127.0.0.1"]), timeout=300.0) as client:
        publisher = ReplyPublisher(pool=pool, box=SecretBox([args["key"]]), client=client, retry=FAST_RETRY)
        await publisher.publish(events_pb2.ReplyPublishRequested.FromString(bytes.fromhex(args["request"])))


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
