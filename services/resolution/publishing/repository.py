"""SQL of a reply's publication: its state, the platform's answer, and the request's outbox row."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from libs import outbox, topology
from libs.telemetry import current_traceparent
from reviewguard.events.v1 import events_pb2

# NOTE: resolution's own NOTIFY channel for libs/outbox.py's relay.
OUTBOX_CHANNEL = "resolution_outbox"


async def locked_reply(conn: asyncpg.Connection, tenant_id: uuid.UUID, case_id: uuid.UUID, reply_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM replies WHERE tenant_id = $1 AND case_id = $2 AND id = $3 FOR UPDATE", tenant_id, case_id, reply_id
    )


async def set_state(conn: asyncpg.Connection, reply_id: uuid.UUID, **values) -> asyncpg.Record:
    columns = list(values)
    assignments = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(columns))
    return await conn.fetchrow(f"UPDATE replies SET {assignments} WHERE id = $1 RETURNING *", reply_id, *values.values())


async def record_outcome(
    conn: asyncpg.Connection, *, tenant_id: uuid.UUID, reply_id: uuid.UUID, revision: int, state: str,
    platform_reply_id: str = "", published_at: datetime | None = None, error: str = "",
) -> bool:
    """Stores the platform's answer for one revision; False when the reply has moved on (a newer revision)."""
    # NOTE: a deletion keeps the platform id the publish recorded; only a publish sets it.
    status = await conn.execute(
        """UPDATE replies SET publish_state = $4,
                  platform_reply_id = CASE WHEN $5 = '' THEN platform_reply_id ELSE $5 END,
                  published_at = coalesce($6, published_at), publish_error = $7
           WHERE tenant_id = $1 AND id = $2 AND revision = $3""",
        tenant_id, reply_id, revision, state, platform_reply_id, published_at, error,
    )
    return status != "UPDATE 0"


async def request(conn: asyncpg.Connection, message: events_pb2.ReplyPublishRequested) -> None:
    """Queues the request in resolution's outbox, in the caller's transaction."""
    event = outbox.Event(
        subject=topology.REPLY_PUBLISH_REQUESTED,
        msg_id=f"reply-publish:{message.reply_id}:{message.revision}",
        payload=message.SerializeToString(),
        headers=current_traceparent(),
    )
    await outbox.add(conn, [event], channel=OUTBOX_CHANNEL)
