"""Rows and domain objects of the resolution service as their protobuf messages."""

from __future__ import annotations

import json
from datetime import datetime

import asyncpg

from reviewguard.resolution.v1 import resolution_pb2
from services.resolution.appeals.models import ClauseFinding
from services.resolution.assignment.models import Agent, Team
from services.resolution.compensation.models import Offer, Recommendation
from services.resolution.compliance.models import CheckResult
from services.resolution.evidence.models import VerificationResult
from services.resolution.templates.models import VariantStats


def _set(ts, at: datetime | None) -> None:
    if at is not None:
        ts.FromDatetime(at)


def team(t: Team, tenant_id: str) -> resolution_pb2.Team:
    return resolution_pb2.Team(
        tenant_id=tenant_id, id=str(t.id), name=t.name, markets=list(t.markets), timezone=t.timezone,
        work_start=t.work_start.strftime("%H:%M"), work_end=t.work_end.strftime("%H:%M"), work_days=sorted(t.work_days),
    )


def agent(a: Agent, tenant_id: str) -> resolution_pb2.Agent:
    return resolution_pb2.Agent(
        tenant_id=tenant_id, id=str(a.id), team_id=str(a.team_id), name=a.name, languages=sorted(a.languages),
        skills=sorted(a.skills), capacity=a.capacity, away=a.away, open_cases=a.open_cases,
    )


def check_result(result: CheckResult) -> resolution_pb2.CheckComplianceResponse:
    return resolution_pb2.CheckComplianceResponse(
        passed=result.passed,
        platform=result.platform,
        violations=[
            resolution_pb2.Violation(rule_id=v.rule_id, phrase=v.phrase, start=v.start, end=v.end, language=v.language, explanation=v.explanation)
            for v in result.violations
        ],
    )


def reply(row: asyncpg.Record) -> resolution_pb2.Reply:
    message = resolution_pb2.Reply(
        id=str(row["id"]), case_id=str(row["case_id"]), text=row["text"], scenario=row["scenario"], language=row["language"],
        variant=row["variant"], actor=row["actor"], responded=row["responded"], resolved=row["resolved"],
        publish_state=row["publish_state"], platform_reply_id=row["platform_reply_id"], publish_error=row["publish_error"],
        revision=row["revision"], deleted=row["deleted_at"] is not None, private=row["private"],
    )
    _set(message.sent_at, row["sent_at"])
    _set(message.published_at, row["published_at"])
    return message


def _option(o: Offer) -> resolution_pb2.OfferOption:
    return resolution_pb2.OfferOption(
        option=o.option,
        components=[
            resolution_pb2.OfferComponent(kind=str(c.kind), cost=str(c.cost.amount), detail=c.detail, percent=c.percent or 0)
            for c in o.components
        ],
        total=str(o.total.amount), cap=str(o.cap.amount), capped=o.capped, requires_approval=o.requires_approval,
        retention_uplift=str(o.retention_uplift), expected_retention_value=str(o.expected_retention_value.amount),
        net_value=str(o.net_value.amount),
    )


def recommendation(r: Recommendation) -> resolution_pb2.CompensationRecommendation:
    return resolution_pb2.CompensationRecommendation(
        chosen=_option(r.chosen), candidates=[_option(c) for c in r.candidates], currency=r.chosen.total.currency,
        customer_value=str(r.customer_value.amount), vip=r.vip, rationale=r.rationale,
    )


def offer(row: asyncpg.Record) -> resolution_pb2.Offer:
    message = resolution_pb2.Offer(
        id=str(row["id"]), case_id=str(row["case_id"]), option=row["option"], cost=str(row["cost"]), currency=row["currency"],
        cost_usd=str(row["cost_usd"]), detail=row["detail"], status=row["status"], requires_approval=row["requires_approval"],
        created_by=row["created_by"], approved_by=row["approved_by"],
    )
    _set(message.created_at, row["created_at"])
    _set(message.approved_at, row["approved_at"])
    return message


def finding(f: ClauseFinding) -> resolution_pb2.ClauseFinding:
    return resolution_pb2.ClauseFinding(
        clause_id=f.clause.id, title=f.clause.title, applies=f.applies, ready=f.ready,
        missing_facts=list(f.missing_facts), missing_evidence=list(f.missing_evidence),
    )


def appeal(row: asyncpg.Record) -> resolution_pb2.Appeal:
    message = resolution_pb2.Appeal(
        id=str(row["id"]), case_id=str(row["case_id"]), clause_id=row["clause_id"], language=row["language"], letter=row["letter"],
        findings=[resolution_pb2.ClauseFinding(**f) for f in json.loads(row["findings"])],
    )
    _set(message.filed_at, row["filed_at"])
    return message


def evidence_link(row: asyncpg.Record) -> resolution_pb2.EvidenceLink:
    message = resolution_pb2.EvidenceLink(
        id=str(row["id"]), case_id=str(row["case_id"]), index=row["idx"], kind=row["kind"], source=row["source"],
        description=row["description"], item_sha256=row["item_sha256"], prev_sha256=row["prev_sha256"], link_sha256=row["link_sha256"],
    )
    _set(message.captured_at, row["captured_at"])
    _set(message.appended_at, row["appended_at"])
    return message


def verification(v: VerificationResult) -> resolution_pb2.EvidenceVerification:
    return resolution_pb2.EvidenceVerification(
        intact=v.intact, length=v.length, head=v.head, broken_at=v.broken_at if v.broken_at is not None else -1,
        reason=str(v.reason) if v.reason else "", detail=v.detail,
    )


def review_request(row: asyncpg.Record) -> resolution_pb2.ReviewRequest:
    message = resolution_pb2.ReviewRequest(
        id=str(row["id"]), order_id=row["order_id"], customer_id=row["customer_id"], marketplace=row["marketplace"],
        language=row["language"], tier=row["tier"], channels=list(row["channels"]), status=row["status"],
        status_detail=row["status_detail"], text=row["text"], route=row["route"], platform_request_id=row["platform_request_id"],
    )
    _set(message.send_at, row["send_at"])
    _set(message.sent_at, row["sent_at"])
    _set(message.outcome_at, row["outcome_at"])
    return message


def knowledge_entry(row: asyncpg.Record) -> resolution_pb2.KnowledgeEntry:
    message = resolution_pb2.KnowledgeEntry(
        case_id=str(row["case_id"]), issue_type=row["issue_type"], marketplace=row["marketplace"], region=row["region"],
        outcome=row["outcome"], platform=row["platform"], language=row["language"], text=row["text"], rank=float(row["rank"]),
    )
    _set(message.resolved_at, row["resolved_at"])
    return message


def variant_stats(s: VariantStats) -> resolution_pb2.VariantStats:
    return resolution_pb2.VariantStats(
        variant=s.variant, sent=s.sent, responded=s.responded, resolved=s.resolved,
        response_rate=s.response_rate, resolution_rate=s.resolution_rate,
    )
