"""Use cases of the compensation ladder: recommend, offer (within the cap), approve, record the buyer's answer.

Every step is an entry of the case's trail (the ledger): compensation_recommended, offer_recorded,
offer_approved, offer_offered, offer_accepted, offer_declined, plus the case's own transitions.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import asyncpg

from libs.db import get_for_tenant
from libs.errors import FieldViolation, InvalidArgument
from reviewguard.resolution.v1 import resolution_pb2
from services.resolution import repository
from services.resolution.cases import flows as cases
from services.resolution.cases.models import AWAITING_CUSTOMER, COMPENSATION_OFFERED, FINAL, status_name
from services.resolution.cases.service import check_transition
from services.resolution.compensation import repository as offers_repository
from services.resolution.compensation import service as ladder
from services.resolution.compensation.models import COMMITTED, CompensationPolicy, Money, OfferStatus, Recommendation
from services.resolution.context import Context
from services.resolution.fields import currency_field, decimal_field
from services.resolution.policy.models import TenantPolicy
from services.resolution.templates.models import Remedy
from services.resolution.templates.service import format_money


def _order_value(row: asyncpg.Record) -> Money | None:
    return Money(row["order_value"], row["order_currency"]) if row["order_value"] is not None and row["order_currency"] else None


def _rates(policy: TenantPolicy, *currencies: str, given: tuple[str, Decimal | None] = ("", None)) -> dict[str, Decimal | None]:
    """USD rates of `currencies`: the request's explicit rate for its currency, else the policy's table."""
    rates = {c: policy.usd_rate(c) for c in currencies if c}
    if given[1] is not None and given[0] != "USD":
        rates[given[0]] = given[1]
    return rates


async def recommend(ctx: Context, request: resolution_pb2.RecommendCompensationRequest) -> Recommendation:
    """The ladder's best offer for a case; the order value and spend come from the linked order when not given."""
    tenant = uuid.UUID(request.tenant_id)
    case = uuid.UUID(request.case_id)
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await cases.require(conn, tenant, case)
        policy = await ctx.policy(conn, tenant)
        linked = _order_value(row)
        if request.order_value:
            currency = currency_field(request.currency)
            order_value = Money(decimal_field(request.order_value, "order_value", required=True), currency)
        elif linked is not None:
            order_value, currency = linked, linked.currency
        else:
            raise InvalidArgument("order_value is required: the case has no linked order", [FieldViolation("order_value", "required")])
        usd_rate = decimal_field(request.usd_rate, "usd_rate") or policy.usd_rate(currency)

        def money(value: str, field: str) -> Money | None:
            amount = decimal_field(value, field)
            return Money(amount, currency) if amount is not None else None

        annual_spend = money(request.annual_spend, "annual_spend")
        if annual_spend is None and row["annual_spend_usd"] is not None and usd_rate:
            annual_spend = Money(row["annual_spend_usd"] / usd_rate, currency)
        try:
            recommendation = ladder.recommend(
                issue=request.issue or "minor", order_value=order_value, annual_spend=annual_spend, cross_border=request.cross_border,
                shipping_paid=money(request.shipping_paid, "shipping_paid"), duties_paid=money(request.duties_paid, "duties_paid"),
                reship_cost=money(request.reship_cost, "reship_cost"), usd_rate=usd_rate,
                policy=CompensationPolicy(
                    approval_threshold_usd=policy.approval_threshold, cap_ratio=Decimal(str(policy.compensation_cap_ratio)),
                    vip_annual_spend_usd=Decimal(str(policy.vip_annual_spend_usd)),
                ),
            )
        except ValueError as error:
            raise InvalidArgument(str(error), [FieldViolation("issue", "minor, quality, damaged or wrong_item")]) from None
        chosen = recommendation.chosen
        await repository.add_event(
            conn, tenant_id=tenant, case_id=case, kind="compensation_recommended", at=ctx.clock(), from_status=row["status"],
            to_status=row["status"], actor="system",
            detail={"option": chosen.option, "total": str(chosen.total), "cap": str(chosen.cap), "requires_approval": chosen.requires_approval,
                    "vip": recommendation.vip},
        )
    return recommendation


