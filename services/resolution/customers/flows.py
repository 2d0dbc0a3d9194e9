"""Links cases to the review's platform ids and to the order and customer, whichever arrives first.

A case learns its order from its review (ingest's `Review.order_id`), from the agent (PATCH), or
from an order posted later (`POST /v1/orders`): each of those calls `link_cases` for the open cases
concerned, and every change of the order facts is an `order_linked` entry of the case's trail.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta, timezone

import asyncpg

from reviewguard.ingest.v1 import review_pb2
from services.resolution.cases import repository as cases_repository
from services.resolution.cases.models import OPEN
from services.resolution.cases.repository import NewEvent
from services.resolution.context import Context
from services.resolution.customers import repository
from services.resolution.customers.repository import ReviewFact
from services.resolution.policy.models import TenantPolicy

_OPEN = sorted(OPEN)


def order_facts(row: asyncpg.Record, policy: TenantPolicy) -> dict:
    """The order and customer facts of a case, as its trail and the API show them."""
    spend = row["annual_spend_usd"]
    return {
        "order_id": row["order_id"],
        "customer_id": row["customer_id"],
        "value": str(row["order_value"]) if row["order_value"] is not None else None,
        "currency": row["order_currency"] or None,
        "fulfilment": row["fulfilment"] or None,
        "annual_spend_usd": str(spend) if spend is not None else None,
        "vip": spend is not None and float(spend) > policy.vip_annual_spend_usd,
    }


async def link_cases(ctx: Context, conn: asyncpg.Connection, case_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    """Copies review ids and order facts onto the cases; returns the cases whose order facts changed."""
    if not case_ids:
        return []
    await cases_repository.link_reviews(conn, list(case_ids))
    linked = await cases_repository.link_orders(conn, list(case_ids))
    if linked:
        policies = await ctx.policies(conn, [r["tenant_id"] for r in linked])
        now = ctx.clock()
        await cases_repository.add_events(conn, [
            NewEvent(tenant_id=r["tenant_id"], case_id=r["id"], kind="order_linked", at=now, from_status=r["status"],
                     to_status=r["status"], actor="system", detail=order_facts(r, policies[r["tenant_id"]]))
            for r in linked
        ])
    return linked


def fact_of(review: review_pb2.Review) -> ReviewFact:
    return ReviewFact(
        tenant_id=uuid.UUID(review.tenant_id), review_id=uuid.UUID(review.id), platform=review.platform.lower(),
        external_id=review.external_id, product_id=review.product_id, order_id=review.order_id, reviewer_id=review.reviewer.id,
        rating=review.rating, posted_at=review.posted_at.ToDatetime(tzinfo=timezone.utc) if review.HasField("posted_at") else None,
        history=review.history,
    )


async def record_reviews(ctx: Context, conn: asyncpg.Connection, reviews: Sequence[review_pb2.Review]) -> list[asyncpg.Record]:
    """Stores the facts of reviews (live or history) and links the open cases already opened for them."""
    facts = list({(f.tenant_id, f.review_id): f for f in (fact_of(r) for r in reviews if r.id and r.tenant_id)}.values())
    await repository.upsert_facts(conn, facts)
    cases = await cases_repository.open_case_ids_for_reviews(conn, [(f.tenant_id, f.review_id) for f in facts], open_statuses=_OPEN)
    return await link_cases(ctx, conn, cases)


async def link_orders(ctx: Context, conn: asyncpg.Connection, tenant: uuid.UUID, order_ids: Sequence[str]) -> list[asyncpg.Record]:
    """Links newly known orders to the tenant's open cases naming them (directly or through their review)."""
    if not order_ids:
        return []
    cases = await cases_repository.open_case_ids_for_orders(conn, tenant, list(order_ids), open_statuses=_OPEN)
    if cases:
        # NOTE: a case that knows the order only through its review gets the order id first.
        await cases_repository.link_reviews(conn, cases)
    return await link_cases(ctx, conn, cases)


async def invitation_blocker(
    conn: asyncpg.Connection, tenant: uuid.UUID, customer_id: str, *, policy: TenantPolicy, now
) -> str | None:
    """Why a review request must not go to this customer now, or None when it may."""
    if await repository.has_open_case(conn, tenant, customer_id, open_statuses=_OPEN):
        return "the customer has an open case"
    since = now - timedelta(days=policy.review_request_quiet_days)
    negative = await repository.recent_negative_review(conn, tenant, customer_id=customer_id, since=since)
    if negative is not None:
        return (f"the customer left a {negative['rating']}-star review on {negative['posted_at'].date().isoformat()}, "
                f"within {policy.review_request_quiet_days:g} days")
    return None

