"""/v1/reviews: submit reviews and read one back with its analysis."""

from __future__ import annotations

import uuid

import grpc
from fastapi import APIRouter, status

from libs.errors import InvalidArgument
from reviewguard.ingest.v1 import ingest_pb2
from reviewguard.nlp.v1 import nlp_pb2
from services.gateway.dependencies import BackendsDep, TenantDep
from services.gateway.schemas import ERROR_RESPONSES, Accepted, ReviewBatch, ReviewRead

router = APIRouter(prefix="/v1/reviews", tags=["reviews"], responses=ERROR_RESPONSES)


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
async def submit_reviews(batch: ReviewBatch, tenant: TenantDep, backends: BackendsDep) -> Accepted:
    """Stores the reviews (all or none) and queues them for analysis; answers with their ids."""
    if duplicates := batch.duplicates():
        raise InvalidArgument(f"{len(duplicates)} review(s) repeated in one batch; nothing was stored", duplicates)
    response = await backends.ingest.SubmitReviews(
        ingest_pb2.SubmitReviewsRequest(tenant_id=str(tenant), reviews=[r.to_proto() for r in batch.reviews])
    )
    return Accepted(accepted=len(response.results), ids=[r.id for r in response.results])


@router.get("/{review_id}", response_model=ReviewRead)
async def get_review(review_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep) -> ReviewRead:
    """One review, with its analysis once the NLP service has made it (else `analysis: null`)."""
    review = await backends.ingest.GetReview(ingest_pb2.GetReviewRequest(tenant_id=str(tenant), review_id=str(review_id)))
    try:
        analysis = await backends.nlp.GetAnalysis(
            nlp_pb2.GetAnalysisRequest(tenant_id=str(tenant), review_id=str(review_id))
        )
    except grpc.aio.AioRpcError as error:
        # NOTE: a review is readable while analysis is pending or the NLP service is restarting.
        if error.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAVAILABLE):
            raise
        analysis = None
    return ReviewRead.from_proto(review, analysis)
