"""Request and response bodies of the resolution API (cases workflow, teams, policy, KPIs, requests, knowledge)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from google.protobuf import json_format
from google.protobuf.message import Message
from pydantic import BaseModel, Field

from reviewguard.alerting.v1 import alert_pb2
from reviewguard.resolution.v1 import case_pb2, resolution_pb2
from services.gateway.edge import IsoDatetime, RequestModel
from services.gateway.schemas import page_of
from services.gateway.proto_json import proto_model

REASON_BY_NAME = {
    name.removeprefix("RESOLUTION_REASON_").lower(): value
    for name, value in case_pb2.ResolutionReason.items()
    if value != case_pb2.RESOLUTION_REASON_UNSPECIFIED
}


def _ts(ts) -> datetime | None:
    return ts.ToDatetime(tzinfo=timezone.utc) if ts.seconds or ts.nanos else None


def _name(enum, value: int, prefix: str) -> str | None:
    return enum.Name(value).removeprefix(prefix).lower() if value else None


def as_dict(message: Message) -> dict[str, Any]:
    """A response message as JSON with its proto field names and every field present."""
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True, preserving_proto_field_name=True)


class OrderFacts(BaseModel):
    """The order and customer behind a case, from the review, an order posted with /v1/orders, or the agent."""

    order_id: str
    customer_id: str | None
    value: str | None = Field(examples=["49.90"])
    currency: str | None = Field(examples=["EUR"])
    fulfilment: str | None = Field(examples=["platform"])
    annual_spend_usd: str | None
    vip: bool = Field(description="annual spend above the tenant's VIP threshold (500 USD by default)")

    @classmethod
    def from_events(cls, events) -> "OrderFacts | None":
        """The latest `order_linked` entry of a case's trail (the resolution service records one per change)."""
        linked = [e for e in events if e.kind == "order_linked"]
        return cls(**json.loads(linked[-1].detail_json)) if linked else None


class CaseDetail(BaseModel):
    id: str
    alert_id: str
    review_id: str | None
    severity: str
    status: str = Field(examples=["awaiting_customer"])
    resolution_reason: str | None = Field(examples=["customer_satisfied"])
    owner: str | None
    owner_agent_id: str | None
    team_id: str | None
    platform: str
    marketplace: str
    language: str
    issue_type: str | None
    product_id: str
    customer_id: str | None
    order_id: str | None
    summary: str
    opened_at: datetime | None
    due_at: datetime | None
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime | None
    order: OrderFacts | None = Field(default=None, description="in GET /v1/cases/{id} and PATCH; null in lists")

    @classmethod
    def from_proto(cls, c: case_pb2.Case, order: OrderFacts | None = None) -> "CaseDetail":
        return cls(
            id=c.id,
            alert_id=c.alert_id,
            review_id=c.review_id or None,
            severity=_name(alert_pb2.Severity, c.severity, "SEVERITY_") or "unspecified",
            status=_name(case_pb2.CaseStatus, c.status, "CASE_STATUS_") or "unspecified",
            resolution_reason=_name(case_pb2.ResolutionReason, c.resolution_reason, "RESOLUTION_REASON_"),
            owner=c.owner or None,
            owner_agent_id=c.owner_agent_id or None,
            team_id=c.team_id or None,
            platform=c.platform,
            marketplace=c.marketplace,
            language=c.language,
            issue_type=c.issue_type or None,
            product_id=c.product_id,
            customer_id=c.customer_id or None,
            order_id=c.order_id or None,
            summary=c.summary,
            opened_at=_ts(c.opened_at),
            due_at=_ts(c.due_at),
            first_response_due_at=_ts(c.first_response_due_at),
            first_response_at=_ts(c.first_response_at),
            resolved_at=_ts(c.resolved_at),
            updated_at=_ts(c.updated_at),
            order=order,
        )


class CaseDetailPage(BaseModel):
    """One page; pass `next_page_token` back as `page_token` (with the same filters) for the next."""

    items: list[CaseDetail]
    next_page_token: str | None = Field(description="null on the last page")


class CaseEventRead(BaseModel):
    id: str
    kind: str = Field(examples=["transition"])
    from_status: str | None
    to_status: str | None
    actor: str
    detail: dict[str, Any]
    at: datetime | None

    @classmethod
    def from_proto(cls, e: case_pb2.CaseEvent) -> "CaseEventRead":
        return cls(
            id=e.id,
            kind=e.kind,
            from_status=_name(case_pb2.CaseStatus, e.from_status, "CASE_STATUS_"),
            to_status=_name(case_pb2.CaseStatus, e.to_status, "CASE_STATUS_"),
            actor=e.actor,
            detail=json.loads(e.detail_json or "{}"),
            at=_ts(e.at),
        )


class _Body(RequestModel):
    """Request bodies of the resolution routes."""


