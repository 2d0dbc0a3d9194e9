"""/v1/cases: the tenant's cases, newest first."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from reviewguard.resolution.v1 import resolution_pb2
from services.gateway.dependencies import BackendsDep, TenantDep
from services.gateway.schemas import CASE_STATUS_BY_NAME, CasePage, CaseRead

router = APIRouter(prefix="/v1/cases", tags=["cases"])

CaseStatusName = Literal[tuple(CASE_STATUS_BY_NAME)]  # type: ignore[valid-type]


@router.get("", response_model=CasePage)
async def list_cases(
    tenant: TenantDep,
    backends: BackendsDep,
    review_id: uuid.UUID | None = None,
    status: CaseStatusName | None = None,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> CasePage:
    response = await backends.resolution.ListCases(
        resolution_pb2.ListCasesRequest(
            tenant_id=str(tenant),
            review_id=str(review_id) if review_id else "",
            status=CASE_STATUS_BY_NAME[status] if status else 0,
            page_size=page_size,
            page_token=page_token,
        )
    )
    return CasePage(cases=[CaseRead.from_proto(c) for c in response.cases], next_page_token=response.next_page_token or None)
