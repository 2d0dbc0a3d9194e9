"""Use cases of a stored alert: read, page, acknowledge, resolve, and link it to the case opened for it."""

from __future__ import annotations

from collections.abc import Iterable

from libs import db, paging
from libs.bus import Delivery
from libs.errors import FieldViolation, InvalidArgument, require_uuid, require_uuids
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.events.v1 import events_pb2
from services.alerting import repository
from services.alerting.context import Context


async def handle_case_opened(ctx: Context, batch: list[Delivery[events_pb2.CaseOpened]]) -> None:
    """Links each alert to the case opened for it: the whole batch in one statement (idempotent)."""
    links = []
    for delivery in batch:
        case = delivery.message.case
        links.append(require_uuids({"case.tenant_id": case.tenant_id, "case.alert_id": case.alert_id, "case.id": case.id}))
    async with ctx.pool.acquire() as conn:
        await repository.link_cases(conn, links)


async def acknowledge(ctx: Context, tenant_id: str, alert_id: str, actor: str) -> alert_pb2.Alert:
    return await _set_status(ctx, tenant_id, alert_id, actor, alert_pb2.ALERT_STATUS_ACKNOWLEDGED)


async def resolve(ctx: Context, tenant_id: str, alert_id: str, actor: str) -> alert_pb2.Alert:
    return await _set_status(ctx, tenant_id, alert_id, actor, alert_pb2.ALERT_STATUS_RESOLVED)


async def _set_status(ctx: Context, tenant_id: str, alert_id: str, actor: str, status: int) -> alert_pb2.Alert:
    tenant = require_uuid(tenant_id, field="tenant_id")
    alert = require_uuid(alert_id, field="alert_id")
    if len(actor) > 200:
        raise InvalidArgument("actor is too long", [FieldViolation("actor", "at most 200 characters")])
    async with ctx.pool.acquire() as conn, conn.transaction():
        current = await db.get_for_tenant(conn, repository.get, tenant_id=tenant, item_id=alert, field="alert_id", missing=f"alert {alert_id} not found")
        if current["status"] == alert_pb2.ALERT_STATUS_RESOLVED and status == alert_pb2.ALERT_STATUS_ACKNOWLEDGED:
            return repository.to_proto(current)  # NOTE: acknowledging a resolved alert changes nothing
        row = await repository.set_status(conn, tenant, alert, status=status, actor=actor, at=ctx.clock())
    return repository.to_proto(row)


async def list_alerts(ctx: Context, tenant_id: str,
    *,
    review_id: str,
    page_size: int,
    page_token: str,
    rule: str = "",
    status: int = 0,
    labels: Iterable[str] = (),
) -> tuple[list[alert_pb2.Alert], str]:
    tenant = require_uuid(tenant_id, field="tenant_id")
    review = require_uuid(review_id, field="review_id") if review_id else None
    matchers = {}
    for matcher in labels:
        key, sep, value = matcher.partition("=")
        if not sep or not key:
            raise InvalidArgument("label filters look like key=value", [FieldViolation("labels", f"bad matcher {matcher!r}")])
        matchers[key] = value
    limit = paging.page_size(page_size)
    async with ctx.pool.acquire() as conn:
        rows = await repository.list_alerts(
            conn, tenant, review_id=review, rule=rule or None, status=status or None, labels=matchers,
            after=paging.decode(page_token), limit=limit + 1,
        )
    page, next_token = paging.page(rows, limit, key=lambda r: (r["fired_at"], r["id"]))
    return [repository.to_proto(r) for r in page], next_token


async def get(ctx: Context, tenant_id: str, alert_id: str) -> alert_pb2.Alert:
    row = await db.get_for_tenant(
        ctx.pool, repository.get, tenant_id=tenant_id, item_id=alert_id, field="alert_id", missing=f"alert {alert_id} not found"
    )
    return repository.to_proto(row)
