"""The public REST API's request and response bodies, and their translation to and from protos."""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import BaseModel, Field, create_model

from libs.errors import FieldViolation
from reviewguard.alerting.v1 import alert_pb2
from reviewguard.ingest.v1 import review_pb2
from reviewguard.nlp.v1 import analysis_pb2
from reviewguard.resolution.v1 import case_pb2
from services.gateway.edge import IsoDatetime, RequestModel
from services.gateway.proto_json import omitted_when_unset


class ReviewCreate(RequestModel):
    """A review as a platform shows it. Unknown fields are refused, so typos do not pass silently."""

    platform: str = Field(examples=["amazon"], description="amazon, ebay, shopify, walmart, aliexpress, ...")
    marketplace: str = Field(examples=["DE"], description="marketplace or country code")
    external_id: str = Field(examples=["R2XK9QZ1"], description="the platform's id of the review")
    product_id: str = Field(examples=["B0CHX1W1XY"], description="SKU or ASIN")
    rating: int = Field(ge=1, le=5, examples=[1])
    title: str = Field(examples=["Kaputt angekommen"])
    body: str = Field(examples=["Das Gerät kam beschädigt an und funktioniert nicht."])
    posted_at: IsoDatetime = Field(examples=["2026-11-20T09:30:00+01:00"], description="with a time zone")
    store_id: str = ""
    product_line: str = ""
    order_id: str = ""
    reviewer_id: str = ""
    reviewer_name: str = ""
    language: str = Field(default="", description="language the platform declares, if any")
    verified_purchase: bool = False
    media_urls: list[str] = Field(default_factory=list)
    reply_state: str = ""
    competitor: bool = Field(default=False, description="a competitor's review: analysed, never alerted on")

    def to_proto(self) -> review_pb2.Review:
        review = review_pb2.Review(
            platform=self.platform,
            marketplace=self.marketplace,
            external_id=self.external_id,
            product_id=self.product_id,
            rating=self.rating,
            title=self.title,
            body=self.body,
            store_id=self.store_id,
            product_line=self.product_line,
            order_id=self.order_id,
            reviewer=review_pb2.Reviewer(id=self.reviewer_id, name=self.reviewer_name),
            language=self.language,
            verified_purchase=self.verified_purchase,
            media_urls=self.media_urls,
            reply_state=self.reply_state,
            competitor=self.competitor,
        )
        review.posted_at.FromDatetime(self.posted_at.astimezone(timezone.utc))
        return review


class ReviewBatch(RequestModel):
    reviews: list[ReviewCreate] = Field(min_length=1)

    def duplicates(self) -> list[FieldViolation]:
        """A violation per review that repeats an earlier one in the batch.

        A review is the same review when its platform and external id are (the ingest service's
        key, per tenant, with the id trimmed); storing the batch would keep only one of them.
        """
        first: dict[tuple[str, str], int] = {}
        found = []
        for i, review in enumerate(self.reviews):
            seen = first.setdefault((review.platform, review.external_id.strip()), i)
            if seen != i:
                found.append(FieldViolation(
                    f"reviews[{i}].external_id", f"duplicates reviews[{seen}].external_id (same platform and external_id in one batch)"
                ))  # fmt: skip
        return found


class Accepted(BaseModel):
    accepted: int
    ids: list[str]


def _ts(ts) -> datetime | None:
    return ts.ToDatetime(tzinfo=timezone.utc) if ts.seconds or ts.nanos else None


class RiskTermRead(BaseModel):
    term: str
    category: str
    language: str


class TranslationRead(BaseModel):
    text: str = Field(description="empty until done; the review's own title and body are never replaced")
    source_language: str
    target_language: str
    provider: str
    status: str = Field(description="pending, done or failed")
    error: str


