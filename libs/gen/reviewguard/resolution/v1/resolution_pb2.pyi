import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from reviewguard.resolution.v1 import case_pb2 as _case_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListCasesRequest(_message.Message):
    __slots__ = ("tenant_id", "review_id", "status", "page_size", "page_token")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    review_id: str
    status: _case_pb2.CaseStatus
    page_size: int
    page_token: str
    def __init__(self, tenant_id: _Optional[str] = ..., review_id: _Optional[str] = ..., status: _Optional[_Union[_case_pb2.CaseStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCasesResponse(_message.Message):
    __slots__ = ("cases", "next_page_token")
    CASES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[_case_pb2.Case]
    next_page_token: str
    def __init__(self, cases: _Optional[_Iterable[_Union[_case_pb2.Case, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetCaseRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ...) -> None: ...

class TransitionCaseRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id", "to_status", "reason", "actor", "note")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    to_status: _case_pb2.CaseStatus
    reason: _case_pb2.ResolutionReason
    actor: str
    note: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ..., to_status: _Optional[_Union[_case_pb2.CaseStatus, str]] = ..., reason: _Optional[_Union[_case_pb2.ResolutionReason, str]] = ..., actor: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class UpdateCaseRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id", "language", "issue_type", "customer_id", "order_id", "platform", "actor")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TYPE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    language: str
    issue_type: str
    customer_id: str
    order_id: str
    platform: str
    actor: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ..., language: _Optional[str] = ..., issue_type: _Optional[str] = ..., customer_id: _Optional[str] = ..., order_id: _Optional[str] = ..., platform: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class ListCaseEventsRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ...) -> None: ...

class ListCaseEventsResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_case_pb2.CaseEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[_case_pb2.CaseEvent, _Mapping]]] = ...) -> None: ...

class AssignCaseRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ...) -> None: ...

class Team(_message.Message):
    __slots__ = ("tenant_id", "id", "name", "markets", "timezone", "work_start", "work_end", "work_days")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MARKETS_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    WORK_START_FIELD_NUMBER: _ClassVar[int]
    WORK_END_FIELD_NUMBER: _ClassVar[int]
    WORK_DAYS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    id: str
    name: str
    markets: _containers.RepeatedScalarFieldContainer[str]
    timezone: str
    work_start: str
    work_end: str
    work_days: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, tenant_id: _Optional[str] = ..., id: _Optional[str] = ..., name: _Optional[str] = ..., markets: _Optional[_Iterable[str]] = ..., timezone: _Optional[str] = ..., work_start: _Optional[str] = ..., work_end: _Optional[str] = ..., work_days: _Optional[_Iterable[int]] = ...) -> None: ...

class ListTeamsRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class ListTeamsResponse(_message.Message):
    __slots__ = ("teams",)
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    teams: _containers.RepeatedCompositeFieldContainer[Team]
    def __init__(self, teams: _Optional[_Iterable[_Union[Team, _Mapping]]] = ...) -> None: ...

class Agent(_message.Message):
    __slots__ = ("tenant_id", "id", "team_id", "name", "languages", "skills", "capacity", "away", "open_cases")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    AWAY_FIELD_NUMBER: _ClassVar[int]
    OPEN_CASES_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    id: str
    team_id: str
    name: str
    languages: _containers.RepeatedScalarFieldContainer[str]
    skills: _containers.RepeatedScalarFieldContainer[str]
    capacity: int
    away: bool
    open_cases: int
    def __init__(self, tenant_id: _Optional[str] = ..., id: _Optional[str] = ..., team_id: _Optional[str] = ..., name: _Optional[str] = ..., languages: _Optional[_Iterable[str]] = ..., skills: _Optional[_Iterable[str]] = ..., capacity: _Optional[int] = ..., away: _Optional[bool] = ..., open_cases: _Optional[int] = ...) -> None: ...

class ListAgentsRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class ListAgentsResponse(_message.Message):
    __slots__ = ("agents",)
    AGENTS_FIELD_NUMBER: _ClassVar[int]
    agents: _containers.RepeatedCompositeFieldContainer[Agent]
    def __init__(self, agents: _Optional[_Iterable[_Union[Agent, _Mapping]]] = ...) -> None: ...

class SetAgentAwayRequest(_message.Message):
    __slots__ = ("tenant_id", "agent_id", "away")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    AWAY_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    agent_id: str
    away: bool
    def __init__(self, tenant_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., away: _Optional[bool] = ...) -> None: ...

class GetPolicyRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class PutPolicyRequest(_message.Message):
    __slots__ = ("tenant_id", "policy_json")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    POLICY_JSON_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    policy_json: str
    def __init__(self, tenant_id: _Optional[str] = ..., policy_json: _Optional[str] = ...) -> None: ...

class Policy(_message.Message):
    __slots__ = ("version", "policy_json")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    POLICY_JSON_FIELD_NUMBER: _ClassVar[int]
    version: int
    policy_json: str
    def __init__(self, version: _Optional[int] = ..., policy_json: _Optional[str] = ...) -> None: ...

class GetKpisRequest(_message.Message):
    __slots__ = ("tenant_id", "since", "until")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    def __init__(self, tenant_id: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Kpis(_message.Message):
    __slots__ = ("cases", "response_eligible", "responded_within_24h", "response_rate_24h", "response_rate_target", "response_rate_met", "median_first_response_seconds", "resolved", "resolution_rate", "reviews_handled", "ratings_recovered", "rating_recovery_rate")
    CASES_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_ELIGIBLE_FIELD_NUMBER: _ClassVar[int]
    RESPONDED_WITHIN_24H_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_RATE_24H_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_RATE_TARGET_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_RATE_MET_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_FIRST_RESPONSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_RATE_FIELD_NUMBER: _ClassVar[int]
    REVIEWS_HANDLED_FIELD_NUMBER: _ClassVar[int]
    RATINGS_RECOVERED_FIELD_NUMBER: _ClassVar[int]
    RATING_RECOVERY_RATE_FIELD_NUMBER: _ClassVar[int]
    cases: int
    response_eligible: int
    responded_within_24h: int
    response_rate_24h: float
    response_rate_target: float
    response_rate_met: bool
    median_first_response_seconds: float
    resolved: int
    resolution_rate: float
    reviews_handled: int
    ratings_recovered: int
    rating_recovery_rate: float
    def __init__(self, cases: _Optional[int] = ..., response_eligible: _Optional[int] = ..., responded_within_24h: _Optional[int] = ..., response_rate_24h: _Optional[float] = ..., response_rate_target: _Optional[float] = ..., response_rate_met: _Optional[bool] = ..., median_first_response_seconds: _Optional[float] = ..., resolved: _Optional[int] = ..., resolution_rate: _Optional[float] = ..., reviews_handled: _Optional[int] = ..., ratings_recovered: _Optional[int] = ..., rating_recovery_rate: _Optional[float] = ...) -> None: ...

class RecordRatingChangeRequest(_message.Message):
    __slots__ = ("tenant_id", "review_id", "old_rating", "new_rating", "changed_at")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    OLD_RATING_FIELD_NUMBER: _ClassVar[int]
    NEW_RATING_FIELD_NUMBER: _ClassVar[int]
    CHANGED_AT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    review_id: str
    old_rating: int
    new_rating: int
    changed_at: _timestamp_pb2.Timestamp
    def __init__(self, tenant_id: _Optional[str] = ..., review_id: _Optional[str] = ..., old_rating: _Optional[int] = ..., new_rating: _Optional[int] = ..., changed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordRatingChangeResponse(_message.Message):
    __slots__ = ("recorded",)
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    recorded: bool
    def __init__(self, recorded: _Optional[bool] = ...) -> None: ...

class Violation(_message.Message):
    __slots__ = ("rule_id", "phrase", "start", "end", "language", "explanation")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    PHRASE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    phrase: str
    start: int
    end: int
    language: str
    explanation: str
    def __init__(self, rule_id: _Optional[str] = ..., phrase: _Optional[str] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., language: _Optional[str] = ..., explanation: _Optional[str] = ...) -> None: ...

class CheckComplianceRequest(_message.Message):
    __slots__ = ("text", "platform")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    text: str
    platform: str
    def __init__(self, text: _Optional[str] = ..., platform: _Optional[str] = ...) -> None: ...

class CheckComplianceResponse(_message.Message):
    __slots__ = ("passed", "platform", "violations")
    PASSED_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    passed: bool
    platform: str
    violations: _containers.RepeatedCompositeFieldContainer[Violation]
    def __init__(self, passed: _Optional[bool] = ..., platform: _Optional[str] = ..., violations: _Optional[_Iterable[_Union[Violation, _Mapping]]] = ...) -> None: ...

class SendReplyRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id", "text", "scenario", "language", "placeholders", "variant", "actor", "publish", "private")
    class PlaceholdersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PLACEHOLDERS_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    text: str
    scenario: str
    language: str
    placeholders: _containers.ScalarMap[str, str]
    variant: str
    actor: str
    publish: bool
    private: bool
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ..., text: _Optional[str] = ..., scenario: _Optional[str] = ..., language: _Optional[str] = ..., placeholders: _Optional[_Mapping[str, str]] = ..., variant: _Optional[str] = ..., actor: _Optional[str] = ..., publish: _Optional[bool] = ..., private: _Optional[bool] = ...) -> None: ...

class Reply(_message.Message):
    __slots__ = ("id", "case_id", "text", "scenario", "language", "variant", "actor", "sent_at", "responded", "resolved", "publish_state", "platform_reply_id", "published_at", "publish_error", "revision", "deleted", "private")
    ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    RESPONDED_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_STATE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_ERROR_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_FIELD_NUMBER: _ClassVar[int]
    id: str
    case_id: str
    text: str
    scenario: str
    language: str
    variant: str
    actor: str
    sent_at: _timestamp_pb2.Timestamp
    responded: bool
    resolved: bool
    publish_state: str
    platform_reply_id: str
    published_at: _timestamp_pb2.Timestamp
    publish_error: str
    revision: int
    deleted: bool
    private: bool
    def __init__(self, id: _Optional[str] = ..., case_id: _Optional[str] = ..., text: _Optional[str] = ..., scenario: _Optional[str] = ..., language: _Optional[str] = ..., variant: _Optional[str] = ..., actor: _Optional[str] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., responded: _Optional[bool] = ..., resolved: _Optional[bool] = ..., publish_state: _Optional[str] = ..., platform_reply_id: _Optional[str] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., publish_error: _Optional[str] = ..., revision: _Optional[int] = ..., deleted: _Optional[bool] = ..., private: _Optional[bool] = ...) -> None: ...

class EditReplyRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id", "reply_id", "text", "actor")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    reply_id: str
    text: str
    actor: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ..., reply_id: _Optional[str] = ..., text: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class DeleteReplyRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id", "reply_id", "actor")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    reply_id: str
    actor: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ..., reply_id: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class ListRepliesRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ...) -> None: ...