class CaseUpdate(_Body):
    language: str = Field(default="", examples=["de"])
    issue_type: str = Field(default="", examples=["damaged"], description="delay, quality, damaged, wrong_item, service, description_mismatch")
    customer_id: str = ""
    order_id: str = ""
    platform: str = ""
    actor: str = ""


class TransitionCreate(_Body):
    status: str = Field(examples=["resolved"])
    reason: Literal[tuple(REASON_BY_NAME)] | None = Field(default=None, description="required when resolving")  # type: ignore[valid-type]
    actor: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=5000)


class ReplyCreate(_Body):
    text: str = Field(default="", max_length=10_000, description="the reply; or give a scenario to render a template")
    scenario: str = Field(default="", examples=["damaged"])
    language: str = Field(default="", examples=["de"])
    placeholders: dict[str, str] = Field(default_factory=dict, examples=[{"buyer_name": "Frau Weber", "product_name": "Wasserkocher", "order_id": "302-1", "seller_name": "Kettle Co."}])
    variant: str = ""
    actor: str = ""
    publish: bool = Field(
        default=False,
        description="also publish it on the review's platform (`manual`, text ready to copy, where the platform has no reply API)",
    )
    private: bool = Field(default=False, description="with publish: a private reply, emailed to the reviewer (Judge.me only)")


class ReplyEdit(_Body):
    text: str = Field(min_length=1, max_length=10_000, description="the new text, compliance-checked again; a published reply is replaced on the platform")
    actor: str = Field(default="", max_length=200)


class ComplianceCheck(_Body):
    text: str = Field(min_length=1, max_length=20_000)
    platform: str = Field(examples=["amazon"])


class RecommendationCreate(_Body):
    issue: Literal["minor", "quality", "damaged", "wrong_item"]
    order_value: str = Field(default="", examples=["89.90"], description="the linked order's value when empty")
    currency: str = Field(default="", examples=["EUR"], description="with order_value")
    annual_spend: str = ""
    cross_border: bool = False
    shipping_paid: str = ""
    duties_paid: str = ""
    reship_cost: str = ""
    usd_rate: str = Field(default="", description="USD per unit of the currency; not needed for USD")


class OfferCreate(_Body):
    option: str = Field(examples=["full_refund"])
    cost: str = Field(examples=["89.90"])
    currency: str = Field(examples=["EUR"])
    usd_rate: str = ""
    detail: str = ""
    actor: str = ""


class OfferApproval(_Body):
    approver: str = Field(min_length=1, max_length=200)


class OfferDecision(_Body):
    decision: Literal["accepted", "declined"] = Field(description="the buyer's answer; a declined offer frees its share of the cap")
    actor: str = Field(default="", max_length=200, examples=["buyer via messages"])


class AppealCreate(_Body):
    facts: list[str] = Field(examples=[["abusive_language"]])
    actions: list[str] = Field(default_factory=list, examples=[["replied_publicly", "contacted_buyer"]])
    seller_name: str = ""
    product_name: str = ""
    language: str = ""
    actor: str = ""


class EvidenceCreate(_Body):
    kind: Literal["order", "delivery_proof", "customs", "message", "listing_snapshot", "file"]
    content: Any = Field(default=None, description="a JSON document")
    content_base64: str = Field(default="", description="or raw bytes, base64-encoded")
    captured_at: IsoDatetime | None = None
    source: str = Field(min_length=1)
    description: str = ""
    metadata: dict[str, str] = Field(default_factory=dict)


class TeamPut(_Body):
    name: str = Field(min_length=1, examples=["DACH"])
    markets: list[str] = Field(min_length=1, examples=[["DE", "AT"]])
    timezone: str = Field(default="", examples=["Europe/Berlin"])
    work_start: str = Field(default="09:00")
    work_end: str = Field(default="18:00")
    work_days: list[Annotated[int, Field(ge=0, le=6)]] = Field(default_factory=lambda: [0, 1, 2, 3, 4], description="0 is Monday")


class AgentPut(_Body):
    name: str = Field(min_length=1)
    team_id: str
    languages: list[str] = Field(default_factory=list, examples=[["de", "en"]])
    skills: list[str] = Field(default_factory=list, examples=[["damaged", "quality"]])
    capacity: int = Field(default=20, ge=1, le=10_000)
    away: bool = False


class AwayUpdate(_Body):
    away: bool


class RatingChange(_Body):
    review_id: str
    old_rating: int = Field(ge=1, le=5)
    new_rating: int = Field(ge=1, le=5)
    changed_at: IsoDatetime | None = None


class OrderCreate(_Body):
    order_id: str = Field(min_length=1, examples=["302-1234567-1234567"])
    platform: str = Field(examples=["amazon"])
    marketplace: str = Field(examples=["DE"])
    fulfilment: Literal["platform", "merchant"]
    customer_id: str = Field(min_length=1)
    language: str = ""
    product_name: str = ""
    value: str = Field(examples=["89.90"])
    currency: str = Field(default="USD")
    annual_spend_usd: str = Field(default="0", description="above 500 is a VIP customer")
    delivered_at: IsoDatetime
    carrier: str = Field(default="", max_length=64, examples=["DHL"], description="the parcel carrier; the reports' carrier dimension")


