"""gRPC adapter of the ingest service: translate, then call the service layer."""

from __future__ import annotations

from datetime import timezone

import grpc
from grpc_status import rpc_status

from libs.errors import DomainError, FieldViolation, InvalidArgument, to_rpc_status
from reviewguard.ingest.v1 import ingest_pb2, ingest_pb2_grpc, review_pb2
from services.ingest.import_jobs import ImportService
from services.ingest.service import IngestService
from services.ingest.sources.service import SourceService


class IngestServicer(ingest_pb2_grpc.IngestServiceServicer):
    def __init__(self, service: IngestService, *, imports: ImportService | None = None, sources: SourceService | None = None) -> None:
        self._service = service
        self._imports = imports
        self._sources = sources

    async def SubmitReviews(self, request: ingest_pb2.SubmitReviewsRequest, context: grpc.aio.ServicerContext):
        results = await self._service.submit(request.tenant_id, list(request.reviews))
        return _submitted(results)

    async def GetReview(self, request: ingest_pb2.GetReviewRequest, context: grpc.aio.ServicerContext) -> review_pb2.Review:
        return await self._service.get(request.tenant_id, request.review_id)

    async def RemoveReviews(self, request: ingest_pb2.RemoveReviewsRequest, context):
        results = await self._service.remove(tenant_id=request.tenant_id, platform=request.platform, external_ids=list(request.external_ids))
        return _submitted(results)

    async def GetReviewHistory(self, request: ingest_pb2.GetReviewRequest, context) -> ingest_pb2.ReviewHistory:
        return ingest_pb2.ReviewHistory(versions=await self._service.history(tenant_id=request.tenant_id, review_id=request.review_id))

    async def ListRatingChanges(self, request: ingest_pb2.ListRatingChangesRequest, context):
        changes, token = await self._service.rating_changes(
            tenant_id=request.tenant_id,
            direction=request.direction,
            since=request.since.ToDatetime(tzinfo=timezone.utc) if request.HasField("since") else None,
            review_id=request.review_id,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return ingest_pb2.ListRatingChangesResponse(changes=changes, next_page_token=token)

    async def StartImport(self, request_iterator, context: grpc.aio.ServicerContext) -> ingest_pb2.ImportJob:
        # NOTE: the shared interceptor maps domain errors of unary calls only; a client-streaming
        # call maps its own.
        try:
            first = await anext(aiter(request_iterator), None)
            if first is None or first.WhichOneof("part") != "start":
                raise InvalidArgument("the first chunk must carry the import's start", [FieldViolation("start", "required first")])

            async def data():
                async for chunk in request_iterator:
                    if chunk.WhichOneof("part") != "data":
                        raise InvalidArgument("only the first chunk carries start", [FieldViolation("start", "only once")])
                    yield chunk.data

            return await self._imports.start(start=first.start, chunks=data(), live=first.start.live)
        except DomainError as error:
            await context.abort_with_status(rpc_status.to_status(to_rpc_status(error)))

    async def GetImport(self, request: ingest_pb2.GetImportRequest, context) -> ingest_pb2.ImportJob:
        return await self._imports.get(tenant_id=request.tenant_id, import_id=request.import_id)

    async def CreateSource(self, request: ingest_pb2.CreateSourceRequest, context) -> ingest_pb2.Source:
        return await self._sources.create(request=request)

    async def UpdateSource(self, request: ingest_pb2.UpdateSourceRequest, context) -> ingest_pb2.Source:
        return await self._sources.update(request=request)

    async def GetSource(self, request: ingest_pb2.GetSourceRequest, context) -> ingest_pb2.Source:
        return await self._sources.get(tenant_id=request.tenant_id, source_id=request.source_id)

    async def ListSources(self, request: ingest_pb2.ListSourcesRequest, context) -> ingest_pb2.ListSourcesResponse:
        return ingest_pb2.ListSourcesResponse(sources=await self._sources.list(tenant_id=request.tenant_id))

    async def DeleteSource(self, request: ingest_pb2.GetSourceRequest, context) -> ingest_pb2.DeleteSourceResponse:
        await self._sources.delete(tenant_id=request.tenant_id, source_id=request.source_id)
        return ingest_pb2.DeleteSourceResponse()

    async def ReceiveWebhook(self, request: ingest_pb2.WebhookRequest, context) -> ingest_pb2.WebhookResponse:
        return await self._sources.receive_webhook(
            kind=request.kind, source_id=request.source_id, body=request.body, headers=dict(request.headers)
        )

    async def GetCaptureLag(self, request: ingest_pb2.GetCaptureLagRequest, context) -> ingest_pb2.CaptureLag:
        return await self._service.capture_lag(tenant_id=request.tenant_id, window_seconds=request.window_seconds)


def _submitted(results) -> ingest_pb2.SubmitReviewsResponse:
    return ingest_pb2.SubmitReviewsResponse(
        results=[ingest_pb2.SubmittedReview(id=r.id, created=r.created, updated=r.updated) for r in results]
    )
