"""Use cases of publishing replies: ask ingest to publish, edit or delete a reply on the platform,
and record what the platform answered.

Each request leaves through resolution's transactional outbox in the transaction that changed the
reply, so an outage of NATS or of the platform loses nothing; (reply_id, revision) is the
idempotency key end to end (Nats-Msg-Id here, ingest's reply_publications there), so a redelivery
sends nothing twice.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timezone

import asyncpg

from libs.errors import FieldViolation, InvalidArgument, NotFound
from reviewguard.events.v1 import events_pb2
from services.resolution import repository as case_repository
from services.resolution.cases import flows as cases
from services.resolution.cases.models import FINAL, status_name
from services.resolution.context import Context
from services.resolution.publishing import models
from services.resolution.publishing import repository
from services.resolution.templates import flows as replies

log = logging.getLogger(__name__)


def _request(case: asyncpg.Record, reply: asyncpg.Record, *, action: str) -> events_pb2.ReplyPublishRequested:
    return events_pb2.ReplyPublishRequested(
        tenant_id=str(reply["tenant_id"]), reply_id=str(reply["id"]), case_id=str(reply["case_id"]),
        review_id=str(case["review_id"] or ""), platform=case["platform"], review_external_id=case["review_external_id"],
        text=reply["text"] if action == models.PUBLISH else "", action=action, revision=reply["revision"], private=reply["private"],
    )


async def start(conn: asyncpg.Connection, *, case: asyncpg.Record, reply: asyncpg.Record, private: bool = False) -> asyncpg.Record:
    """Marks a stored reply for publication: queued (its request in the outbox) or manual (no reply API)."""
    state = models.publish_state_for(case["platform"])
    if private:
        reply = await repository.set_state(conn, reply["id"], private=True)
    if state == models.QUEUED:
        if not case["review_id"] and not case["review_external_id"]:
            raise InvalidArgument(
                "the case's review is not known yet, so there is nothing on the platform to reply to",
                [FieldViolation("publish", "the case has no review; send with publish false")],
            )
        await repository.request(conn, _request(case, reply, action=models.PUBLISH))
    return await repository.set_state(conn, reply["id"], publish_state=state)


async def _changeable(conn: asyncpg.Connection, tenant: uuid.UUID, case_id: uuid.UUID, reply_id: uuid.UUID) -> tuple[asyncpg.Record, asyncpg.Record]:
    case = await cases.locked(conn, tenant, case_id)
    if case["status"] in FINAL:
        raise InvalidArgument(f"case is {status_name(case['status'])}; its replies can no longer change")
    reply = await repository.locked_reply(conn, tenant, case_id, reply_id)
    if reply is None:
        raise NotFound(f"reply {reply_id} not found on case {case_id}")
    if reply["deleted_at"] is not None:
        raise InvalidArgument("the reply was deleted", [FieldViolation("reply_id", "deleted")])
    return case, reply


def _require_platform_can(platform: str, reply: asyncpg.Record, cannot: frozenset[str], done: str) -> None:
    """Refuses (changing nothing) to change a reply on its way to, or on, a platform that cannot change it."""
    if platform in cannot and reply["publish_state"] in (models.QUEUED, models.PUBLISHED):
        raise InvalidArgument(
            f"a reply published on {platform} cannot be {done} there through its API; change it on {platform} itself",
            [FieldViolation("reply_id", f"published on {platform}: cannot be {done}")],
        )


async def edit(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID, reply: uuid.UUID, text: str, actor: str) -> asyncpg.Record:
    """Changes a reply's text, checked like a new one; a reply on the platform is replaced there too."""
    if not text.strip():
        raise InvalidArgument("text is required", [FieldViolation("text", "required")])
    async with ctx.pool.acquire() as conn, conn.transaction():
        case_row, row = await _changeable(conn, tenant, case, reply)
        replies.require_compliant(ctx.toolkit.checker, text, case_row["platform"])
        goes_out = row["publish_state"] in (models.QUEUED, models.PUBLISHED, models.FAILED)
        _require_platform_can(case_row["platform"], row, models.CANNOT_EDIT, "edited")
        if goes_out:
            models.require_fits(case_row["platform"], text, private=row["private"])
        row = await repository.set_state(
            conn, row["id"], text=text, revision=row["revision"] + 1,
            publish_state=models.QUEUED if goes_out else row["publish_state"], publish_error="",
        )
        if goes_out:
            await repository.request(conn, _request(case_row, row, action=models.PUBLISH))
        await case_repository.add_event(
            conn, tenant_id=tenant, case_id=case, kind="reply_edited", at=ctx.clock(), from_status=case_row["status"],
            to_status=case_row["status"], actor=actor, detail={"reply_id": str(reply), "revision": row["revision"]},
        )
    return row


async def delete(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID, reply: uuid.UUID, actor: str) -> asyncpg.Record:
    """Withdraws a reply; one that was (or is being) published is deleted on the platform too."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        case_row, row = await _changeable(conn, tenant, case, reply)
        now = ctx.clock()
        _require_platform_can(case_row["platform"], row, models.CANNOT_DELETE, "deleted")
        goes_out = row["publish_state"] in (models.QUEUED, models.PUBLISHED)
        row = await repository.set_state(
            conn, row["id"], deleted_at=now, revision=row["revision"] + 1,
            publish_state=models.QUEUED if goes_out else row["publish_state"], publish_error="",
        )
        if goes_out:
            await repository.request(conn, _request(case_row, row, action=models.DELETE))
        await case_repository.add_event(
            conn, tenant_id=tenant, case_id=case, kind="reply_deleted", at=now, from_status=case_row["status"],
            to_status=case_row["status"], actor=actor, detail={"reply_id": str(reply), "revision": row["revision"]},
        )
    return row


async def record_published(ctx: Context, events: list[events_pb2.ReplyPublished]) -> None:
    """Records the platform's id and time of each published revision (an older revision's answer is ignored)."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        for event in events:
            at = event.published_at.ToDatetime(tzinfo=timezone.utc) if event.HasField("published_at") else ctx.clock()
            await repository.record_outcome(
                conn, tenant_id=uuid.UUID(event.tenant_id), reply_id=uuid.UUID(event.reply_id), revision=event.revision,
                state=models.PUBLISHED, platform_reply_id=event.platform_reply_id, published_at=at,
            )


async def record_failed(ctx: Context, events: list[events_pb2.ReplyPublishFailed]) -> None:
    """Records why the platform refused a revision; the reply stays, its text ready to publish by hand."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        for event in events:
            await repository.record_outcome(
                conn, tenant_id=uuid.UUID(event.tenant_id), reply_id=uuid.UUID(event.reply_id), revision=event.revision,
                state=models.FAILED, error=event.reason,
            )