class ListRepliesResponse(_message.Message):
    __slots__ = ("replies",)
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    replies: _containers.RepeatedCompositeFieldContainer[Reply]
    def __init__(self, replies: _Optional[_Iterable[_Union[Reply, _Mapping]]] = ...) -> None: ...

class GetVariantStatsRequest(_message.Message):
    __slots__ = ("tenant_id", "scenario", "language")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    scenario: str
    language: str
    def __init__(self, tenant_id: _Optional[str] = ..., scenario: _Optional[str] = ..., language: _Optional[str] = ...) -> None: ...

class VariantStats(_message.Message):
    __slots__ = ("variant", "sent", "responded", "resolved", "response_rate", "resolution_rate")
    VARIANT_FIELD_NUMBER: _ClassVar[int]
    SENT_FIELD_NUMBER: _ClassVar[int]
    RESPONDED_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_RATE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_RATE_FIELD_NUMBER: _ClassVar[int]
    variant: str
    sent: int
    responded: int
    resolved: int
    response_rate: float
    resolution_rate: float
    def __init__(self, variant: _Optional[str] = ..., sent: _Optional[int] = ..., responded: _Optional[int] = ..., resolved: _Optional[int] = ..., response_rate: _Optional[float] = ..., resolution_rate: _Optional[float] = ...) -> None: ...

