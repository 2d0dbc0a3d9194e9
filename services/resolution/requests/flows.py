"""Use cases of review requests: orders in (linked to open cases), requests out through ingest, each at most
once per order, and their outcomes recorded."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal

from libs.errors import FieldViolation, InvalidArgument
from reviewguard.events.v1 import events_pb2
from reviewguard.resolution.v1 import resolution_pb2
from services.resolution.assignment import service as assignment
from services.resolution.context import Context
from services.resolution.customers import flows as customers
from services.resolution.fields import decimal_field
from services.resolution.policy.models import TenantPolicy
from services.resolution.requests import repository
from services.resolution.requests import service as review_requests
from services.resolution.requests import announcements
from services.resolution.requests.models import DEFERRED, MAX_CARRIER_LENGTH, OUTCOME_STATUS, Fulfilment, Order, RequestStatus


def parse_orders(ctx: Context, tenant_id: str, orders: Sequence[resolution_pb2.Order]) -> list[Order]:
    """Every order validated; one InvalidArgument names every bad field of every order."""
    parsed: list[Order] = []
    violations: list[FieldViolation] = []
    for i, o in enumerate(orders):
        before = len(violations)
        where = f"orders[{i}]"
        if not o.order_id:
            violations.append(FieldViolation(f"{where}.order_id", "required"))
        if not o.customer_id:
            violations.append(FieldViolation(f"{where}.customer_id", "required"))
        if o.platform.lower() not in ctx.toolkit.checker.policies:
            violations.append(FieldViolation(f"{where}.platform", ", ".join(ctx.toolkit.checker.platforms)))
        try:
            market = assignment.validate_market(o.marketplace)
        except InvalidArgument:
            violations.append(FieldViolation(f"{where}.marketplace", "unknown marketplace"))
            market = ""
        if o.fulfilment not in ("platform", "merchant"):
            violations.append(FieldViolation(f"{where}.fulfilment", "platform or merchant"))
        if len(o.carrier.strip()) > MAX_CARRIER_LENGTH:
            violations.append(FieldViolation(f"{where}.carrier", f"at most {MAX_CARRIER_LENGTH} characters"))
        if not o.HasField("delivered_at"):
            violations.append(FieldViolation(f"{where}.delivered_at", "required"))
        try:
            value = decimal_field(o.value, f"{where}.value", required=True)
            spend = decimal_field(o.annual_spend_usd, f"{where}.annual_spend_usd") or Decimal(0)
        except InvalidArgument as error:
            violations.extend(error.violations)
            continue
        language = o.language or (assignment.default_language(market) if market else "en")
        if len(violations) > before:
            continue
        parsed.append(Order(
            tenant_id=tenant_id, order_id=o.order_id, platform=o.platform.lower(), marketplace=market,
            fulfilment=Fulfilment(o.fulfilment), customer_id=o.customer_id, language=language.split("-")[0].lower(),
            product_name=o.product_name or o.order_id, value=value, currency=(o.currency or "USD").upper(),
            annual_spend_usd=spend, delivered_at=o.delivered_at.ToDatetime(tzinfo=timezone.utc), carrier=o.carrier.strip(),
        ))
    if violations:
        raise InvalidArgument(f"{len(violations)} invalid field(s); nothing was stored", violations)
    return parsed


async def submit_orders(ctx: Context, tenant_id: str, orders: Sequence[resolution_pb2.Order]):
    """Stores delivered orders (all or nothing), schedules one review request per new order, links
    each new order to the open cases that name it (directly or through their review), and announces
    each new order (orders.submitted, through the outbox) for the reports' carrier dimension."""
    parsed = parse_orders(ctx, tenant_id, orders)
    scheduled = []
    duplicates = 0
    async with ctx.pool.acquire() as conn, conn.transaction():
        added = []
        for order in parsed:
            if not await repository.add_order(conn, order):
                duplicates += 1
                continue
            added.append(order)
            scheduled.append(await repository.add_request(conn, order, review_requests.schedule(order)))
        await customers.link_orders(ctx, conn, uuid.UUID(tenant_id), [o.order_id for o in added])
        await announcements.orders_submitted(conn, added)
    return len(parsed), duplicates, scheduled


