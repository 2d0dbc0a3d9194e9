"""/v1/alert-receivers, /v1/silences, /v1/deliveries: where alerts go, what mutes them, what was sent."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status
from pydantic import BaseModel, Field

from libs import paging
from reviewguard.alerting.v1 import alerting_pb2
from services.gateway.dependencies import BackendsDep, PageDep, TenantDep
from services.gateway.schemas import ERROR_RESPONSES, page_of
from services.gateway.edge import IsoDatetime, JsonObject, RequestModel

router = APIRouter(tags=["notifications"], responses=ERROR_RESPONSES)


class ReceiverRead(BaseModel):
    name: str
    kind: str
    config: dict[str, Any] = Field(description="settings with every secret shown as **********")
    quiet_hours: dict[str, Any] | None


def _receiver(r: alerting_pb2.Receiver) -> ReceiverRead:
    return ReceiverRead(
        name=r.name, kind=r.kind, config=json.loads(r.config_json), quiet_hours=json.loads(r.quiet_hours_json) if r.quiet_hours_json else None
    )


ReceiverPage = page_of(ReceiverRead, "ReceiverPage")


@router.get("/v1/alert-receivers", response_model=ReceiverPage)
async def list_receivers(tenant: TenantDep, backends: BackendsDep, page: PageDep) -> ReceiverPage:
    response = await backends.alerting.ListReceivers(alerting_pb2.ListReceiversRequest(tenant_id=str(tenant)))
    items, next_token = page.of(response.receivers)
    return ReceiverPage(items=[_receiver(r) for r in items], next_page_token=next_token)


@router.put("/v1/alert-receivers/{name}", response_model=ReceiverRead)
async def put_receiver(
    name: str,
    tenant: TenantDep,
    backends: BackendsDep,
    config: Annotated[JsonObject, Body(examples=[{"kind": "wecom", "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...", "language": "zh"}])],
    quiet_hours: Annotated[JsonObject | None, Body(examples=[{"start": "21:00", "end": "08:00", "time_zone": "Asia/Shanghai"}])] = None,
) -> ReceiverRead:
    """Creates or replaces a receiver: slack, wecom, dingtalk, feishu, webhook, email or sms."""
    stored = await backends.alerting.PutReceiver(
        alerting_pb2.PutReceiverRequest(
            tenant_id=str(tenant), name=name, config_json=json.dumps(config),
            quiet_hours_json=json.dumps(quiet_hours) if quiet_hours else "",
        )
    )
    return _receiver(stored)


@router.delete("/v1/alert-receivers/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_receiver(name: str, tenant: TenantDep, backends: BackendsDep) -> Response:
    await backends.alerting.DeleteReceiver(alerting_pb2.DeleteReceiverRequest(tenant_id=str(tenant), name=name))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class SilenceCreate(RequestModel):
    matchers: list[str] = Field(min_length=1, examples=[["product_id=B0KETTLE01", "severity!=critical"]])
    starts_at: IsoDatetime | None = None
    ends_at: IsoDatetime
    weekly: dict[str, Any] | None = Field(None, examples=[{"days": ["sat", "sun"], "start": "00:00", "end": "23:59", "time_zone": "Europe/Berlin"}])
    comment: str = Field("", max_length=500)
    created_by: str = Field("", max_length=200)


class SilenceRead(BaseModel):
    id: str
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    weekly: dict[str, Any] | None
    comment: str
    created_by: str


SilencePage = page_of(SilenceRead, "SilencePage")


def _silence(s: alerting_pb2.Silence) -> SilenceRead:
    return SilenceRead(
        id=s.id, matchers=list(s.matchers), starts_at=s.starts_at.ToDatetime(tzinfo=timezone.utc),
        ends_at=s.ends_at.ToDatetime(tzinfo=timezone.utc), weekly=json.loads(s.weekly_json) if s.weekly_json else None,
        comment=s.comment, created_by=s.created_by,
    )


@router.post("/v1/silences", response_model=SilenceRead, status_code=status.HTTP_201_CREATED)
async def create_silence(body: SilenceCreate, tenant: TenantDep, backends: BackendsDep) -> SilenceRead:
    silence = alerting_pb2.Silence(
        matchers=body.matchers, weekly_json=json.dumps(body.weekly) if body.weekly else "", comment=body.comment,
        created_by=body.created_by,
    )
    if body.starts_at:
        silence.starts_at.FromDatetime(body.starts_at.astimezone(timezone.utc))
    silence.ends_at.FromDatetime(body.ends_at.astimezone(timezone.utc))
    created = await backends.alerting.CreateSilence(alerting_pb2.CreateSilenceRequest(tenant_id=str(tenant), silence=silence))
    return _silence(created)


@router.get("/v1/silences", response_model=SilencePage)
async def list_silences(tenant: TenantDep, backends: BackendsDep, page: PageDep) -> SilencePage:
    response = await backends.alerting.ListSilences(alerting_pb2.ListSilencesRequest(tenant_id=str(tenant)))
    items, next_token = page.of(response.silences)
    return SilencePage(items=[_silence(s) for s in items], next_page_token=next_token)


@router.delete("/v1/silences/{silence_id}", status_code=status.HTTP_204_NO_CONTENT)
async def expire_silence(silence_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep) -> Response:
    await backends.alerting.ExpireSilence(alerting_pb2.ExpireSilenceRequest(tenant_id=str(tenant), silence_id=str(silence_id)))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class DeliveryRead(BaseModel):
    id: str
    receiver: str
    kind: str
    alert_ids: list[str]
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


DeliveryPage = page_of(DeliveryRead, "DeliveryPage")


@router.get("/v1/deliveries", response_model=DeliveryPage)
async def list_deliveries(tenant: TenantDep, backends: BackendsDep, page: PageDep, alert_id: uuid.UUID | None = None) -> DeliveryPage:
    """The delivery log, newest first: what went to which receiver, and what is still retrying; pages
    reach the newest 500 deliveries."""
    # NOTE: the service answers the newest N (at most 500); a page asks for those up to its own end, and one more.
    wanted = min(paging.window_end(page.size, page.token), paging.MAX_PAGE_SIZE)
    response = await backends.alerting.ListDeliveries(
        alerting_pb2.ListDeliveriesRequest(tenant_id=str(tenant), alert_id=str(alert_id) if alert_id else "", page_size=wanted)
    )
    items, next_token = page.of(response.deliveries)
    return DeliveryPage(items=[
        DeliveryRead(
            id=d.id, receiver=d.receiver, kind=d.kind, alert_ids=list(d.alert_ids), status=d.status, attempts=d.attempts,
            last_error=d.last_error, created_at=d.created_at.ToDatetime(tzinfo=timezone.utc),
            delivered_at=d.delivered_at.ToDatetime(tzinfo=timezone.utc) if d.HasField("delivered_at") else None,
        )
        for d in items
    ], next_page_token=next_token)