class OrderBatch(_Body):
    orders: list[OrderCreate] = Field(min_length=1, max_length=1000)


# Responses that are a proto message as `as_dict` writes it (see services.gateway.proto_json):
# their routes set `response_model_exclude_unset=True`, so unset optional fields stay absent.
TeamRead = proto_model(resolution_pb2.Team, "TeamRead")
AgentRead = proto_model(resolution_pb2.Agent, "AgentRead")
RatingChangeRecorded = proto_model(resolution_pb2.RecordRatingChangeResponse, "RatingChangeRecorded")
ComplianceResult = proto_model(resolution_pb2.CheckComplianceResponse, "ComplianceResult")
VariantStatsRead = proto_model(resolution_pb2.VariantStats, "VariantStatsRead")
ReviewRequestRead = proto_model(resolution_pb2.ReviewRequest, "ReviewRequestRead")
OrdersAccepted = proto_model(resolution_pb2.SubmitOrdersResponse, "OrdersAccepted")
KnowledgeEntryRead = proto_model(resolution_pb2.KnowledgeEntry, "KnowledgeEntryRead")
CompensationRecommendationRead = proto_model(resolution_pb2.CompensationRecommendation, "CompensationRecommendationRead")
OfferRead = proto_model(resolution_pb2.Offer, "OfferRead")
AppealRead = proto_model(resolution_pb2.Appeal, "AppealRead")
EvidenceLinkRead = proto_model(resolution_pb2.EvidenceLink, "EvidenceLinkRead")
EvidenceVerificationRead = proto_model(resolution_pb2.EvidenceVerification, "EvidenceVerificationRead")
TeamPage, AgentPage = page_of(TeamRead, "TeamPage"), page_of(AgentRead, "AgentPage")
VariantStatsPage, ReviewRequestPage = page_of(VariantStatsRead, "VariantStatsPage"), page_of(ReviewRequestRead, "ReviewRequestPage")
KnowledgePage, OfferPage = page_of(KnowledgeEntryRead, "KnowledgePage"), page_of(OfferRead, "OfferPage")
EvidenceLinkPage = page_of(EvidenceLinkRead, "EvidenceLinkPage")


class ResolutionPolicyRead(BaseModel):
    version: int
    policy: dict[str, Any] = Field(description="SLA hours and clock, warning lead, approval threshold, ...")


class KpisRead(BaseModel):
    """`resolution.v1.Kpis`, with a rate over nothing null (named in `no_data`) instead of a perfect score."""

    cases: int
    response_eligible: int = Field(description="cases whose first-response window has passed or that were answered")
    responded_within_24h: int
    response_rate_24h: float | None
    response_rate_target: float
    response_rate_met: bool | None
    median_first_response_seconds: float | None
    resolved: int
    resolution_rate: float | None
    reviews_handled: int = Field(description="cases with a review whose rating rose after the case was opened")
    ratings_recovered: int
    rating_recovery_rate: float | None
    no_data: list[Literal["response_rate_24h", "resolution_rate", "median_first_response_seconds", "rating_recovery_rate"]]
    status: Literal["met", "missed", "no data"]


PublishState = Literal["not_requested", "queued", "published", "manual", "failed"]


class ReplyRead(BaseModel):
    """A reply of a case and where it stands on the review's platform."""

    id: str
    case_id: str
    text: str
    scenario: str
    language: str
    variant: str
    actor: str
    sent_at: datetime | None
    responded: bool
    resolved: bool
    publish_state: PublishState = Field(
        description="not_requested (kept in ReviewGuard), queued (on its way to the platform), published, "
        "manual (the platform has no reply API: copy `text` by hand) or failed (see `publish_error`)"
    )
    platform_reply_id: str | None = Field(description="the platform's id of the reply once published")
    published_at: datetime | None = Field(description="when the platform took the reply (or its latest edit or deletion)")
    publish_error: str | None = Field(description="why the platform refused it, when failed")
    revision: int = Field(description="rises with every edit or deletion sent to the platform")
    deleted: bool
    private: bool

    @classmethod
    def from_proto(cls, r: resolution_pb2.Reply) -> "ReplyRead":
        return cls(
            id=r.id, case_id=r.case_id, text=r.text, scenario=r.scenario, language=r.language, variant=r.variant, actor=r.actor,
            sent_at=_ts(r.sent_at), responded=r.responded, resolved=r.resolved, publish_state=r.publish_state or "not_requested",
            platform_reply_id=r.platform_reply_id or None, published_at=_ts(r.published_at), publish_error=r.publish_error or None,
            revision=r.revision, deleted=r.deleted, private=r.private,
        )


CaseEventPage, ReplyPage = page_of(CaseEventRead, "CaseEventPage"), page_of(ReplyRead, "ReplyPage")