class GetVariantStatsResponse(_message.Message):
    __slots__ = ("variants",)
    VARIANTS_FIELD_NUMBER: _ClassVar[int]
    variants: _containers.RepeatedCompositeFieldContainer[VariantStats]
    def __init__(self, variants: _Optional[_Iterable[_Union[VariantStats, _Mapping]]] = ...) -> None: ...

class RecommendCompensationRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id", "issue", "order_value", "currency", "annual_spend", "cross_border", "shipping_paid", "duties_paid", "reship_cost", "usd_rate")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUE_FIELD_NUMBER: _ClassVar[int]
    ORDER_VALUE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    ANNUAL_SPEND_FIELD_NUMBER: _ClassVar[int]
    CROSS_BORDER_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_PAID_FIELD_NUMBER: _ClassVar[int]
    DUTIES_PAID_FIELD_NUMBER: _ClassVar[int]
    RESHIP_COST_FIELD_NUMBER: _ClassVar[int]
    USD_RATE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    issue: str
    order_value: str
    currency: str
    annual_spend: str
    cross_border: bool
    shipping_paid: str
    duties_paid: str
    reship_cost: str
    usd_rate: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ..., issue: _Optional[str] = ..., order_value: _Optional[str] = ..., currency: _Optional[str] = ..., annual_spend: _Optional[str] = ..., cross_border: _Optional[bool] = ..., shipping_paid: _Optional[str] = ..., duties_paid: _Optional[str] = ..., reship_cost: _Optional[str] = ..., usd_rate: _Optional[str] = ...) -> None: ...

class OfferComponent(_message.Message):
    __slots__ = ("kind", "cost", "detail", "percent")
    KIND_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    kind: str
    cost: str
    detail: str
    percent: int
    def __init__(self, kind: _Optional[str] = ..., cost: _Optional[str] = ..., detail: _Optional[str] = ..., percent: _Optional[int] = ...) -> None: ...

class OfferOption(_message.Message):
    __slots__ = ("option", "components", "total", "cap", "capped", "requires_approval", "retention_uplift", "expected_retention_value", "net_value")
    OPTION_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    CAP_FIELD_NUMBER: _ClassVar[int]
    CAPPED_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_APPROVAL_FIELD_NUMBER: _ClassVar[int]
    RETENTION_UPLIFT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_RETENTION_VALUE_FIELD_NUMBER: _ClassVar[int]
    NET_VALUE_FIELD_NUMBER: _ClassVar[int]
    option: str
    components: _containers.RepeatedCompositeFieldContainer[OfferComponent]
    total: str
    cap: str
    capped: bool
    requires_approval: bool
    retention_uplift: str
    expected_retention_value: str
    net_value: str
    def __init__(self, option: _Optional[str] = ..., components: _Optional[_Iterable[_Union[OfferComponent, _Mapping]]] = ..., total: _Optional[str] = ..., cap: _Optional[str] = ..., capped: _Optional[bool] = ..., requires_approval: _Optional[bool] = ..., retention_uplift: _Optional[str] = ..., expected_retention_value: _Optional[str] = ..., net_value: _Optional[str] = ...) -> None: ...

