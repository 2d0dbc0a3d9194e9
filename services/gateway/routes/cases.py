"""/v1/cases: the tenant's cases, newest first, and everything done on one (SPEC §5)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response

from libs.errors import FieldViolation, InvalidArgument
from reviewguard.resolution.v1 import resolution_pb2
from services.gateway.dependencies import BackendsDep, CaseMarketsDep, PageDep, TenantDep
from services.gateway.routes.resolution_schemas import (
    REASON_BY_NAME,
    AppealCreate,
    AppealRead,
    CompensationRecommendationRead,
    EvidenceLinkPage,
    EvidenceLinkRead,
    EvidenceVerificationRead,
    OfferPage,
    OfferRead,
    ReplyPage,
    ReplyRead,
    CaseDetail,
    CaseDetailPage,
    CaseEventPage,
    CaseEventRead,
    CaseUpdate,
    EvidenceCreate,
    OfferApproval,
    OfferCreate,
    OfferDecision,
    OrderFacts,
    RecommendationCreate,
    ReplyCreate,
    ReplyEdit,
    TransitionCreate,
    as_dict,
)
from services.gateway.schemas import CASE_STATUS_BY_NAME, ERROR_RESPONSES

router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=ERROR_RESPONSES)

CaseStatusName = Literal[tuple(CASE_STATUS_BY_NAME)]  # type: ignore[valid-type]


@router.get("", response_model=CaseDetailPage)
async def list_cases(
    tenant: TenantDep,
    backends: BackendsDep,
    markets: CaseMarketsDep,
    review_id: uuid.UUID | None = None,
    status: CaseStatusName | None = None,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
    page_token: str = "",
) -> CaseDetailPage:
    """Newest first. An agent sees its team's markets only, so one of its pages may hold fewer than
    `page_size` cases (even none) while `next_page_token` says more follow."""
    response = await backends.resolution.ListCases(
        resolution_pb2.ListCasesRequest(
            tenant_id=str(tenant),
            review_id=str(review_id) if review_id else "",
            status=CASE_STATUS_BY_NAME[status] if status else 0,
            page_size=page_size,
            page_token=page_token,
        )
    )
    cases = [c for c in response.cases if markets is None or c.marketplace.upper() in markets]
    return CaseDetailPage(items=[CaseDetail.from_proto(c) for c in cases], next_page_token=response.next_page_token or None)


async def _detail(backends, tenant: uuid.UUID, case) -> CaseDetail:
    """The case with its order facts, which travel as the trail's `order_linked` entries until Case carries them."""
    events = await backends.resolution.ListCaseEvents(resolution_pb2.ListCaseEventsRequest(tenant_id=str(tenant), case_id=case.id))
    return CaseDetail.from_proto(case, order=OrderFacts.from_events(events.events))


@router.get("/{case_id}", response_model=CaseDetail)
async def get_case(case_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep) -> CaseDetail:
    """The case, with its order and customer (value, currency, fulfilment, annual spend, VIP) once known."""
    case = await backends.resolution.GetCase(resolution_pb2.GetCaseRequest(tenant_id=str(tenant), case_id=str(case_id)))
    return await _detail(backends, tenant, case)


@router.patch("/{case_id}", response_model=CaseDetail)
async def update_case(case_id: uuid.UUID, body: CaseUpdate, tenant: TenantDep, backends: BackendsDep) -> CaseDetail:
    """Records the buyer's language, the issue type, the customer and the order of a case (a known order links at once)."""
    case = await backends.resolution.UpdateCase(
        resolution_pb2.UpdateCaseRequest(tenant_id=str(tenant), case_id=str(case_id), **body.model_dump())
    )
    return await _detail(backends, tenant, case)


@router.post("/{case_id}/transitions", response_model=CaseDetail)
async def transition_case(case_id: uuid.UUID, body: TransitionCreate, tenant: TenantDep, backends: BackendsDep) -> CaseDetail:
    """Moves the case along its state machine; a move it does not allow is 409 naming the allowed ones."""
    if body.status not in CASE_STATUS_BY_NAME:
        raise InvalidArgument(f"unknown status {body.status!r}", [FieldViolation("status", ", ".join(CASE_STATUS_BY_NAME))])
    case = await backends.resolution.TransitionCase(
        resolution_pb2.TransitionCaseRequest(
            tenant_id=str(tenant), case_id=str(case_id), to_status=CASE_STATUS_BY_NAME[body.status],
            reason=REASON_BY_NAME[body.reason] if body.reason else 0, actor=body.actor, note=body.note,
        )
    )
    return CaseDetail.from_proto(case)


