"""/v1/imports, /v1/sources, /v1/webhooks, /v1/reviews/{id}/history, /v1/rating-changes, /v1/ingest/lag."""

from __future__ import annotations

import uuid
from datetime import timezone
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from pydantic import AwareDatetime

from reviewguard.ingest.v1 import ingest_pb2
from services.gateway.dependencies import BackendsDep, PageDep, TenantDep
from services.gateway.schemas import ERROR_RESPONSES
from services.gateway.routes.ingest_schemas import (
    CaptureLagRead,
    ImportJobRead,
    RatingChangePage,
    RatingChangeRead,
    ReviewHistoryRead,
    ReviewVersionRead,
    SourceCreate,
    SourcePage,
    SourceRead,
    SourceUpdate,
    WebhookAccepted,
)

router = APIRouter(tags=["ingest"], responses=ERROR_RESPONSES)

_CHUNK = 256 * 1024
# Headers a webhook's signature check may need; the rest are not forwarded.
_WEBHOOK_HEADERS = ("x-shopify-hmac-sha256", "x-shopify-triggered-at", "x-shopify-topic", "judgeme-hmac-sha256", "x-trustpilot-signature")


@router.get("/v1/reviews/{review_id}/history", response_model=ReviewHistoryRead)
async def review_history(review_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep) -> ReviewHistoryRead:
    """Every version of a review, oldest first, with the fields each changed (rating, body, status...)."""
    history = await backends.ingest.GetReviewHistory(ingest_pb2.GetReviewRequest(tenant_id=str(tenant), review_id=str(review_id)))
    return ReviewHistoryRead(review_id=str(review_id), versions=[ReviewVersionRead.from_proto(v) for v in history.versions])