async def list_requests(ctx: Context, *, tenant: uuid.UUID, status: str):
    """The tenant's review requests, optionally of one status."""
    if status and status not in {s.value for s in RequestStatus}:
        raise InvalidArgument(f"unknown status {status!r}", [FieldViolation("status", ", ".join(s.value for s in RequestStatus))])
    async with ctx.pool.acquire() as conn:
        return await repository.list_requests(conn, tenant, status=status)


async def run_due(ctx: Context, *, now: datetime, limit: int = 200) -> int:
    """Hands the requests due by `now` to ingest; returns how many were handed over.

    A due request is skipped when its customer has an open case or left a negative review within
    the tenant's quiet days, and blocked when its text fails the compliance check; otherwise its
    send request is queued in resolution's outbox in the same transaction that marks it `sending`
    (one request per order), and ingest answers with its outcome (`record_outcomes`).
    """
    queued = 0
    async with ctx.pool.acquire() as conn, conn.transaction():
        due = await repository.claim_due(conn, now=now, limit=limit)
        policies: dict[uuid.UUID, TenantPolicy] = await ctx.policies(conn, [r["tenant_id"] for r in due]) if due else {}
        for row in due:
            tenant = row["tenant_id"]
            blocker = await customers.invitation_blocker(conn, tenant, row["customer_id"], policy=policies[tenant], now=now)
            if blocker is not None:
                status = RequestStatus.SKIPPED_OPEN_CASE if "open case" in blocker else RequestStatus.SKIPPED_NEGATIVE_REVIEW
                await repository.set_status(conn, row["id"], status=status, detail=blocker)
                continue
            texts = {**ctx.toolkit.invitations, **(policies[tenant].invitation_texts or {})}
            text = review_requests.render_invitation(
                language=row["language"], order_id=row["order_id"], product_name=row["product_name"], texts=texts
            )
            result = ctx.toolkit.checker.check(text=text, platform=row["platform"])
            if not result.passed:
                detail = "; ".join(f"{v.phrase!r} breaks {v.rule_id}" for v in result.violations)
                await repository.set_status(conn, row["id"], status=RequestStatus.BLOCKED_COMPLIANCE, detail=detail, text=text)
                continue
            message = events_pb2.ReviewRequestSendRequested(
                tenant_id=str(tenant), request_id=str(row["id"]), order_id=row["order_id"], platform=row["platform"],
                marketplace=row["marketplace"], customer_id=row["customer_id"], language=row["language"], text=text,
                channels=list(row["channels"]),
            )
            message.delivered_at.FromDatetime(row["delivered_at"])
            await repository.request_send(conn, message, send_at=row["send_at"])
            await repository.set_status(conn, row["id"], status=RequestStatus.SENDING, detail=row["status_detail"], text=text)
            queued += 1
    return queued


async def record_outcomes(ctx: Context, events: Sequence[events_pb2.ReviewRequestOutcome]) -> None:
    """Records what ingest answered for each request; a deferred one goes back on the schedule."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        for event in events:
            tenant, request = uuid.UUID(event.tenant_id), uuid.UUID(event.request_id)
            at = event.at.ToDatetime(tzinfo=timezone.utc) if event.HasField("at") else ctx.clock()
            if event.outcome == DEFERRED and event.HasField("not_before"):
                await repository.reschedule(
                    conn, tenant_id=tenant, request_id=request, send_at=event.not_before.ToDatetime(tzinfo=timezone.utc), detail=event.reason
                )
                continue
            status = OUTCOME_STATUS.get(event.outcome, RequestStatus.FAILED)
            await repository.record_outcome(
                conn, tenant_id=tenant, request_id=request, status=status, detail=event.reason or event.outcome, route=event.route,
                platform_request_id=event.platform_request_id, at=at,
            )