class CompensationRecommendation(_message.Message):
    __slots__ = ("chosen", "candidates", "currency", "customer_value", "vip", "rationale")
    CHOSEN_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_VALUE_FIELD_NUMBER: _ClassVar[int]
    VIP_FIELD_NUMBER: _ClassVar[int]
    RATIONALE_FIELD_NUMBER: _ClassVar[int]
    chosen: OfferOption
    candidates: _containers.RepeatedCompositeFieldContainer[OfferOption]
    currency: str
    customer_value: str
    vip: bool
    rationale: str
    def __init__(self, chosen: _Optional[_Union[OfferOption, _Mapping]] = ..., candidates: _Optional[_Iterable[_Union[OfferOption, _Mapping]]] = ..., currency: _Optional[str] = ..., customer_value: _Optional[str] = ..., vip: _Optional[bool] = ..., rationale: _Optional[str] = ...) -> None: ...

class RecordOfferRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id", "option", "cost", "currency", "usd_rate", "detail", "actor")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OPTION_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    USD_RATE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    option: str
    cost: str
    currency: str
    usd_rate: str
    detail: str
    actor: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ..., option: _Optional[str] = ..., cost: _Optional[str] = ..., currency: _Optional[str] = ..., usd_rate: _Optional[str] = ..., detail: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class Offer(_message.Message):
    __slots__ = ("id", "case_id", "option", "cost", "currency", "cost_usd", "detail", "status", "requires_approval", "created_by", "approved_by", "created_at", "approved_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OPTION_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_APPROVAL_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    APPROVED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    case_id: str
    option: str
    cost: str
    currency: str
    cost_usd: str
    detail: str
    status: str
    requires_approval: bool
    created_by: str
    approved_by: str
    created_at: _timestamp_pb2.Timestamp
    approved_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., case_id: _Optional[str] = ..., option: _Optional[str] = ..., cost: _Optional[str] = ..., currency: _Optional[str] = ..., cost_usd: _Optional[str] = ..., detail: _Optional[str] = ..., status: _Optional[str] = ..., requires_approval: _Optional[bool] = ..., created_by: _Optional[str] = ..., approved_by: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., approved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ApproveOfferRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id", "offer_id", "approver")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVER_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    offer_id: str
    approver: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ..., offer_id: _Optional[str] = ..., approver: _Optional[str] = ...) -> None: ...

class DecideOfferRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id", "offer_id", "decision", "actor")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    offer_id: str
    decision: str
    actor: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ..., offer_id: _Optional[str] = ..., decision: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class GetEvidencePackRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ...) -> None: ...

class EvidencePack(_message.Message):
    __slots__ = ("filename", "zip")
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    ZIP_FIELD_NUMBER: _ClassVar[int]
    filename: str
    zip: bytes
    def __init__(self, filename: _Optional[str] = ..., zip: _Optional[bytes] = ...) -> None: ...

class ListOffersRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ...) -> None: ...

class ListOffersResponse(_message.Message):
    __slots__ = ("offers",)
    OFFERS_FIELD_NUMBER: _ClassVar[int]
    offers: _containers.RepeatedCompositeFieldContainer[Offer]
    def __init__(self, offers: _Optional[_Iterable[_Union[Offer, _Mapping]]] = ...) -> None: ...

class FileAppealRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id", "facts", "actions", "seller_name", "product_name", "language", "actor")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    FACTS_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    SELLER_NAME_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    facts: _containers.RepeatedScalarFieldContainer[str]
    actions: _containers.RepeatedScalarFieldContainer[str]
    seller_name: str
    product_name: str
    language: str
    actor: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ..., facts: _Optional[_Iterable[str]] = ..., actions: _Optional[_Iterable[str]] = ..., seller_name: _Optional[str] = ..., product_name: _Optional[str] = ..., language: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class ClauseFinding(_message.Message):
    __slots__ = ("clause_id", "title", "applies", "ready", "missing_facts", "missing_evidence")
    CLAUSE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    APPLIES_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    MISSING_FACTS_FIELD_NUMBER: _ClassVar[int]
    MISSING_EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    clause_id: str
    title: str
    applies: bool
    ready: bool
    missing_facts: _containers.RepeatedScalarFieldContainer[str]
    missing_evidence: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, clause_id: _Optional[str] = ..., title: _Optional[str] = ..., applies: _Optional[bool] = ..., ready: _Optional[bool] = ..., missing_facts: _Optional[_Iterable[str]] = ..., missing_evidence: _Optional[_Iterable[str]] = ...) -> None: ...