async def record_offer(ctx: Context, request: resolution_pb2.RecordOfferRequest) -> asyncpg.Record:
    """Records an offer within the cap; above the agent's limit it waits for approval, else it goes out."""
    tenant = uuid.UUID(request.tenant_id)
    case = uuid.UUID(request.case_id)
    cost_amount = decimal_field(request.cost, "cost", required=True)
    currency = currency_field(request.currency)
    given_rate = decimal_field(request.usd_rate, "usd_rate")
    if not request.option.strip():
        raise InvalidArgument("option is required", [FieldViolation("option", "e.g. full_refund")])
    cost = Money(cost_amount, currency)
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await cases.locked(conn, tenant, case)
        if row["status"] in FINAL:
            raise InvalidArgument(f"case is {status_name(row['status'])}; no more offers")
        policy = await ctx.policy(conn, tenant)
        order_value = _order_value(row)
        rates = _rates(policy, currency, order_value.currency if order_value else "", given=(currency, given_rate))
        if rates.get(currency) is None:
            raise InvalidArgument(
                f"no exchange rate for {currency}: give usd_rate or add {currency} to the policy's fx_usd_rates; "
                "the approval limit is in USD",
                [FieldViolation("usd_rate", f"USD per {currency}")],
            )
        cost_usd = (cost.amount * rates[currency]).quantize(Decimal("0.01"))
        committed_rows = await offers_repository.committed(conn, case, statuses=sorted(COMMITTED))
        committed = None
        if order_value is not None:
            committed = Money.zero(order_value.currency)
            for o in committed_rows:
                amount = o["cost_in_order_currency"]
                earlier = Money(amount, order_value.currency) if amount is not None else ladder.convert(
                    Money(o["cost"], o["currency"]), order_value.currency, usd_rates={**rates, **_rates(policy, o["currency"])})
                committed = committed + earlier
        in_order = ladder.check_cap(
            cost=cost, cost_usd=cost_usd, order_value=order_value, committed=committed,
            cap_ratio=Decimal(str(policy.compensation_cap_ratio)), no_order_ceiling_usd=Decimal(str(policy.no_order_cash_ceiling_usd)),
            usd_rates=rates, cash=ladder.is_cash(request.option),
        )
        limit = policy.approval_limit(request.actor)
        needs_approval = cost_usd > limit
        if not needs_approval and row["status"] != COMPENSATION_OFFERED:
            check_transition(current=row["status"], target=COMPENSATION_OFFERED, reason=0)
        now = ctx.clock()
        offer = await offers_repository.add(
            conn, tenant_id=tenant, case_id=case, option=request.option.strip(), cost=cost.amount, currency=currency, cost_usd=cost_usd,
            detail=request.detail, requires_approval=needs_approval, created_by=request.actor, created_at=now,
            cost_in_order_currency=in_order.amount if in_order is not None else None,
        )
        detail = {"offer_id": str(offer["id"]), "option": offer["option"], "cost": str(cost.amount), "currency": currency,
                  "cost_usd": str(cost_usd), "status": offer["status"], "approval_limit_usd": str(limit)}
        if order_value is not None:
            detail |= {"cap": str(order_value.times(Decimal(str(policy.compensation_cap_ratio)))), "cost_in_order_currency": str(in_order),
                       "committed_before": str(committed)}
        await repository.add_event(
            conn, tenant_id=tenant, case_id=case, kind="offer_recorded", at=now, from_status=row["status"], to_status=row["status"],
            actor=request.actor, detail=detail,
        )
        if not needs_approval:
            await _send(ctx, conn, row, offer, actor=request.actor)
    return offer


async def _send(ctx: Context, conn: asyncpg.Connection, row: asyncpg.Record, offer: asyncpg.Record, *, actor: str) -> None:
    """The offer goes to the buyer: the case is (or stays) in compensation_offered."""
    await repository.add_event(
        conn, tenant_id=row["tenant_id"], case_id=row["id"], kind="offer_offered", at=ctx.clock(), from_status=row["status"],
        to_status=row["status"], actor=actor, detail={"offer_id": str(offer["id"]), "option": offer["option"]},
    )
    if row["status"] != COMPENSATION_OFFERED:
        await cases.move(ctx, conn, row, to=COMPENSATION_OFFERED, actor=actor, detail={"offer_id": str(offer["id"])})


async def _locked_offer(conn: asyncpg.Connection, tenant: uuid.UUID, case: uuid.UUID, offer_id: str) -> asyncpg.Record:
    return await get_for_tenant(
        conn, lambda c, t, offer: offers_repository.lock(c, t, case, offer), tenant_id=tenant, item_id=offer_id, field="offer_id",
        missing=f"offer {offer_id} not found on case {case}",
    )


