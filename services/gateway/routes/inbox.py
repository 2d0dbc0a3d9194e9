"""GET /v1/reviews: the review inbox, every filter, full-text search in any language, cursor pages."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from reviewguard.reporting.v1 import reporting_pb2
from services.gateway.dependencies import BackendsDep, TenantDep
from services.gateway.schemas import ERROR_RESPONSES

router = APIRouter(tags=["inbox"], responses=ERROR_RESPONSES)

Sentiment = Literal["negative", "neutral", "positive"]
Sort = Literal["posted_at", "-posted_at", "rating", "-rating", "negative_score", "-negative_score"]
CaseStatus = Literal[
    "new", "assigned", "resolved", "contacted", "awaiting_customer", "compensation_offered", "appealed",
    "appeal_accepted", "appeal_rejected", "escalated",
]
Risk = Literal["any", "safety", "fraud", "legal", "health", "damage"]
Many = Annotated[list[str], Query(description="repeat to match any of several values")]


class InboxReviewRead(BaseModel):
    id: str
    platform: str
    marketplace: str
    store_id: str
    product_id: str
    product_line: str
    language: str = Field(description="the analysed language (ISO 639-1), else the platform's")
    rating: int
    title: str
    body: str
    translation: str = Field(description="machine translation into the tenant's language; empty when none")
    sentiment: Sentiment
    negative_score: float | None
    aspects: list[str]
    risk_categories: list[str]
    malicious: bool
    competitor: bool
    posted_at: datetime
    case_id: str | None
    case_status: str | None

    @classmethod
    def from_proto(cls, r: reporting_pb2.InboxReview) -> "InboxReviewRead":
        return cls(
            id=r.id, platform=r.platform, marketplace=r.marketplace, store_id=r.store_id, product_id=r.product_id,
            product_line=r.product_line, language=r.language, rating=r.rating, title=r.title, body=r.body,
            translation=r.translation, sentiment=r.sentiment,
            negative_score=r.negative_score if r.HasField("negative_score") else None, aspects=list(r.aspects),
            risk_categories=list(r.risk_categories), malicious=r.malicious, competitor=r.competitor,
            posted_at=r.posted_at.ToDatetime(tzinfo=timezone.utc), case_id=r.case_id or None, case_status=r.case_status or None,
        )


class InboxPage(BaseModel):
    """One page; pass `next_page_token` back as `page_token` (with the same filters) for the next."""

    items: list[InboxReviewRead]
    next_page_token: str | None


@router.get("/v1/reviews", response_model=InboxPage, responses={400: ERROR_RESPONSES[400] | {"description": "page_token altered, or issued for another query"}})
async def search_reviews(
    tenant: TenantDep,
    backends: BackendsDep,
    platform: Many = [],  # noqa: B006 - FastAPI copies query defaults
    marketplace: Many = [],  # noqa: B006
    store_id: Many = [],  # noqa: B006
    product_id: Many = [],  # noqa: B006
    product_line: Many = [],  # noqa: B006
    language: Many = [],  # noqa: B006
    rating_gte: Annotated[int | None, Query(ge=1, le=5)] = None,
    rating_lte: Annotated[int | None, Query(ge=1, le=5)] = None,
    sentiment: Sentiment | None = None,
    aspect: str = "",
    risk: Annotated[Risk | None, Query(description="a risk-lexicon category, or any")] = None,
    malicious: bool | None = None,
    competitor: bool | None = None,
    has_case: bool | None = None,
    case_status: CaseStatus | None = None,
    posted_from: Annotated[AwareDatetime | None, Query(description="inclusive, with a time zone")] = None,
    posted_to: Annotated[AwareDatetime | None, Query(description="exclusive, with a time zone")] = None,
    q: Annotated[str, Query(max_length=200, description="words or a phrase in title, body or translation; any script")] = "",
    sort: Sort = "-posted_at",
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
):
    """Searches the tenant's reviews, newest first by default. Filters combine with AND; a list
    filter repeated (`marketplace=DE&marketplace=FR`) matches any of its values."""
    request = reporting_pb2.SearchReviewsRequest(
        tenant_id=str(tenant), platform=platform, marketplace=marketplace, store_id=store_id, product_id=product_id,
        product_line=product_line, language=language, rating_gte=rating_gte or 0, rating_lte=rating_lte or 0,
        sentiment=sentiment or "", aspect=aspect, risk=risk or "", case_status=case_status or "", q=q, sort=sort,
        page_size=page_size, page_token=page_token,
    )
    for name, value in (("malicious", malicious), ("competitor", competitor), ("has_case", has_case)):
        if value is not None:
            setattr(request, name, value)
    for name, value in (("posted_from", posted_from), ("posted_to", posted_to)):
        if value is not None:
            getattr(request, name).FromDatetime(value.astimezone(timezone.utc))
    # NOTE: a page token that fails its signature is a 400 (the app's error handler, for every list).
    response = await backends.reporting.SearchReviews(request)
    return InboxPage(items=[InboxReviewRead.from_proto(r) for r in response.items], next_page_token=response.next_page_token or None)