@router.get("/v1/rating-changes", response_model=RatingChangePage)
async def rating_changes(
    tenant: TenantDep,
    backends: BackendsDep,
    direction: Literal["up", "down", ""] = "",
    since: AwareDatetime | None = None,
    review_id: uuid.UUID | None = None,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> RatingChangePage:
    """Ratings that changed after posting, newest first; `direction=up` is what resolution KPIs count."""
    request = ingest_pb2.ListRatingChangesRequest(
        tenant_id=str(tenant), direction=direction, review_id=str(review_id) if review_id else "", page_size=page_size, page_token=page_token
    )
    if since is not None:
        request.since.FromDatetime(since.astimezone(timezone.utc))
    response = await backends.ingest.ListRatingChanges(request)
    changes = [
        RatingChangeRead(
            review_id=c.review_id, platform=c.platform, product_id=c.product_id, from_version=c.from_version, to_version=c.to_version,
            old_rating=c.old_rating, new_rating=c.new_rating, changed_at=c.changed_at.ToDatetime(tzinfo=timezone.utc),
        )  # fmt: skip
        for c in response.changes
    ]
    return RatingChangePage(items=changes, next_page_token=response.next_page_token or None)


@router.post("/v1/imports", status_code=status.HTTP_202_ACCEPTED, response_model=ImportJobRead)
async def start_import(
    tenant: TenantDep,
    backends: BackendsDep,
    file: Annotated[UploadFile, File(description="a CSV, JSON-array or JSONL export")],
    mapping: Annotated[Literal["amazon", "judgeme", "walmart", "aliexpress", "custom"], Form()] = "amazon",
    format: Annotated[Literal["csv", "json", "jsonl", ""], Form(description="taken from the file name when empty")] = "",
    mapping_json: Annotated[str, Form(description="custom: the column mapping; presets: options such as {\"marketplace\": \"DE\"}")] = "",
    encoding: Annotated[str, Form(description="the file's encoding (e.g. cp932, gb18030, cp1252); without it the file must be UTF-8 (a BOM is honoured)")] = "",
    competitor: Annotated[bool, Form()] = False,
    live: Annotated[
        bool,
        Form(description="the file holds new reviews that may alert and open cases; by default an import is history (analysed and counted, paging no one)"),
    ] = False,
) -> ImportJobRead:
    """Queues an import job and answers at once; follow it with GET /v1/imports/{id}.

    The upload is spooled to disk by the server and streamed to the ingest service in chunks, so a
    large file never sits whole in memory.
    """
    name = file.filename or ""
    chosen = format or next((f for f in ("jsonl", "json", "csv") if name.lower().endswith("." + f)), "csv")
    start = ingest_pb2.ImportStart(
        tenant_id=str(tenant), format=chosen, mapping=mapping, mapping_json=mapping_json, file_name=name, encoding=encoding,
        competitor=competitor, live=live,
    )  # fmt: skip

    async def chunks():
        yield ingest_pb2.ImportChunk(start=start)
        while data := await file.read(_CHUNK):
            yield ingest_pb2.ImportChunk(data=data)

    job = await backends.ingest.StartImport(chunks())
    return ImportJobRead.from_proto(job)


@router.get("/v1/imports/{import_id}", response_model=ImportJobRead)
async def get_import(import_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep) -> ImportJobRead:
    """An import's progress: rows read, good and bad, the first errors by line, and its status."""
    job = await backends.ingest.GetImport(ingest_pb2.GetImportRequest(tenant_id=str(tenant), import_id=str(import_id)))
    return ImportJobRead.from_proto(job)


@router.post("/v1/sources", status_code=status.HTTP_201_CREATED, response_model=SourceRead)
async def create_source(body: SourceCreate, tenant: TenantDep, backends: BackendsDep) -> SourceRead:
    """Adds a source; a pull source backfills `backfill_days` of history on its first sync."""
    return SourceRead.from_proto(await backends.ingest.CreateSource(body.to_proto(str(tenant))))


@router.get("/v1/sources", response_model=SourcePage)
async def list_sources(tenant: TenantDep, backends: BackendsDep, page: PageDep) -> SourcePage:
    response = await backends.ingest.ListSources(ingest_pb2.ListSourcesRequest(tenant_id=str(tenant)))
    items, next_token = page.of(response.sources)
    return SourcePage(items=[SourceRead.from_proto(s) for s in items], next_page_token=next_token)


@router.get("/v1/sources/{source_id}", response_model=SourceRead)
async def get_source(source_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep) -> SourceRead:
    return SourceRead.from_proto(await backends.ingest.GetSource(ingest_pb2.GetSourceRequest(tenant_id=str(tenant), source_id=str(source_id))))


@router.patch("/v1/sources/{source_id}", response_model=SourceRead)
async def update_source(source_id: uuid.UUID, body: SourceUpdate, tenant: TenantDep, backends: BackendsDep) -> SourceRead:
    return SourceRead.from_proto(await backends.ingest.UpdateSource(body.to_proto(str(tenant), str(source_id))))


@router.delete("/v1/sources/{source_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_source(source_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep) -> Response:
    await backends.ingest.DeleteSource(ingest_pb2.GetSourceRequest(tenant_id=str(tenant), source_id=str(source_id)))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/v1/webhooks/{kind}/{source_id}", response_model=WebhookAccepted)
async def receive_webhook(kind: str, source_id: str, request: Request, backends: BackendsDep) -> WebhookAccepted:
    """A platform's webhook. No API key: the source id in the URL names the tenant and the
    HMAC signature over the raw body (with the source's secret) proves the sender; an unsigned,
    wrongly signed, stale or replayed call is refused with 401 and stores nothing."""
    body = await request.body()
    headers = {k: v for k, v in request.headers.items() if k.lower() in _WEBHOOK_HEADERS}
    answer = await backends.ingest.ReceiveWebhook(ingest_pb2.WebhookRequest(kind=kind, source_id=source_id, body=body, headers=headers))
    return WebhookAccepted(accepted=answer.accepted, removed=answer.removed, ids=list(answer.ids))


@router.get("/v1/ingest/lag", response_model=CaptureLagRead)
async def capture_lag(
    tenant: TenantDep, backends: BackendsDep, window_seconds: Annotated[int, Query(ge=60, le=90 * 86400)] = 86400
) -> CaptureLagRead:
    """Capture lag (posted -> captured) per platform, channel and source over the window: p50, p95, max."""
    lag = await backends.ingest.GetCaptureLag(ingest_pb2.GetCaptureLagRequest(tenant_id=str(tenant), window_seconds=window_seconds))
    return CaptureLagRead(
        window_seconds=lag.window_seconds,
        stats=[
            {"platform": s.platform, "channel": s.channel, "source_id": s.source_id or None, "reviews": s.reviews,
             "p50_seconds": s.p50_seconds, "p95_seconds": s.p95_seconds, "max_seconds": s.max_seconds}  # fmt: skip
            for s in lag.stats
        ],
    )
