"""Use cases of the history backlog: the reviews that would have alerted as news, and promoting them into
alerts.
"""

from __future__ import annotations

import json
import uuid

from libs import paging
from libs.errors import FieldViolation, InvalidArgument, require_uuid
from reviewguard.alerting.v1 import alert_pb2
from services.alerting import announcements, repository, rules
from services.alerting.backlog import repository as backlog_repository
from services.alerting.context import Context
from services.alerting.delivery import route_alerts
from services.alerting.policies import service as tenant_policies


async def history_backlog(ctx: Context, tenant_id: str, *, page_size: int, page_token: str) -> tuple[list[dict], str]:
    """History reviews that would have alerted as news, newest first, for a team to triage."""
    tenant = require_uuid(tenant_id, field="tenant_id")
    limit = paging.page_size(page_size)
    async with ctx.pool.acquire() as conn:
        rows = await backlog_repository.history_backlog(conn, tenant, after=paging.decode(page_token), limit=limit + 1)
    page, next_token = paging.page(rows, limit, key=lambda r: (r["posted_at"], r["review_id"]))
    items = [
        {
            "review_id": str(r["review_id"]), "platform": r["platform"], "marketplace": r["marketplace"],
            "product_id": r["product_id"], "rating": r["rating"], "posted_at": r["posted_at"].isoformat(),
            "severity": r["backlog_severity"], "summary": r["backlog_summary"],
            "reasons": json.loads(r["backlog_reasons"]), "labels": json.loads(r["backlog_labels"]),
        }
        for r in page
    ]
    return items, next_token


async def promote_backlog(ctx: Context, tenant_id: str, review_ids: list[str], actor: str) -> list[alert_pb2.Alert]:
    """Turns backlog reviews into the alerts they would have fired as news, routed and announced
    (resolution opens their cases), labelled `promoted_from=history`; all or nothing. An id
    promoted before answers its existing alert, so a retried call fires nothing twice."""
    tenant = require_uuid(tenant_id, field="tenant_id")
    if not 1 <= len(review_ids) <= MAX_PROMOTE:
        raise InvalidArgument("promote 1 to 500 reviews at a time", [FieldViolation("review_ids", f"1..{MAX_PROMOTE} ids")])
    ids = [require_uuid(r, field=f"review_ids[{i}]") for i, r in enumerate(review_ids)]
    now = ctx.clock()
    async with ctx.pool.acquire() as conn, conn.transaction():
        found = await backlog_repository.backlog_items(conn, tenant, ids)
        missing = [FieldViolation(f"review_ids[{i}]", "not in this tenant's backlog") for i, r in enumerate(ids) if r not in found]
        if missing:
            raise InvalidArgument("only backlog reviews can be promoted; nothing was changed", missing)
        policy = await tenant_policies.effective(ctx, tenant, conn)
        drafts = []
        for review_id in dict.fromkeys(ids):
            row = found[review_id]
            labels = {**json.loads(row["backlog_labels"]), "promoted_from": "history"}
            drafts.append({
                "tenant_id": tenant, "dedup_key": f"{rules.NEGATIVE_REVIEW}:{review_id}", "rule": rules.NEGATIVE_REVIEW,
                "severity": row["backlog_severity"], "review_id": review_id, "platform": row["platform"],
                "marketplace": row["marketplace"], "product_id": row["product_id"],
                "reasons": json.loads(row["backlog_reasons"]), "labels": labels, "scope": f"review:{review_id}",
                "summary": row["backlog_summary"], "day": None, "fired_at": now, "incident_key": None,
            })  # fmt: skip
        stored = await repository.insert_or_get_many(conn, drafts)
        new = [repository.to_proto(row) for row, created in stored if created]
        await route_alerts(conn, new, policy, now, metrics=ctx.metrics)
        await repository.log_actor(conn, [uuid.UUID(a.id) for a in new], now, "promoted", actor or "")
        await backlog_repository.mark_promoted(conn, tenant, list(found), now)
        await announcements.queue(conn, [(None, a) for a in new])
    by_review = {row["review_id"]: repository.to_proto(row) for row, _ in stored}
    return [by_review[r] for r in ids]


# NOTE: one call is one transaction holding row locks; 500 is a page of the backlog.
MAX_PROMOTE = 500