class AnalysisRead(BaseModel):
    language: str
    language_confidence: float
    risk_terms: list[RiskTermRead]
    malicious_candidate: bool = Field(description="three or more risk terms (SPEC §3): angry words, not evidence")
    malicious: bool = Field(False, description="evidence of an attack: near-identical reviews, a competitor named")
    malicious_reasons: list[str] = Field(default_factory=list)
    duplicate_cluster_id: str = Field("", description="the near-duplicate cluster (its earliest member), if any")
    duplicate_cluster_size: int = 0
    predicted_stars: int | None
    star_probs: list[float]
    negative_score: float | None
    aspects: list[str]
    suspicion: float
    suspicion_reasons: list[str]
    analyzer_version: str
    analyzed_at: datetime | None
    translation: TranslationRead | None = Field(
        default=None, description="machine translation into the tenant's working language, when turned on"
    )

    @classmethod
    def from_proto(cls, a: analysis_pb2.Analysis) -> "AnalysisRead":
        return cls(
            language=a.language,
            language_confidence=round(a.language_confidence, 4),
            risk_terms=[RiskTermRead(term=t.term, category=t.category, language=t.language) for t in a.risk_terms],
            malicious_candidate=a.malicious_candidate,
            malicious=a.malicious,
            malicious_reasons=list(a.malicious_reasons),
            duplicate_cluster_id=a.duplicate_cluster_id,
            duplicate_cluster_size=a.duplicate_cluster_size,
            predicted_stars=a.predicted_stars if a.HasField("predicted_stars") else None,
            star_probs=[round(p, 4) for p in a.star_probs],
            negative_score=round(a.negative_score, 4) if a.HasField("negative_score") else None,
            aspects=list(a.aspects),
            suspicion=round(a.suspicion, 4),
            suspicion_reasons=list(a.suspicion_reasons),
            analyzer_version=a.analyzer_version,
            analyzed_at=_ts(a.analyzed_at),
            translation=TranslationRead(
                text=a.translation.text, source_language=a.translation.source_language,
                target_language=a.translation.target_language, provider=a.translation.provider,
                status=a.translation.status, error=a.translation.error,
            ) if a.HasField("translation") else None,
        )


class ReviewRead(BaseModel):
    id: str
    platform: str
    marketplace: str
    store_id: str
    external_id: str
    product_id: str
    product_line: str
    order_id: str
    reviewer_id: str
    reviewer_name: str
    rating: int
    title: str
    body: str
    language: str
    posted_at: datetime | None
    captured_at: datetime | None
    verified_purchase: bool
    media_urls: list[str]
    reply_state: str
    competitor: bool
    version: int
    history: bool = Field(
        default=False,
        description="captured as history (an import or backfill not marked live, or posted long before capture): "
        "analysed and counted, but it opens no alert or case by itself",
    )
    analysis: AnalysisRead | None = Field(description="null until the NLP service has analysed the review")

    @classmethod
    def from_proto(cls, r: review_pb2.Review, analysis: analysis_pb2.Analysis | None) -> "ReviewRead":
        return cls(
            id=r.id,
            platform=r.platform,
            marketplace=r.marketplace,
            store_id=r.store_id,
            external_id=r.external_id,
            product_id=r.product_id,
            product_line=r.product_line,
            order_id=r.order_id,
            reviewer_id=r.reviewer.id,
            reviewer_name=r.reviewer.name,
            rating=r.rating,
            title=r.title,
            body=r.body,
            language=r.language,
            posted_at=_ts(r.posted_at),
            captured_at=_ts(r.captured_at),
            verified_purchase=r.verified_purchase,
            media_urls=list(r.media_urls),
            reply_state=r.reply_state,
            competitor=r.competitor,
            version=r.version,
            history=r.history,
            analysis=AnalysisRead.from_proto(analysis) if analysis is not None else None,
        )


def _enum_name(enum, value: int, prefix: str) -> str:
    return enum.Name(value).removeprefix(prefix).lower()


class AlertRead(BaseModel):
    id: str
    rule: str
    severity: str = Field(examples=["high"])
    status: str = Field(examples=["firing"])
    review_id: str | None
    platform: str
    marketplace: str
    product_id: str
    reasons: list[str]
    labels: dict[str, str]
    fired_at: datetime | None
    scope: str = Field(examples=["product:B0KETTLE01"])
    summary: str
    day: str | None = Field(description="the marketplace-local day a trend alert is about")
    case_id: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None

    @classmethod
    def from_proto(cls, a: alert_pb2.Alert) -> "AlertRead":
        return cls(
            id=a.id,
            rule=a.rule,
            severity=_enum_name(alert_pb2.Severity, a.severity, "SEVERITY_"),
            status=_enum_name(alert_pb2.AlertStatus, a.status, "ALERT_STATUS_"),
            review_id=a.review_id or None,
            platform=a.platform,
            marketplace=a.marketplace,
            product_id=a.product_id,
            reasons=list(a.reasons),
            labels=dict(a.labels),
            fired_at=_ts(a.fired_at),
            scope=a.scope,
            summary=a.summary,
            day=a.day or None,
            case_id=a.case_id or None,
            acknowledged_at=_ts(a.acknowledged_at),
            acknowledged_by=a.acknowledged_by or None,
            resolved_at=_ts(a.resolved_at),
        )