@router.get("/{case_id}/events", response_model=CaseEventPage)
async def case_events(case_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep, page: PageDep) -> CaseEventPage:
    """The case's audit trail, oldest first."""
    response = await backends.resolution.ListCaseEvents(resolution_pb2.ListCaseEventsRequest(tenant_id=str(tenant), case_id=str(case_id)))
    items, next_token = page.of(response.events)
    return CaseEventPage(items=[CaseEventRead.from_proto(e) for e in items], next_page_token=next_token)


@router.post("/{case_id}/assign", response_model=CaseDetail)
async def assign_case(case_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep) -> CaseDetail:
    """(Re)assigns the case to the best available agent of its market now."""
    case = await backends.resolution.AssignCase(resolution_pb2.AssignCaseRequest(tenant_id=str(tenant), case_id=str(case_id)))
    return CaseDetail.from_proto(case)


@router.post("/{case_id}/replies", status_code=201, response_model=ReplyRead)
async def send_reply(case_id: uuid.UUID, body: ReplyCreate, tenant: TenantDep, backends: BackendsDep) -> ReplyRead:
    """Sends a reply (text, or a template scenario in a language); 422 names the phrase and rule a non-compliant one breaks.

    With `publish` the reply also goes to the review's platform once it passed the check (`queued`, then
    `published` with the platform's id and time, or `failed`); `manual` where the platform has no reply API.
    A reply longer than the platform takes (eBay: 80 characters) is a 422 naming `text`, and nothing is queued."""
    reply = await backends.resolution.SendReply(
        resolution_pb2.SendReplyRequest(tenant_id=str(tenant), case_id=str(case_id), **body.model_dump())
    )
    return ReplyRead.from_proto(reply)


@router.get("/{case_id}/replies", response_model=ReplyPage)
async def list_replies(case_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep, page: PageDep) -> ReplyPage:
    """The case's replies, each with its publish state on the platform."""
    response = await backends.resolution.ListReplies(resolution_pb2.ListRepliesRequest(tenant_id=str(tenant), case_id=str(case_id)))
    items, next_token = page.of(response.replies)
    return ReplyPage(items=[ReplyRead.from_proto(r) for r in items], next_page_token=next_token)


@router.patch("/{case_id}/replies/{reply_id}", response_model=ReplyRead)
async def edit_reply(case_id: uuid.UUID, reply_id: uuid.UUID, body: ReplyEdit, tenant: TenantDep, backends: BackendsDep) -> ReplyRead:
    """Changes a reply's text (compliance-checked again); one queued or on the platform is replaced there too."""
    reply = await backends.resolution.EditReply(
        resolution_pb2.EditReplyRequest(tenant_id=str(tenant), case_id=str(case_id), reply_id=str(reply_id), **body.model_dump())
    )
    return ReplyRead.from_proto(reply)


@router.delete("/{case_id}/replies/{reply_id}", response_model=ReplyRead)
async def delete_reply(case_id: uuid.UUID, reply_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep) -> ReplyRead:
    """Withdraws a reply; one queued or on the platform is deleted there too (`deleted` true)."""
    reply = await backends.resolution.DeleteReply(
        resolution_pb2.DeleteReplyRequest(tenant_id=str(tenant), case_id=str(case_id), reply_id=str(reply_id))
    )
    return ReplyRead.from_proto(reply)


