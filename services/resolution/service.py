"""The resolution service's transport-free core: a case with an SLA for every fired alert, driven to an outcome (SPEC §5).

`ResolutionService` is what the gRPC adapter (`grpc_api.py`) and the tests call. It owns no logic:
each method parses the ids, calls the use case of its topic package (`cases/`, `assignment/`,
`templates/`, `compensation/`, `evidence/`, `appeals/`, `requests/`, `knowledge/`, `policy/`,
`kpis/`), converts the result to its message and, after a change, runs the case-event relay
(`relay.py`: follow-on effects of each move, then the `cases.*` events). Bus handlers live in
`consumers.py`, the scheduled round in `scheduled.py`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone

import asyncpg

from libs import topology
from libs.bus import Bus
from libs.errors import require_uuid
from reviewguard.resolution.v1 import case_pb2, resolution_pb2
from services.resolution import convert, repository, scheduled
from services.resolution.appeals import flows as appeals
from services.resolution.assignment import flows as assignment
from services.resolution.cases import flows as cases
from services.resolution.cases import scheduled as case_schedule
from services.resolution.compensation import flows as compensation
from services.resolution.consumers import Consumers
from services.resolution.context import DEFAULT_PUBLIC_BASE_URL, Context, Toolkit
from services.resolution.evidence import flows as evidence
from services.resolution.knowledge import flows as knowledge
from services.resolution.kpis import flows as kpis
from services.resolution.kpis.service import KpiReport
from services.resolution.policy import flows as policy
from services.resolution.policy.models import TenantPolicy
from services.resolution.publishing import flows as publishing
from services.resolution.relay import CaseEventRelay
from services.resolution.requests import flows as review_requests
from services.resolution.sla import SlaPolicy
from services.resolution.templates import flows as replies

__all__ = ["REVIEW_UPDATED", "ResolutionService", "Toolkit"]

REVIEW_UPDATED = topology.REVIEW_UPDATED


def _ids(tenant_id: str, case_id: str) -> tuple[uuid.UUID, uuid.UUID]:
    return require_uuid(tenant_id, field="tenant_id"), require_uuid(case_id, field="case_id")


def _tenant(tenant_id: str) -> uuid.UUID:
    return require_uuid(tenant_id, field="tenant_id")


class ResolutionService:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        sla: SlaPolicy,
        bus: Bus | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        toolkit: Toolkit | None = None,
        public_base_url: str = DEFAULT_PUBLIC_BASE_URL,
    ) -> None:
        defaults = TenantPolicy(
            sla_high_hours=sla.high_hours, sla_normal_hours=sla.normal_hours, sla_first_response_hours=sla.first_response_hours
        )
        self._ctx = Context(pool=pool, clock=clock, toolkit=toolkit or Toolkit.load(), defaults=defaults, public_base_url=public_base_url)
        self.relay = CaseEventRelay(ctx=self._ctx, bus=bus)
        self.consumers = Consumers(ctx=self._ctx, bus=bus, relay=self.relay)
        # NOTE: the bus handlers, here too so tests and callers reach them from the one core.
        self.handle_fired = self.consumers.handle_fired
        self.handle_reviews_ingested = self.consumers.handle_reviews_ingested
        self.handle_review_updated = self.consumers.handle_review_updated
        self.handle_reply_published = self.consumers.handle_reply_published
        self.handle_reply_publish_failed = self.consumers.handle_reply_publish_failed

    async def _changed(self, result):
        """Runs the case-event relay after a use case that changed cases; returns its result."""
        await self.relay.run()
        return result

    # ---- cases -------------------------------------------------------------------------------------

    async def list(self, tenant_id: str, *, review_id: str, status: int, page_size: int, page_token: str) -> tuple[list[case_pb2.Case], str]:
        review = require_uuid(review_id, field="review_id") if review_id else None
        rows, token = await cases.list_cases(
            self._ctx, tenant=_tenant(tenant_id), review=review, status=status, page_size=page_size, page_token=page_token
        )
        return [repository.to_proto(r) for r in rows], token

    async def get(self, tenant_id: str, case_id: str) -> case_pb2.Case:
        tenant, case = _ids(tenant_id, case_id)
        return repository.to_proto(await cases.get_case(self._ctx, tenant=tenant, case=case))

    async def list_events(self, tenant_id: str, case_id: str) -> list[case_pb2.CaseEvent]:
        tenant, case = _ids(tenant_id, case_id)
        return [repository.event_to_proto(r) for r in await cases.list_events(self._ctx, tenant=tenant, case=case)]

    async def transition(self, tenant_id: str, case_id: str, *, to_status: int, reason: int, actor: str, note: str) -> case_pb2.Case:
        tenant, case = _ids(tenant_id, case_id)
        row = await cases.transition(self._ctx, tenant=tenant, case=case, to_status=to_status, reason=reason, actor=actor, note=note)
        return repository.to_proto(await self._changed(row))

    async def update_case(
        self, tenant_id: str, case_id: str, *, language: str, issue_type: str, customer_id: str, order_id: str, platform: str, actor: str
    ) -> case_pb2.Case:
        tenant, case = _ids(tenant_id, case_id)
        row = await cases.update_case(
            self._ctx, tenant=tenant, case=case, language=language, issue_type=issue_type, customer_id=customer_id, order_id=order_id,
            platform=platform, actor=actor,
        )
        return repository.to_proto(await self._changed(row))

    # ---- assignment --------------------------------------------------------------------------------

    async def assign(self, tenant_id: str, case_id: str) -> case_pb2.Case:
        tenant, case = _ids(tenant_id, case_id)
        return repository.to_proto(await self._changed(await assignment.assign(self._ctx, tenant=tenant, case=case)))

    async def put_team(self, team: resolution_pb2.Team) -> resolution_pb2.Team:
        tenant = _tenant(team.tenant_id)
        team_id = require_uuid(team.id, field="id") if team.id else None
        return convert.team(await assignment.put_team(self._ctx, tenant=tenant, team_id=team_id, team=team), team.tenant_id)

    async def list_teams(self, tenant_id: str) -> list[resolution_pb2.Team]:
        return [convert.team(t, tenant_id) for t in await assignment.list_teams(self._ctx, tenant=_tenant(tenant_id))]

    async def put_agent(self, agent: resolution_pb2.Agent) -> resolution_pb2.Agent:
        tenant = _tenant(agent.tenant_id)
        team = require_uuid(agent.team_id, field="team_id")
        agent_id = require_uuid(agent.id, field="id") if agent.id else None
        return convert.agent(await assignment.put_agent(self._ctx, tenant=tenant, agent_id=agent_id, team=team, agent=agent), agent.tenant_id)

    async def list_agents(self, tenant_id: str) -> list[resolution_pb2.Agent]:
        return [convert.agent(a, tenant_id) for a in await assignment.list_agents(self._ctx, tenant=_tenant(tenant_id))]

    async def set_away(self, tenant_id: str, agent_id: str, *, away: bool) -> resolution_pb2.Agent:
        tenant, agent = _tenant(tenant_id), require_uuid(agent_id, field="agent_id")
        stored = await self._changed(await assignment.set_away(self._ctx, tenant=tenant, agent=agent, away=away))
        return convert.agent(stored, tenant_id)

    async def reassign_away(self, *, now: datetime) -> int:
        return await self._changed(await assignment.reassign_away(self._ctx, now=now))

    async def assign_waiting(self, *, now: datetime) -> int:
        return await self._changed(await assignment.assign_waiting(self._ctx, now=now))

    # ---- policy, SLA and KPIs ----------------------------------------------------------------------

    async def get_policy(self, tenant_id: str) -> tuple[int, dict]:
        return await policy.get_policy(self._ctx, tenant=_tenant(tenant_id))

    async def put_policy(self, tenant_id: str, policy_json: str) -> tuple[int, dict]:
        return await policy.put_policy(self._ctx, tenant=_tenant(tenant_id), policy_json=policy_json)

    async def run_sla_checks(self, *, now: datetime) -> int:
        return await self._changed(await case_schedule.run_sla_checks(self._ctx, now=now))

    async def kpis(self, tenant_id: str, *, since: datetime | None, until: datetime | None) -> KpiReport:
        return await kpis.report(self._ctx, tenant=_tenant(tenant_id), since=since, until=until)

    async def record_rating_change(self, tenant_id: str, review_id: str, *, old_rating: int, new_rating: int, changed_at: datetime | None) -> bool:
        recorded = await kpis.record_rating_change(
            self._ctx, tenant=_tenant(tenant_id), review=require_uuid(review_id, field="review_id"), old_rating=old_rating,
            new_rating=new_rating, changed_at=changed_at,
        )
        return await self._changed(recorded) if recorded else recorded

    # ---- replies, templates, compliance ------------------------------------------------------------

    def check_compliance(self, *, text: str, platform: str):
        return replies.check_compliance(self._ctx, text=text, platform=platform)

    async def send_reply(
        self, tenant_id: str, case_id: str, *, text: str, scenario: str, language: str, placeholders: Mapping[str, str], variant: str, actor: str,
        publish: bool = False, private: bool = False,
    ) -> resolution_pb2.Reply:
        tenant, case = _ids(tenant_id, case_id)
        stored = await replies.send_reply(
            self._ctx, tenant=tenant, case=case, text=text, scenario=scenario, language=language, placeholders=placeholders,
            variant=variant, actor=actor, publish=publish, private=private,
        )
        return convert.reply(await self._changed(stored))

    async def edit_reply(self, tenant_id: str, case_id: str, reply_id: str, *, text: str, actor: str) -> resolution_pb2.Reply:
        tenant, case = _ids(tenant_id, case_id)
        reply = require_uuid(reply_id, field="reply_id")
        return convert.reply(await self._changed(await publishing.edit(self._ctx, tenant=tenant, case=case, reply=reply, text=text, actor=actor)))

    async def delete_reply(self, tenant_id: str, case_id: str, reply_id: str, *, actor: str) -> resolution_pb2.Reply:
        tenant, case = _ids(tenant_id, case_id)
        reply = require_uuid(reply_id, field="reply_id")
        return convert.reply(await self._changed(await publishing.delete(self._ctx, tenant=tenant, case=case, reply=reply, actor=actor)))

    async def list_replies(self, tenant_id: str, case_id: str) -> list[resolution_pb2.Reply]:
        tenant, case = _ids(tenant_id, case_id)
        return [convert.reply(r) for r in await replies.list_replies(self._ctx, tenant=tenant, case=case)]

    async def variant_stats(self, tenant_id: str, *, scenario: str, language: str) -> list[resolution_pb2.VariantStats]:
        stats = await replies.variant_stats(self._ctx, tenant=_tenant(tenant_id), scenario=scenario, language=language)
        return [convert.variant_stats(s) for s in stats]

    # ---- compensation ------------------------------------------------------------------------------

    async def recommend_compensation(self, request: resolution_pb2.RecommendCompensationRequest) -> resolution_pb2.CompensationRecommendation:
        _ids(request.tenant_id, request.case_id)
        return convert.recommendation(await self._changed(await compensation.recommend(self._ctx, request)))

    async def record_offer(self, request: resolution_pb2.RecordOfferRequest) -> resolution_pb2.Offer:
        _ids(request.tenant_id, request.case_id)
        return convert.offer(await self._changed(await compensation.record_offer(self._ctx, request)))

    async def approve_offer(self, tenant_id: str, case_id: str, offer_id: str, *, approver: str) -> resolution_pb2.Offer:
        tenant, case = _ids(tenant_id, case_id)
        offer = await compensation.approve_offer(self._ctx, tenant=tenant, case=case, offer_id=offer_id, approver=approver)
        return convert.offer(await self._changed(offer))

    async def decide_offer(self, tenant_id: str, case_id: str, offer_id: str, *, decision: str, actor: str) -> resolution_pb2.Offer:
        tenant, case = _ids(tenant_id, case_id)
        offer = await compensation.decide_offer(self._ctx, tenant=tenant, case=case, offer_id=offer_id, decision=decision, actor=actor)
        return convert.offer(await self._changed(offer))

    async def list_offers(self, tenant_id: str, case_id: str) -> list[resolution_pb2.Offer]:
        tenant, case = _ids(tenant_id, case_id)
        return [convert.offer(r) for r in await compensation.list_offers(self._ctx, tenant=tenant, case=case)]

    # ---- evidence and appeals ----------------------------------------------------------------------

    async def add_evidence(self, request: resolution_pb2.AddEvidenceRequest) -> resolution_pb2.EvidenceLink:
        tenant, case = _ids(request.tenant_id, request.case_id)
        return convert.evidence_link(await self._changed(await evidence.add_evidence(self._ctx, tenant=tenant, case=case, request=request)))

    async def list_evidence(self, tenant_id: str, case_id: str) -> list[resolution_pb2.EvidenceLink]:
        tenant, case = _ids(tenant_id, case_id)
        return [convert.evidence_link(r) for r in await evidence.list_evidence(self._ctx, tenant=tenant, case=case)]

    async def verify_evidence(self, tenant_id: str, case_id: str) -> resolution_pb2.EvidenceVerification:
        tenant, case = _ids(tenant_id, case_id)
        return convert.verification(await evidence.verify_evidence(self._ctx, tenant=tenant, case=case))

    async def evidence_pack(self, tenant_id: str, case_id: str) -> tuple[str, bytes]:
        tenant, case = _ids(tenant_id, case_id)
        return await evidence.evidence_pack(self._ctx, tenant=tenant, case=case)

    async def file_appeal(self, request: resolution_pb2.FileAppealRequest) -> resolution_pb2.Appeal:
        tenant, case = _ids(request.tenant_id, request.case_id)
        stored = await appeals.file_appeal(
            self._ctx, tenant=tenant, case=case, facts=list(request.facts), actions=list(request.actions), seller_name=request.seller_name,
            product_name=request.product_name, language=request.language, actor=request.actor,
        )
        return convert.appeal(await self._changed(stored))

    # ---- review requests and the knowledge base ----------------------------------------------------

    async def submit_orders(self, tenant_id: str, orders: Sequence[resolution_pb2.Order]) -> tuple[int, int, list[resolution_pb2.ReviewRequest]]:
        _tenant(tenant_id)
        accepted, duplicates, scheduled_requests = await self._changed(await review_requests.submit_orders(self._ctx, tenant_id, orders))
        return accepted, duplicates, [convert.review_request(r) for r in scheduled_requests]

    async def list_review_requests(self, tenant_id: str, *, status: str) -> list[resolution_pb2.ReviewRequest]:
        return [convert.review_request(r) for r in await review_requests.list_requests(self._ctx, tenant=_tenant(tenant_id), status=status)]

    async def run_review_requests(self, *, now: datetime, limit: int = 200) -> int:
        """Hands the requests due by `now` to ingest (see `requests.flows.run_due`); returns how many."""
        return await review_requests.run_due(self._ctx, now=now, limit=limit)

    async def search_knowledge(
        self, tenant_id: str, *, query: str, issue_type: str, region: str, outcome: str, limit: int
    ) -> list[resolution_pb2.KnowledgeEntry]:
        rows = await knowledge.search(
            self._ctx, tenant=_tenant(tenant_id), query=query, issue_type=issue_type, region=region, outcome=outcome, limit=limit
        )
        return [convert.knowledge_entry(r) for r in rows]

    # ---- the relay and the scheduled loop ----------------------------------------------------------

    async def publish_pending(self, *, limit: int = 500) -> int:
        """Runs the case-event relay (follow-on effects, then the outbox); returns how many events went out."""
        return await self.relay.run(limit=limit)

    async def tick(self, *, now: datetime | None = None) -> None:
        await scheduled.tick(self._ctx, relay=self.relay, now=now)

    async def run_scheduled(self, *, stop: asyncio.Event, interval: float) -> None:
        await scheduled.run(self._ctx, relay=self.relay, stop=stop, interval=interval)
