"""Use cases of where alerts go: receivers (secrets sealed, URLs checked), silences, and the deliveries
made.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone

from pydantic import SecretStr, ValidationError

from libs import paging
from libs.errors import Conflict, FieldViolation, InvalidArgument, NotFound, Unavailable, require_uuid, violations_of
from libs.outbound import OutboundPolicy, OutboundRefused
from reviewguard.alerting.v1 import alerting_pb2
from services.alerting.context import Context
from services.alerting.notifications import repository as notifications_repository
from services.alerting.policies import repository as policies_repository
from services.alerting.policy import AlertPolicy
from services.alerting.receivers import parse_receiver_config
from services.alerting.routing import Matcher, QuietHours, WeeklyWindow


async def put_receiver(ctx: Context, tenant_id: str, name: str, config_json: str, quiet_hours_json: str) -> alerting_pb2.Receiver:
    tenant = require_uuid(tenant_id, field="tenant_id")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", name or ""):
        raise InvalidArgument("bad receiver name", [FieldViolation("name", "letters, digits, . _ - (at most 100)")])
    if ctx.box is None:
        raise Unavailable("no encryption key configured; receivers cannot be stored")
    data = _json_object(config_json, "config")
    try:
        config = parse_receiver_config({**data, "name": name})
        quiet = QuietHours.model_validate(_json_object(quiet_hours_json, "quiet_hours")) if quiet_hours_json else None
    except ValidationError as error:
        raise InvalidArgument("invalid receiver; nothing was changed", violations_of(error, default="body")) from None
    secrets = config.model_dump(mode="python", exclude={"name"})
    refused = await _refused_urls(ctx.outbound, str(data.get("kind", "")), _reveal(secrets))
    if refused:
        raise InvalidArgument("receiver destination refused by the outbound policy; nothing was changed", refused)
    sealed = ctx.box.seal(_reveal(secrets))
    async with ctx.pool.acquire() as conn:
        await notifications_repository.put_receiver(
            conn, tenant, name, kind=data.get("kind", ""), sealed=sealed, quiet_hours=quiet.model_dump(mode="json") if quiet else None
        )
    return _receiver_view(ctx, name, data.get("kind", ""), config, quiet.model_dump(mode="json") if quiet else None)


def _receiver_view(ctx: Context, name: str, kind: str, config, quiet: dict | None) -> alerting_pb2.Receiver:
    return alerting_pb2.Receiver(
        name=name,
        kind=kind,
        config_json=config.model_dump_json(exclude={"name"}),
        quiet_hours_json=json.dumps(quiet) if quiet else "",
    )


async def list_receivers(ctx: Context, tenant_id: str) -> list[alerting_pb2.Receiver]:
    tenant = require_uuid(tenant_id, field="tenant_id")
    async with ctx.pool.acquire() as conn:
        rows = await notifications_repository.list_receivers(conn, tenant)
    views = []
    for row in rows:
        config = parse_receiver_config({**ctx.box.open(row["config"]), "name": row["name"]})
        views.append(_receiver_view(ctx, row["name"], row["kind"], config, json.loads(row["quiet_hours"]) if row["quiet_hours"] else None))
    return views


async def delete_receiver(ctx: Context, tenant_id: str, name: str) -> None:
    tenant = require_uuid(tenant_id, field="tenant_id")
    async with ctx.pool.acquire() as conn, conn.transaction():
        await notifications_repository.lock_routing(conn, tenant)
        stored = await policies_repository.get_policy(conn, tenant)
        if stored:
            uses = [path for path, used in AlertPolicy.model_validate(stored[0]).routing.receiver_references() if used == name]
            if uses:
                raise Conflict(
                    f"receiver {name!r} is used by the alert policy; change the policy first",
                    [FieldViolation(path, f"routes to {name!r}") for path in uses],
                )
        if not await notifications_repository.delete_receiver(conn, tenant, name):
            raise NotFound(f"receiver {name!r} not found")


async def create_silence(ctx: Context, tenant_id: str, silence: alerting_pb2.Silence) -> alerting_pb2.Silence:
    tenant = require_uuid(tenant_id, field="tenant_id")
    now = ctx.clock()
    bad: list[FieldViolation] = []
    if not silence.matchers:
        bad.append(FieldViolation("matchers", "a silence needs at least one matcher"))
    for i, matcher in enumerate(silence.matchers):
        try:
            Matcher.parse(matcher)
        except ValueError as error:
            bad.append(FieldViolation(f"matchers[{i}]", str(error)))
    starts = silence.starts_at.ToDatetime(tzinfo=timezone.utc) if silence.HasField("starts_at") else now
    if not silence.HasField("ends_at"):
        bad.append(FieldViolation("ends_at", "is required: every silence expires"))
        ends = now
    else:
        ends = silence.ends_at.ToDatetime(tzinfo=timezone.utc)
        if ends <= max(starts, now):
            bad.append(FieldViolation("ends_at", "must be after starts_at and in the future"))
    weekly = None
    if silence.weekly_json:
        try:
            weekly = WeeklyWindow.model_validate(_json_object(silence.weekly_json, "weekly")).model_dump(mode="json")
        except ValidationError as error:
            bad += violations_of(error, prefix="weekly", default="body")
    if bad:
        raise InvalidArgument("invalid silence; nothing was stored", bad)
    async with ctx.pool.acquire() as conn:
        row = await notifications_repository.create_silence(
            conn, tenant, matchers=list(silence.matchers), starts_at=starts, ends_at=ends, weekly=weekly,
            comment=silence.comment[:500], created_by=silence.created_by[:200],
        )
    return _silence_proto(row)


async def list_silences(ctx: Context, tenant_id: str) -> list[alerting_pb2.Silence]:
    tenant = require_uuid(tenant_id, field="tenant_id")
    async with ctx.pool.acquire() as conn:
        return [_silence_proto(r) for r in await notifications_repository.list_silences(conn, tenant, ctx.clock())]


async def expire_silence(ctx: Context, tenant_id: str, silence_id: str) -> None:
    tenant = require_uuid(tenant_id, field="tenant_id")
    silence = require_uuid(silence_id, field="silence_id")
    async with ctx.pool.acquire() as conn:
        if not await notifications_repository.expire_silence(conn, tenant, silence, ctx.clock()):
            raise NotFound(f"silence {silence_id} not found")


async def list_deliveries(ctx: Context, tenant_id: str, alert_id: str, page_size: int) -> list[alerting_pb2.Delivery]:
    tenant = require_uuid(tenant_id, field="tenant_id")
    alert = require_uuid(alert_id, field="alert_id") if alert_id else None
    async with ctx.pool.acquire() as conn:
        rows = await notifications_repository.list_deliveries(conn, tenant, alert_id=alert, limit=paging.page_size(page_size))
    out = []
    for r in rows:
        d = alerting_pb2.Delivery(
            id=str(r["id"]), receiver=r["receiver"], kind=r["kind"], alert_ids=[str(a) for a in r["alert_ids"]],
            status=r["status"], attempts=r["attempts"], last_error=r["last_error"],
        )
        d.created_at.FromDatetime(r["created_at"])
        if r["delivered_at"]:
            d.delivered_at.FromDatetime(r["delivered_at"])
        out.append(d)
    return out


def _json_object(text: str, field: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidArgument(f"{field} is not valid JSON", [FieldViolation(field, str(error))]) from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"{field} must be a JSON object", [FieldViolation(field, "must be a JSON object")])
    return value


async def _refused_urls(policy: OutboundPolicy, prefix: str, values: dict) -> list[FieldViolation]:
    """A violation (named like pydantic's, e.g. `webhook.url`) for each URL the outbound policy refuses."""
    bad = []
    for key, value in values.items():
        if isinstance(value, dict):
            bad += await _refused_urls(policy, f"{prefix}.{key}", value)
        elif isinstance(value, str) and "://" in value:
            try:
                await policy.check_url(value)
            except OutboundRefused as refused:
                bad.append(FieldViolation(f"{prefix}.{key}" if prefix else key, refused.reason))
    return bad


def _reveal(value):
    """A config dump with SecretStr values opened, for sealing (never for logs or responses)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_reveal(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _silence_proto(row) -> alerting_pb2.Silence:
    silence = alerting_pb2.Silence(
        id=str(row["id"]), matchers=json.loads(row["matchers"]), weekly_json=row["weekly"] or "",
        comment=row["comment"], created_by=row["created_by"],
    )
    silence.starts_at.FromDatetime(row["starts_at"])
    silence.ends_at.FromDatetime(row["ends_at"])
    return silence