class Appeal(_message.Message):
    __slots__ = ("id", "case_id", "clause_id", "language", "letter", "findings", "filed_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CLAUSE_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    LETTER_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    case_id: str
    clause_id: str
    language: str
    letter: str
    findings: _containers.RepeatedCompositeFieldContainer[ClauseFinding]
    filed_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., case_id: _Optional[str] = ..., clause_id: _Optional[str] = ..., language: _Optional[str] = ..., letter: _Optional[str] = ..., findings: _Optional[_Iterable[_Union[ClauseFinding, _Mapping]]] = ..., filed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AddEvidenceRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id", "kind", "content_json", "content_bytes", "captured_at", "source", "description", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CONTENT_JSON_FIELD_NUMBER: _ClassVar[int]
    CONTENT_BYTES_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    kind: str
    content_json: str
    content_bytes: bytes
    captured_at: _timestamp_pb2.Timestamp
    source: str
    description: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ..., kind: _Optional[str] = ..., content_json: _Optional[str] = ..., content_bytes: _Optional[bytes] = ..., captured_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[str] = ..., description: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class EvidenceLink(_message.Message):
    __slots__ = ("id", "case_id", "index", "kind", "source", "description", "captured_at", "appended_at", "item_sha256", "prev_sha256", "link_sha256")
    ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AT_FIELD_NUMBER: _ClassVar[int]
    APPENDED_AT_FIELD_NUMBER: _ClassVar[int]
    ITEM_SHA256_FIELD_NUMBER: _ClassVar[int]
    PREV_SHA256_FIELD_NUMBER: _ClassVar[int]
    LINK_SHA256_FIELD_NUMBER: _ClassVar[int]
    id: str
    case_id: str
    index: int
    kind: str
    source: str
    description: str
    captured_at: _timestamp_pb2.Timestamp
    appended_at: _timestamp_pb2.Timestamp
    item_sha256: str
    prev_sha256: str
    link_sha256: str
    def __init__(self, id: _Optional[str] = ..., case_id: _Optional[str] = ..., index: _Optional[int] = ..., kind: _Optional[str] = ..., source: _Optional[str] = ..., description: _Optional[str] = ..., captured_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., appended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., item_sha256: _Optional[str] = ..., prev_sha256: _Optional[str] = ..., link_sha256: _Optional[str] = ...) -> None: ...

class ListEvidenceRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ...) -> None: ...

class ListEvidenceResponse(_message.Message):
    __slots__ = ("links",)
    LINKS_FIELD_NUMBER: _ClassVar[int]
    links: _containers.RepeatedCompositeFieldContainer[EvidenceLink]
    def __init__(self, links: _Optional[_Iterable[_Union[EvidenceLink, _Mapping]]] = ...) -> None: ...

class VerifyEvidenceRequest(_message.Message):
    __slots__ = ("tenant_id", "case_id")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    case_id: str
    def __init__(self, tenant_id: _Optional[str] = ..., case_id: _Optional[str] = ...) -> None: ...