def page_of(item: type[BaseModel], name: str) -> type[BaseModel]:
    """The response of a list: one page of `item`s and the token of the next (README, "Paging")."""
    return create_model(
        name, __doc__="One page; pass `next_page_token` back as `page_token` (with the same filters) for the next.",
        items=(list[item], ...), next_page_token=(str | None, Field(description="null on the last page")),
    )


class AlertPage(BaseModel):
    """One page; pass `next_page_token` back as `page_token` (with the same filters) for the next."""

    items: list[AlertRead]
    next_page_token: str | None = Field(description="null on the last page")


class AlertAction(RequestModel):
    actor: str = Field(default="", max_length=200, description="who acts, kept in the alert's history")


ALERT_STATUS_BY_NAME = {
    name.removeprefix("ALERT_STATUS_").lower(): value
    for name, value in alert_pb2.AlertStatus.items()
    if value != alert_pb2.ALERT_STATUS_UNSPECIFIED
}


class CaseRead(BaseModel):
    id: str
    alert_id: str
    review_id: str | None
    severity: str
    status: str
    owner: str | None
    product_id: str
    marketplace: str
    opened_at: datetime | None
    due_at: datetime | None
    first_response_due_at: datetime | None

    @classmethod
    def from_proto(cls, c: case_pb2.Case) -> "CaseRead":
        return cls(
            id=c.id,
            alert_id=c.alert_id,
            review_id=c.review_id or None,
            severity=_enum_name(alert_pb2.Severity, c.severity, "SEVERITY_"),
            status=_enum_name(case_pb2.CaseStatus, c.status, "CASE_STATUS_"),
            owner=c.owner or None,
            product_id=c.product_id,
            marketplace=c.marketplace,
            opened_at=_ts(c.opened_at),
            due_at=_ts(c.due_at),
            first_response_due_at=_ts(c.first_response_due_at),
        )


class CasePage(BaseModel):
    cases: list[CaseRead]
    next_page_token: str | None


CASE_STATUS_BY_NAME = {
    name.removeprefix("CASE_STATUS_").lower(): value
    for name, value in case_pb2.CaseStatus.items()
    if value != case_pb2.CASE_STATUS_UNSPECIFIED
}


class FieldError(BaseModel):
    field: str = Field(examples=["reviews[0].rating"], description="where the bad value is: a body path, a query or path parameter")
    message: str = Field(examples=["Input should be less than or equal to 5"])


class ErrorBody(BaseModel):
    """Every error the API answers with (4xx and 5xx): what went wrong, per field when fields are at fault."""

    detail: str = Field(examples=["1 invalid field(s); nothing was stored"])
    errors: list[FieldError] | None = Field(
        None, description="the fields at fault (422, and some 404 or 409)", json_schema_extra=omitted_when_unset
    )
    request_id: str | None = Field(
        None, description="500 only: quote it to find the failure in the logs", json_schema_extra=omitted_when_unset
    )


def _error(description: str, retry_after: bool = False) -> dict:
    answer: dict = {"model": ErrorBody, "description": description}
    if retry_after:
        answer["headers"] = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}}
    return answer


# NOTE: the one list of error answers, applied to every router (`APIRouter(responses=ERROR_RESPONSES)`);
# documenting 422 here also replaces FastAPI's HTTPValidationError, which is not the body sent.
ERROR_RESPONSES: dict[int | str, dict] = {
    400: _error("the body is not valid JSON, or a page_token the API did not issue"),
    401: _error("missing, unknown or revoked API key, or no live session (a webhook: bad or missing signature)"),
    403: _error("the key's scopes, the person's role or team, or a missing CSRF token do not allow this"),
    404: _error("no such resource for this tenant"),
    409: _error("conflicts with the resource's current state"),
    413: _error("request body over the size limit"),
    422: _error("invalid input, naming each field at fault; nothing changed"),
    429: _error("rate limit or daily quota spent", retry_after=True),
    500: _error("internal error; carries a request_id"),
    502: _error("a backend service failed"),
    503: _error("a dependency is unavailable; retry after Retry-After seconds", retry_after=True),
}