async def approve_offer(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID, offer_id: str, approver: str) -> asyncpg.Record:
    """pending_approval → approved (the approver recorded) → offered."""
    if not approver.strip():
        raise InvalidArgument("approver is required", [FieldViolation("approver", "who approves")])
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await cases.locked(conn, tenant, case)
        offer = await _locked_offer(conn, tenant, case, offer_id)
        if offer["status"] != OfferStatus.PENDING_APPROVAL:
            raise InvalidArgument(f"offer is {offer['status']}; only pending offers are approved",
                           [FieldViolation("offer_id", f"status {offer['status']}")])
        if offer["created_by"] and offer["created_by"] == approver:
            raise InvalidArgument("an offer is approved by someone other than who made it", [FieldViolation("approver", "same as creator")])
        policy = await ctx.policy(conn, tenant)
        # NOTE: an approver with a limit of their own must have one that covers the offer; others
        # (team leads outside the agents' table) approve any amount.
        own = (policy.agent_limits_usd or {}).get(approver)
        if own is not None and Decimal(str(own)) < offer["cost_usd"]:
            raise InvalidArgument(
                f"{approver}'s limit of {own:g} USD is below this offer's {offer['cost_usd']} USD",
                [FieldViolation("approver", "limit below the offer")],
            )
        if row["status"] != COMPENSATION_OFFERED:
            check_transition(current=row["status"], target=COMPENSATION_OFFERED, reason=0)
        now = ctx.clock()
        await offers_repository.approve(conn, offer["id"], approver=approver, at=now)
        await repository.add_event(
            conn, tenant_id=tenant, case_id=case, kind="offer_approved", at=now, from_status=row["status"], to_status=row["status"],
            actor=approver, detail={"offer_id": offer_id, "cost_usd": str(offer["cost_usd"]), "approved_by": approver},
        )
        offer = await offers_repository.set_status(conn, offer["id"], OfferStatus.OFFERED)
        await _send(ctx, conn, row, offer, actor=approver)
    return offer


async def decide_offer(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID, offer_id: str, decision: str, actor: str) -> asyncpg.Record:
    """The buyer's answer: offered → accepted | declined. A declined offer frees its share of the cap
    and, when no other offer is out, puts the case back to awaiting the customer, ready for a new offer."""
    try:
        status = OfferStatus(decision)
    except ValueError:
        status = None
    if status not in (OfferStatus.ACCEPTED, OfferStatus.DECLINED):
        raise InvalidArgument("decision is accepted or declined", [FieldViolation("decision", "accepted or declined")])
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await cases.locked(conn, tenant, case)
        offer = await _locked_offer(conn, tenant, case, offer_id)
        if offer["status"] != OfferStatus.OFFERED:
            raise InvalidArgument(f"offer is {offer['status']}; only an offer the buyer has is accepted or declined",
                           [FieldViolation("offer_id", f"status {offer['status']}")])
        now = ctx.clock()
        offer = await offers_repository.set_status(conn, offer["id"], status, by=actor, at=now)
        await repository.add_event(
            conn, tenant_id=tenant, case_id=case, kind=f"offer_{status}", at=now, from_status=row["status"], to_status=row["status"],
            actor=actor, detail={"offer_id": offer_id, "option": offer["option"], "cost": str(offer["cost"]), "currency": offer["currency"]},
        )
        if status is OfferStatus.DECLINED and row["status"] == COMPENSATION_OFFERED:
            still_out = [o for o in await offers_repository.committed(conn, case, statuses=[OfferStatus.OFFERED])]
            if not still_out:
                await cases.move(ctx, conn, row, to=AWAITING_CUSTOMER, actor=actor, detail={"offer_id": offer_id, "declined": True})
    return offer


async def list_offers(ctx: Context, *, tenant: uuid.UUID, case: uuid.UUID) -> list[asyncpg.Record]:
    async with ctx.pool.acquire() as conn:
        await cases.require(conn, tenant, case)
        return await offers_repository.list_for_case(conn, tenant, case)


async def remedy_of(conn: asyncpg.Connection, case: uuid.UUID, *, language: str) -> Remedy | None:
    """What a reply may say the buyer gets: the case's latest offer out or accepted, if it is a refund or a replacement."""
    rows = await offers_repository.committed(conn, case, statuses=[OfferStatus.OFFERED, OfferStatus.ACCEPTED])
    for row in reversed(rows):
        stage = "accepted" if row["status"] == OfferStatus.ACCEPTED else "offered"
        if "refund" in row["option"]:
            return Remedy(kind="refund", stage=stage, amount=format_money(row["cost"], row["currency"], language))
        if not ladder.is_cash(row["option"]):
            return Remedy(kind="replacement", stage=stage)
    return None
