"""gRPC adapter of the resolution service."""

from __future__ import annotations

import grpc

from reviewguard.resolution.v1 import case_pb2, resolution_pb2, resolution_pb2_grpc
from services.resolution.service import ResolutionService


class ResolutionServicer(resolution_pb2_grpc.ResolutionServiceServicer):
    def __init__(self, service: ResolutionService) -> None:
        self._service = service

    async def ListCases(self, request: resolution_pb2.ListCasesRequest, context: grpc.aio.ServicerContext):
        cases, token = await self._service.list(
            request.tenant_id,
            review_id=request.review_id,
            status=request.status,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return resolution_pb2.ListCasesResponse(cases=cases, next_page_token=token)

    async def GetCase(self, request: resolution_pb2.GetCaseRequest, context: grpc.aio.ServicerContext) -> case_pb2.Case:
        return await self._service.get(request.tenant_id, request.case_id)
