"""gRPC adapter of the ingest service: translate, then call the service layer."""

from __future__ import annotations

import grpc

from reviewguard.ingest.v1 import ingest_pb2, ingest_pb2_grpc, review_pb2
from services.ingest.service import IngestService


class IngestServicer(ingest_pb2_grpc.IngestServiceServicer):
    def __init__(self, service: IngestService) -> None:
        self._service = service

    async def SubmitReviews(self, request: ingest_pb2.SubmitReviewsRequest, context: grpc.aio.ServicerContext):
        results = await self._service.submit(request.tenant_id, list(request.reviews))
        return ingest_pb2.SubmitReviewsResponse(
            results=[ingest_pb2.SubmittedReview(id=r.id, created=r.created, updated=r.updated) for r in results]
        )

    async def GetReview(self, request: ingest_pb2.GetReviewRequest, context: grpc.aio.ServicerContext) -> review_pb2.Review:
        return await self._service.get(request.tenant_id, request.review_id)