@router.post("/{case_id}/compensation/recommendation", response_model=CompensationRecommendationRead, response_model_exclude_unset=True)
async def recommend_compensation(case_id: uuid.UUID, body: RecommendationCreate, tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """The compensation ladder's best offer for the case, with the candidates it beat (150% cap applied)."""
    recommendation = await backends.resolution.RecommendCompensation(
        resolution_pb2.RecommendCompensationRequest(tenant_id=str(tenant), case_id=str(case_id), **body.model_dump())
    )
    return as_dict(recommendation)


@router.post("/{case_id}/offers", status_code=201, response_model=OfferRead, response_model_exclude_unset=True)
async def record_offer(case_id: uuid.UUID, body: OfferCreate, tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """Records an offer with its cost. Refused (422, naming the cap) when it, or the case's offers together, exceed
    150% of the order value (converted with the policy's `fx_usd_rates`), or, without a known order value, when a
    cash offer exceeds `no_order_cash_ceiling_usd`. Above the agent's limit it is `pending_approval`."""
    offer = await backends.resolution.RecordOffer(
        resolution_pb2.RecordOfferRequest(tenant_id=str(tenant), case_id=str(case_id), **body.model_dump())
    )
    return as_dict(offer)


@router.get("/{case_id}/offers", response_model=OfferPage, response_model_exclude_unset=True)
async def list_offers(case_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep, page: PageDep) -> dict[str, Any]:
    response = await backends.resolution.ListOffers(resolution_pb2.ListOffersRequest(tenant_id=str(tenant), case_id=str(case_id)))
    items, next_token = page.of(response.offers)
    return {"items": [as_dict(o) for o in items], "next_page_token": next_token}


@router.post("/{case_id}/offers/{offer_id}/approve", response_model=OfferRead, response_model_exclude_unset=True)
async def approve_offer(case_id: uuid.UUID, offer_id: uuid.UUID, body: OfferApproval, tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    offer = await backends.resolution.ApproveOffer(
        resolution_pb2.ApproveOfferRequest(tenant_id=str(tenant), case_id=str(case_id), offer_id=str(offer_id), approver=body.approver)
    )
    return as_dict(offer)


@router.post("/{case_id}/offers/{offer_id}/decision", response_model=OfferRead, response_model_exclude_unset=True)
async def decide_offer(case_id: uuid.UUID, offer_id: uuid.UUID, body: OfferDecision, tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """Records the buyer's answer to an offer that is out: accepted, or declined (the case then awaits the
    customer again and a new offer may be made)."""
    offer = await backends.resolution.DecideOffer(
        resolution_pb2.DecideOfferRequest(tenant_id=str(tenant), case_id=str(case_id), offer_id=str(offer_id), **body.model_dump())
    )
    return as_dict(offer)


@router.get("/{case_id}/evidence/pack", response_class=Response,
            responses={200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}, "description": "letters/, items/, chain.json, verification.json, manifest.json"}})
async def evidence_pack(case_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep) -> Response:
    """The case's evidence pack as a ZIP: every appeal letter, each item byte for byte, the chain with its
    hashes, the verification result and a manifest with the SHA-256 of every file."""
    pack = await backends.resolution.GetEvidencePack(resolution_pb2.GetEvidencePackRequest(tenant_id=str(tenant), case_id=str(case_id)))
    return Response(pack.zip, media_type="application/zip", headers={"Content-Disposition": f'attachment; filename="{pack.filename}"'})


@router.post("/{case_id}/appeal", status_code=201, response_model=AppealRead, response_model_exclude_unset=True)
async def file_appeal(case_id: uuid.UUID, body: AppealCreate, tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """Checks eligibility against the platform's clauses and files a three-part letter in the marketplace's language."""
    appeal = await backends.resolution.FileAppeal(
        resolution_pb2.FileAppealRequest(tenant_id=str(tenant), case_id=str(case_id), **body.model_dump())
    )
    return as_dict(appeal)


@router.post("/{case_id}/evidence", status_code=201, response_model=EvidenceLinkRead, response_model_exclude_unset=True)
async def add_evidence(case_id: uuid.UUID, body: EvidenceCreate, tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """Appends evidence (a JSON `content` or `content_base64` bytes) to the case's tamper-evident chain."""
    request = resolution_pb2.AddEvidenceRequest(
        tenant_id=str(tenant), case_id=str(case_id), kind=body.kind, source=body.source, description=body.description, metadata=body.metadata
    )
    if body.content_base64:
        try:
            request.content_bytes = base64.b64decode(body.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidArgument("content_base64 is not base64", [FieldViolation("content_base64", "not base64")]) from None
    elif body.content is not None:
        request.content_json = json.dumps(body.content, ensure_ascii=False)
    if body.captured_at is not None:
        request.captured_at.FromDatetime(body.captured_at.astimezone(timezone.utc))
    return as_dict(await backends.resolution.AddEvidence(request))


@router.get("/{case_id}/evidence", response_model=EvidenceLinkPage, response_model_exclude_unset=True)
async def list_evidence(case_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep, page: PageDep) -> dict[str, Any]:
    response = await backends.resolution.ListEvidence(resolution_pb2.ListEvidenceRequest(tenant_id=str(tenant), case_id=str(case_id)))
    items, next_token = page.of(response.links)
    return {"items": [as_dict(link) for link in items], "next_page_token": next_token}


@router.get("/{case_id}/evidence/verify", response_model=EvidenceVerificationRead, response_model_exclude_unset=True)
async def verify_evidence(case_id: uuid.UUID, tenant: TenantDep, backends: BackendsDep) -> dict[str, Any]:
    """Proves the chain intact, or names the first broken link (`broken_at`, `reason`); -1 when intact."""
    return as_dict(await backends.resolution.VerifyEvidence(resolution_pb2.VerifyEvidenceRequest(tenant_id=str(tenant), case_id=str(case_id))))