class EvidenceVerification(_message.Message):
    __slots__ = ("intact", "length", "head", "broken_at", "reason", "detail")
    INTACT_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    HEAD_FIELD_NUMBER: _ClassVar[int]
    BROKEN_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    intact: bool
    length: int
    head: str
    broken_at: int
    reason: str
    detail: str
    def __init__(self, intact: _Optional[bool] = ..., length: _Optional[int] = ..., head: _Optional[str] = ..., broken_at: _Optional[int] = ..., reason: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("order_id", "platform", "marketplace", "fulfilment", "customer_id", "language", "product_name", "value", "currency", "annual_spend_usd", "delivered_at", "carrier")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    MARKETPLACE_FIELD_NUMBER: _ClassVar[int]
    FULFILMENT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    ANNUAL_SPEND_USD_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    platform: str
    marketplace: str
    fulfilment: str
    customer_id: str
    language: str
    product_name: str
    value: str
    currency: str
    annual_spend_usd: str
    delivered_at: _timestamp_pb2.Timestamp
    carrier: str
    def __init__(self, order_id: _Optional[str] = ..., platform: _Optional[str] = ..., marketplace: _Optional[str] = ..., fulfilment: _Optional[str] = ..., customer_id: _Optional[str] = ..., language: _Optional[str] = ..., product_name: _Optional[str] = ..., value: _Optional[str] = ..., currency: _Optional[str] = ..., annual_spend_usd: _Optional[str] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., carrier: _Optional[str] = ...) -> None: ...

class SubmitOrdersRequest(_message.Message):
    __slots__ = ("tenant_id", "orders")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    def __init__(self, tenant_id: _Optional[str] = ..., orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ...) -> None: ...

class SubmitOrdersResponse(_message.Message):
    __slots__ = ("accepted", "duplicates", "scheduled")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    duplicates: int
    scheduled: _containers.RepeatedCompositeFieldContainer[ReviewRequest]
    def __init__(self, accepted: _Optional[int] = ..., duplicates: _Optional[int] = ..., scheduled: _Optional[_Iterable[_Union[ReviewRequest, _Mapping]]] = ...) -> None: ...

class ReviewRequest(_message.Message):
    __slots__ = ("id", "order_id", "customer_id", "marketplace", "language", "tier", "channels", "send_at", "status", "status_detail", "sent_at", "text", "route", "platform_request_id", "outcome_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    MARKETPLACE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    SEND_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_DETAIL_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    order_id: str
    customer_id: str
    marketplace: str
    language: str
    tier: str
    channels: _containers.RepeatedScalarFieldContainer[str]
    send_at: _timestamp_pb2.Timestamp
    status: str
    status_detail: str
    sent_at: _timestamp_pb2.Timestamp
    text: str
    route: str
    platform_request_id: str
    outcome_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., order_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., marketplace: _Optional[str] = ..., language: _Optional[str] = ..., tier: _Optional[str] = ..., channels: _Optional[_Iterable[str]] = ..., send_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[str] = ..., status_detail: _Optional[str] = ..., sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., text: _Optional[str] = ..., route: _Optional[str] = ..., platform_request_id: _Optional[str] = ..., outcome_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListReviewRequestsRequest(_message.Message):
    __slots__ = ("tenant_id", "status")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    status: str
    def __init__(self, tenant_id: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class ListReviewRequestsResponse(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[ReviewRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[ReviewRequest, _Mapping]]] = ...) -> None: ...

class SearchKnowledgeRequest(_message.Message):
    __slots__ = ("tenant_id", "query", "issue_type", "region", "outcome", "limit")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TYPE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    query: str
    issue_type: str
    region: str
    outcome: str
    limit: int
    def __init__(self, tenant_id: _Optional[str] = ..., query: _Optional[str] = ..., issue_type: _Optional[str] = ..., region: _Optional[str] = ..., outcome: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class KnowledgeEntry(_message.Message):
    __slots__ = ("case_id", "issue_type", "marketplace", "region", "outcome", "platform", "language", "text", "resolved_at", "rank")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TYPE_FIELD_NUMBER: _ClassVar[int]
    MARKETPLACE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    issue_type: str
    marketplace: str
    region: str
    outcome: str
    platform: str
    language: str
    text: str
    resolved_at: _timestamp_pb2.Timestamp
    rank: float
    def __init__(self, case_id: _Optional[str] = ..., issue_type: _Optional[str] = ..., marketplace: _Optional[str] = ..., region: _Optional[str] = ..., outcome: _Optional[str] = ..., platform: _Optional[str] = ..., language: _Optional[str] = ..., text: _Optional[str] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rank: _Optional[float] = ...) -> None: ...

class SearchKnowledgeResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[KnowledgeEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[KnowledgeEntry, _Mapping]]] = ...) -> None: ...
