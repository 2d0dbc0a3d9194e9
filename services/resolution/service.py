"""Resolution domain logic: a case with an SLA for every fired alert, driven to an outcome (SPEC §5).

`ResolutionService` is the transport-free core the gRPC adapter and the consumers call. Each change
of a case is written with an entry of its audit trail (`case_events`) in one transaction; that table
is also the outbox of `cases.updated` / `cases.sla_*` events, published by `publish_pending`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, time, timedelta, timezone

import asyncpg
from opentelemetry import trace

from libs import paging, topology
from libs.bus import Bus, Delivery
from libs.errors import FieldViolation, InvalidArgument, NotFound, require_uuid
from reviewguard.events.v1 import events_pb2
from reviewguard.resolution.v1 import case_pb2, resolution_pb2
from services.resolution import convert, repository
from services.resolution.appeals import flows as appeals_flows
from services.resolution.assignment import repository as assignment_repository
from services.resolution.assignment import service as assignment
from services.resolution.calendar.service import load_calendar
from services.resolution.cases import flows as cases
from services.resolution.cases.models import (
    ASSIGNED,
    FINAL,
    NEW,
    OPEN,
    status_name,
)
from services.resolution.compensation import flows as compensation_flows
from services.resolution.compensation import repository as offers_repository
from services.resolution.context import DEFAULT_PUBLIC_BASE_URL, Context, Toolkit
from services.resolution.customers import flows as customers
from services.resolution.evidence import repository as evidence_repository
from services.resolution.evidence import flows as evidence_flows
from services.resolution.evidence import service as evidence
from services.resolution.knowledge import repository as knowledge_repository
from services.resolution.kpis import repository as kpis_repository
from services.resolution.kpis import service as kpis
from services.resolution.policy import repository as policy_repository
from services.resolution.policy.models import TenantPolicy, parse_policy
from services.resolution.requests import flows as requests_flows
from services.resolution.requests import repository as requests_repository
from services.resolution.requests.models import RequestStatus
from services.resolution.requests.sender import LogSender, ReviewRequestSender
from services.resolution.sla import SlaPolicy
from services.resolution.templates import repository as replies_repository
from services.resolution.templates import flows as replies_flows
from services.resolution.templates import service as templates
from services.resolution.templates.models import Outcome, Scenario

__all__ = ["REVIEW_UPDATED", "ResolutionService", "Toolkit"]

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

CASE_UPDATED = topology.CASE_UPDATED
CASE_SLA_RULE = "case_sla"
CASE_SLA_WARNING = topology.CASE_SLA_WARNING
CASE_SLA_BREACHED = topology.CASE_SLA_BREACHED
REVIEW_UPDATED = topology.REVIEW_UPDATED

_OPEN = sorted(OPEN)
# NOTE: a case counts as resolved for the KPIs when it is resolved or its appeal was accepted.
_RESOLVED = sorted(FINAL)


class ResolutionService:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        sla: SlaPolicy,
        bus: Bus | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        toolkit: Toolkit | None = None,
        sender: ReviewRequestSender | None = None,
        public_base_url: str = DEFAULT_PUBLIC_BASE_URL,
    ) -> None:
        self._pool = pool
        self._sla = sla
        self._bus = bus
        self._clock = clock
        self._toolkit = toolkit or Toolkit.load()
        self._sender = sender or LogSender()
        self._defaults = TenantPolicy(
            sla_high_hours=sla.high_hours, sla_normal_hours=sla.normal_hours, sla_first_response_hours=sla.first_response_hours
        )
        self._ctx = Context(pool=pool, clock=clock, toolkit=self._toolkit, defaults=self._defaults, public_base_url=public_base_url)

    # ---- opening cases -------------------------------------------------------------------------

    async def handle_fired(self, batch: list[Delivery[events_pb2.AlertFired]]) -> None:
        """Opens one case per alert (idempotent) for the whole batch in one transaction, assigns the new
        ones when a team serves their market, and announces each (a redelivery re-announces the same id)."""
        assert self._bus is not None, "handle_fired needs a bus"
        wanted = [d for d in batch if cases.opens_case(d.message.alert)]
        if not wanted:
            return
        async with self._pool.acquire() as conn, conn.transaction():
            opened = await cases.open_for_alerts(self._ctx, conn, [d.message.alert for d in wanted])
        await asyncio.gather(*(self._announce(d, repository.to_proto(o.row)) for d, o in zip(wanted, opened)))
        await self.publish_pending()

    async def handle_reviews_ingested(self, batch: Sequence[Delivery[events_pb2.ReviewIngested]]) -> None:
        """Keeps what cases need of each review (platform ids, order, reviewer, rating), live or history,
        and links the open cases already opened for them; one transaction per batch."""
        async with self._pool.acquire() as conn, conn.transaction():
            linked = await customers.record_reviews(self._ctx, conn, [d.message.review for d in batch])
        if linked:
            await self.publish_pending()

    async def _announce(self, delivery: Delivery, case: case_pb2.Case) -> None:
        with tracer.start_as_current_span("resolution.open_case", context=delivery.context) as span:
            span.set_attribute("case.id", case.id)
            span.set_attribute("alert.id", case.alert_id)
            await self._bus.publish(topology.CASE_OPENED, events_pb2.CaseOpened(case=case), msg_id=f"case:{case.id}")

    # ---- reading cases -------------------------------------------------------------------------

    async def list(
        self, tenant_id: str, *, review_id: str, status: int, page_size: int, page_token: str
    ) -> tuple[list[case_pb2.Case], str]:
        tenant = require_uuid(tenant_id, field="tenant_id")
        review = require_uuid(review_id, field="review_id") if review_id else None
        limit = paging.page_size(page_size)
        async with self._pool.acquire() as conn:
            rows = await repository.list_cases(
                conn, tenant, review_id=review, status=status or None, after=paging.decode(page_token), limit=limit + 1
            )
        next_token = paging.encode(rows[limit - 1]["opened_at"], rows[limit - 1]["id"]) if len(rows) > limit else ""
        return [repository.to_proto(r) for r in rows[:limit]], next_token

    async def get(self, tenant_id: str, case_id: str) -> case_pb2.Case:
        tenant = require_uuid(tenant_id, field="tenant_id")
        case = require_uuid(case_id, field="case_id")
        async with self._pool.acquire() as conn:
            row = await repository.get(conn, tenant, case)
        if row is None:
            raise NotFound(f"case {case_id} not found")
        return repository.to_proto(row)

    async def list_events(self, tenant_id: str, case_id: str) -> list[case_pb2.CaseEvent]:
        tenant, case = self._ids(tenant_id, case_id)
        async with self._pool.acquire() as conn:
            if await repository.get(conn, tenant, case) is None:
                raise NotFound(f"case {case_id} not found")
            rows = await repository.list_events(conn, tenant, case)
        return [repository.event_to_proto(r) for r in rows]

    # ---- changing cases ------------------------------------------------------------------------

    @staticmethod
    def _ids(tenant_id: str, case_id: str) -> tuple[uuid.UUID, uuid.UUID]:
        return require_uuid(tenant_id, field="tenant_id"), require_uuid(case_id, field="case_id")

    @staticmethod
    async def _require_case(conn: asyncpg.Connection, tenant: uuid.UUID, case: uuid.UUID) -> None:
        """NotFound unless the case is the tenant's (another tenant's case is as unknown as a made-up id)."""
        if await repository.get(conn, tenant, case) is None:
            raise NotFound(f"case {case} not found")

    async def transition(self, tenant_id: str, case_id: str, *, to_status: int, reason: int, actor: str, note: str) -> case_pb2.Case:
        """Moves a case to `to_status` if the state machine allows it (resolving needs a reason)."""
        tenant, case = self._ids(tenant_id, case_id)
        async with self._pool.acquire() as conn, conn.transaction():
            row = await cases.locked(conn, tenant, case)
            if to_status == ASSIGNED and row["owner_agent_id"] is None:
                row = await cases.assign_one(conn, row, now=self._clock(), actor=actor) or row
                if row["status"] == ASSIGNED:
                    return await self._done(row)
            row = await cases.move(self._ctx, conn, row, to=to_status, reason=reason, actor=actor, note=note)
        return await self._done(row)

    async def _done(self, row: asyncpg.Record) -> case_pb2.Case:
        await self.publish_pending()
        return repository.to_proto(row)

    async def update_case(
        self, tenant_id: str, case_id: str, *, language: str, issue_type: str, customer_id: str, order_id: str, platform: str, actor: str
    ) -> case_pb2.Case:
        """Records what was learnt about a case; an empty field keeps its value."""
        tenant, case = self._ids(tenant_id, case_id)
        values: dict[str, str] = {}
        if language:
            values["language"] = templates.resolve_language(language)
        if issue_type:
            try:
                values["issue_type"] = str(Scenario(issue_type))
            except ValueError:
                raise InvalidArgument(
                    f"unknown issue type {issue_type!r}", [FieldViolation("issue_type", f"one of {', '.join(s.value for s in Scenario)}")]
                ) from None
        if platform:
            if platform.lower() not in self._toolkit.checker.policies:
                raise InvalidArgument(f"unknown platform {platform!r}", [FieldViolation("platform", ", ".join(self._toolkit.checker.platforms))])
            values["platform"] = platform.lower()
        values |= {k: v for k, v in (("customer_id", customer_id), ("order_id", order_id)) if v}
        async with self._pool.acquire() as conn, conn.transaction():
            row = await cases.locked(conn, tenant, case)
            changed = {k: v for k, v in values.items() if row[k] != v}
            if changed:
                now = self._clock()
                row = await repository.update(conn, case, **changed, updated_at=now)
                await repository.add_event(
                    conn, tenant_id=tenant, case_id=case, kind="details_updated", at=now, from_status=row["status"],
                    to_status=row["status"], actor=actor, detail=changed,
                )
                if "order_id" in changed:
                    # NOTE: a case pointed at another order forgets the old one's value until the new one is known.
                    row = await repository.update(conn, case, order_value=None, order_currency="", fulfilment="", annual_spend_usd=None)
                    linked = await customers.link_cases(self._ctx, conn, [case])
                    row = linked[0] if linked else row
        return await self._done(row)

    # ---- assignment ----------------------------------------------------------------------------

    async def assign(self, tenant_id: str, case_id: str) -> case_pb2.Case:
        tenant, case = self._ids(tenant_id, case_id)
        async with self._pool.acquire() as conn, conn.transaction():
            row = await cases.locked(conn, tenant, case)
            if row["status"] in FINAL:
                raise InvalidArgument(f"case is {status_name(row['status'])}; it is not assigned any more")
            assigned = await cases.assign_one(conn, row, now=self._clock(), actor="api")
            if assigned is None:
                raise NotFound(f"no available agent serves marketplace {row['marketplace'] or '(none)'}")
        return await self._done(assigned)

    async def put_team(self, team: resolution_pb2.Team) -> resolution_pb2.Team:
        tenant = require_uuid(team.tenant_id, field="tenant_id")
        violations = []
        if not team.name.strip():
            violations.append(FieldViolation("name", "required"))
        markets = []
        for i, market in enumerate(team.markets):
            try:
                markets.append(assignment.validate_market(market))
            except InvalidArgument:
                # NOTE: the first market gives the team its holidays, so it needs a calendar; further
                # ones (e.g. AT served from Germany) only need to be market codes.
                if i > 0 and len(market.strip()) == 2 and market.strip().isalpha():
                    markets.append(market.strip().upper())
                else:
                    violations.append(FieldViolation(f"markets[{i}]", f"unknown marketplace {market!r}"))
        if not team.markets:
            violations.append(FieldViolation("markets", "at least one marketplace"))
        try:
            load_calendar(marketplace=markets[0] if markets else "US", timezone_name=team.timezone or None).tz
        except Exception:  # noqa: BLE001 - zoneinfo raises several kinds
            violations.append(FieldViolation("timezone", "an IANA time zone such as Europe/Berlin"))
        hours = []
        for name, value, default in (("work_start", team.work_start, time(9)), ("work_end", team.work_end, time(18))):
            try:
                hours.append(time.fromisoformat(value) if value else default)
            except ValueError:
                violations.append(FieldViolation(name, "HH:MM"))
        if len(hours) == 2 and not hours[0] < hours[1]:
            violations.append(FieldViolation("work_end", "after work_start"))
        days = sorted(set(team.work_days)) or [0, 1, 2, 3, 4]
        if any(d < 0 or d > 6 for d in days):
            violations.append(FieldViolation("work_days", "0 (Monday) to 6 (Sunday)"))
        if violations:
            raise InvalidArgument(f"{len(violations)} invalid team field(s)", violations)
        async with self._pool.acquire() as conn:
            row = await assignment_repository.put_team(
                conn, tenant_id=tenant, team_id=require_uuid(team.id, field="id") if team.id else None, name=team.name.strip(),
                markets=markets, timezone=team.timezone or load_calendar(marketplace=markets[0]).timezone,
                work_start=hours[0], work_end=hours[1], work_days=days,
            )
        if row is None:
            raise NotFound(f"team {team.id} not found")
        return convert.team(assignment_repository.to_team(row), team.tenant_id)

    async def list_teams(self, tenant_id: str) -> list[resolution_pb2.Team]:
        tenant = require_uuid(tenant_id, field="tenant_id")
        async with self._pool.acquire() as conn:
            teams = await assignment_repository.list_teams(conn, tenant)
        return [convert.team(t, tenant_id) for t in teams]

    async def put_agent(self, agent: resolution_pb2.Agent) -> resolution_pb2.Agent:
        tenant = require_uuid(agent.tenant_id, field="tenant_id")
        team = require_uuid(agent.team_id, field="team_id")
        if not agent.name.strip():
            raise InvalidArgument("agent name is required", [FieldViolation("name", "required")])
        if agent.capacity < 0:
            raise InvalidArgument("capacity must be positive", [FieldViolation("capacity", "> 0")])
        async with self._pool.acquire() as conn:
            agent_id = await assignment_repository.put_agent(
                conn, tenant_id=tenant, agent_id=require_uuid(agent.id, field="id") if agent.id else None, team_id=team,
                name=agent.name.strip(), languages=sorted({lang.lower() for lang in agent.languages}),
                skills=sorted({s.lower() for s in agent.skills}), capacity=agent.capacity or 20, away=agent.away,
            )
            if agent_id is None:
                raise NotFound(f"team {agent.team_id} or agent {agent.id} not found")
            stored = await assignment_repository.get_agent(conn, tenant, agent_id, open_statuses=_OPEN)
        return convert.agent(stored, agent.tenant_id)

    async def list_agents(self, tenant_id: str) -> list[resolution_pb2.Agent]:
        tenant = require_uuid(tenant_id, field="tenant_id")
        async with self._pool.acquire() as conn:
            agents = await assignment_repository.list_agents(conn, tenant, open_statuses=_OPEN)
        return [convert.agent(a, tenant_id) for a in agents]

    async def set_away(self, tenant_id: str, agent_id: str, *, away: bool) -> resolution_pb2.Agent:
        """Marks an agent away (their open cases go to others at once) or back."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        agent = require_uuid(agent_id, field="agent_id")
        async with self._pool.acquire() as conn:
            if not await assignment_repository.set_away(conn, tenant, agent, away):
                raise NotFound(f"agent {agent_id} not found")
        if away:
            await self.reassign_away(now=self._clock())
        async with self._pool.acquire() as conn:
            stored = await assignment_repository.get_agent(conn, tenant, agent, open_statuses=_OPEN)
        return convert.agent(stored, tenant_id)

    async def reassign_away(self, *, now: datetime) -> int:
        """Reassigns open cases whose owner is away; returns how many moved."""
        moved = 0
        async with self._pool.acquire() as conn:
            for ref in await assignment_repository.cases_of_away_agents(conn, open_statuses=_OPEN):
                async with conn.transaction():
                    row = await repository.lock(conn, ref["tenant_id"], ref["id"])
                    if row is None:
                        continue
                    reassigned = await cases.assign_one(conn, row, now=now, actor="system:away", exclude=frozenset({row["owner_agent_id"]}))
                    if reassigned is not None:
                        moved += 1
        if moved:
            await self.publish_pending()
        return moved

    async def assign_waiting(self, *, now: datetime) -> int:
        """Assigns new cases that found no agent when they opened (e.g. teams set up later)."""
        assigned = 0
        async with self._pool.acquire() as conn:
            for ref in await repository.unassigned_open(conn, statuses=[NEW]):
                async with conn.transaction():
                    row = await repository.lock(conn, ref["tenant_id"], ref["id"])
                    if row is not None and row["owner_agent_id"] is None and await cases.assign_one(conn, row, now=now, actor="system") is not None:
                        assigned += 1
        if assigned:
            await self.publish_pending()
        return assigned

    # ---- policy, SLA and KPIs ------------------------------------------------------------------

    async def get_policy(self, tenant_id: str) -> tuple[int, dict]:
        tenant = require_uuid(tenant_id, field="tenant_id")
        async with self._pool.acquire() as conn:
            stored = await policy_repository.get(conn, tenant)
        policy = parse_policy(stored[1], defaults=self._defaults) if stored else self._defaults
        return (stored[0] if stored else 0), policy.to_json()

    async def put_policy(self, tenant_id: str, policy_json: str) -> tuple[int, dict]:
        """Replaces the tenant's policy; fields left out take the defaults. Applies to cases opened after."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        try:
            data = json.loads(policy_json or "{}")
        except ValueError:
            raise InvalidArgument("policy is not valid JSON", [FieldViolation("policy", "not JSON")]) from None
        policy = parse_policy(data, defaults=self._defaults)
        async with self._pool.acquire() as conn:
            version = await policy_repository.put(conn, tenant, data)
        return version, policy.to_json()

    async def run_sla_checks(self, *, now: datetime) -> int:
        """Records (once each) SLA warnings and breaches of open cases as of `now`; returns how many."""
        noticed = 0
        async with self._pool.acquire() as conn:
            policies: dict[uuid.UUID, TenantPolicy] = {}
            horizon = now + timedelta(hours=24)
            for row in await repository.sla_candidates(conn, open_statuses=_OPEN, horizon=horizon):
                tenant = row["tenant_id"]
                if tenant not in policies:
                    policies[tenant] = await self._ctx.policy(conn, tenant)
                lead = timedelta(minutes=policies[tenant].sla_warning_minutes)
                checks = [("resolution", row["due_at"])]
                if row["first_response_at"] is None:
                    checks.append(("first_response", row["first_response_due_at"]))
                for sla, due in checks:
                    stage = "breached" if now >= due else "warning" if now >= due - lead else None
                    if stage is None:
                        continue
                    event = await repository.add_event(
                        conn, tenant_id=tenant, case_id=row["id"], kind=f"sla_{stage}", at=now, from_status=row["status"],
                        to_status=row["status"], actor="system:sla", detail={"sla": sla, "due_at": due.isoformat(), "url": self._ctx.case_url(row["id"])},
                        subject=CASE_SLA_BREACHED if stage == "breached" else CASE_SLA_WARNING,
                    )
                    noticed += event is not None
        if noticed:
            await self.publish_pending()
        return noticed

    async def kpis(self, tenant_id: str, *, since: datetime | None, until: datetime | None) -> kpis.KpiReport:
        tenant = require_uuid(tenant_id, field="tenant_id")
        now = self._clock()
        # NOTE: the window is [since, until); by default it includes a case opened this very instant.
        until = until or now + timedelta(microseconds=1)
        since = since or until - timedelta(days=30)
        async with self._pool.acquire() as conn:
            facts = await kpis_repository.case_facts(conn, tenant, since=since, until=until, resolved_statuses=_RESOLVED)
        return kpis.compute(facts=facts, now=now)

    async def record_rating_change(self, tenant_id: str, review_id: str, *, old_rating: int, new_rating: int, changed_at: datetime | None) -> bool:
        """Keeps a review's rating change (for rating recovery) and notes it on the review's cases."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        review = require_uuid(review_id, field="review_id")
        for name, value in (("old_rating", old_rating), ("new_rating", new_rating)):
            if not 1 <= value <= 5:
                raise InvalidArgument(f"{name} must be 1 to 5", [FieldViolation(name, "1 to 5")])
        at = changed_at or self._clock()
        async with self._pool.acquire() as conn, conn.transaction():
            # NOTE: only a review of the tenant's (one ingest told us of, or one of its cases names);
            # another tenant's review id is as unknown as a made-up one.
            if not await kpis_repository.knows_review(conn, tenant, review):
                raise NotFound(f"review {review_id} not found")
            recorded = await kpis_repository.record_rating_change(
                conn, tenant_id=tenant, review_id=review, old_rating=old_rating, new_rating=new_rating, changed_at=at
            )
            if recorded:
                for row in await repository.cases_of_review(conn, tenant, review):
                    await repository.add_event(
                        conn, tenant_id=tenant, case_id=row["id"], kind="rating_changed", at=at, from_status=row["status"],
                        to_status=row["status"], actor="ingest", detail={"old_rating": old_rating, "new_rating": new_rating},
                    )
        if recorded:
            await self.publish_pending()
        return recorded

    async def handle_review_updated(self, batch: Sequence[Delivery[events_pb2.ReviewUpdated]]) -> None:
        """Records rating changes from ingest's `reviews.updated` events (idempotent), and keeps the review's
        facts current (an order id added later links the case; a raised rating no longer blocks review requests)."""
        async with self._pool.acquire() as conn, conn.transaction():
            linked = await customers.record_reviews(self._ctx, conn, [d.message.review for d in batch])
        if linked:
            await self.publish_pending()
        for delivery in batch:
            event = delivery.message
            if not event.old_rating or not event.new_rating or event.old_rating == event.new_rating:
                continue
            review = event.review
            changed_at = event.changed_at.ToDatetime(tzinfo=timezone.utc) if event.HasField("changed_at") else None
            await self.record_rating_change(
                review.tenant_id, review.id, old_rating=event.old_rating, new_rating=event.new_rating, changed_at=changed_at
            )

    # ---- replies, templates, compliance --------------------------------------------------------

    def check_compliance(self, *, text: str, platform: str):
        if not text.strip():
            raise InvalidArgument("text is required", [FieldViolation("text", "required")])
        return self._toolkit.checker.check(text=text, platform=platform)

    async def send_reply(
        self, tenant_id: str, case_id: str, *, text: str, scenario: str, language: str, placeholders: Mapping[str, str], variant: str, actor: str
    ) -> resolution_pb2.Reply:
        """Sends a reply on a case (see `templates.flows.send_reply`)."""
        tenant, case = self._ids(tenant_id, case_id)
        stored = await replies_flows.send_reply(
            self._ctx, tenant=tenant, case=case, text=text, scenario=scenario, language=language, placeholders=placeholders,
            variant=variant, actor=actor,
        )
        await self.publish_pending()
        return convert.reply(stored)

    async def list_replies(self, tenant_id: str, case_id: str) -> list[resolution_pb2.Reply]:
        tenant, case = self._ids(tenant_id, case_id)
        async with self._pool.acquire() as conn:
            await self._require_case(conn, tenant, case)
            rows = await replies_repository.list_for_case(conn, tenant, case)
        return [convert.reply(r) for r in rows]

    async def variant_stats(self, tenant_id: str, *, scenario: str, language: str) -> list[resolution_pb2.VariantStats]:
        """Response and resolution rates of each template variant over the cases it was sent in."""
        tenant = require_uuid(tenant_id, field="tenant_id")
        async with self._pool.acquire() as conn:
            rows = await replies_repository.variant_rows(conn, tenant, scenario=scenario, language=language)
        outcomes = [
            Outcome(case_id=str(r["case_id"]), scenario=Scenario(r["scenario"]), language=r["language"], variant=r["variant"],
                    responded=r["responded"], resolved=r["resolved"])
            for r in rows
        ]
        stats = templates.variant_stats(outcomes=outcomes)
        return [
            resolution_pb2.VariantStats(
                variant=s.variant, sent=s.sent, responded=s.responded, resolved=s.resolved,
                response_rate=s.response_rate, resolution_rate=s.resolution_rate,
            )
            for s in stats.values()
        ]

    # ---- compensation --------------------------------------------------------------------------

    async def recommend_compensation(self, request: resolution_pb2.RecommendCompensationRequest) -> resolution_pb2.CompensationRecommendation:
        self._ids(request.tenant_id, request.case_id)
        recommendation = await compensation_flows.recommend(self._ctx, request)
        await self.publish_pending()
        return convert.recommendation(recommendation)

    async def record_offer(self, request: resolution_pb2.RecordOfferRequest) -> resolution_pb2.Offer:
        """Records an offer within the 150% cap; above the agent's limit it waits for approval."""
        self._ids(request.tenant_id, request.case_id)
        offer = await compensation_flows.record_offer(self._ctx, request)
        await self.publish_pending()
        return convert.offer(offer)

    async def approve_offer(self, tenant_id: str, case_id: str, offer_id: str, *, approver: str) -> resolution_pb2.Offer:
        tenant, case = self._ids(tenant_id, case_id)
        offer = await compensation_flows.approve_offer(self._ctx, tenant=tenant, case=case, offer_id=offer_id, approver=approver)
        await self.publish_pending()
        return convert.offer(offer)

    async def decide_offer(self, tenant_id: str, case_id: str, offer_id: str, *, decision: str, actor: str) -> resolution_pb2.Offer:
        """Records the buyer's answer to an offer: accepted or declined (a declined one allows a new offer)."""
        tenant, case = self._ids(tenant_id, case_id)
        offer = await compensation_flows.decide_offer(self._ctx, tenant=tenant, case=case, offer_id=offer_id, decision=decision, actor=actor)
        await self.publish_pending()
        return convert.offer(offer)

    async def list_offers(self, tenant_id: str, case_id: str) -> list[resolution_pb2.Offer]:
        tenant, case = self._ids(tenant_id, case_id)
        async with self._pool.acquire() as conn:
            await self._require_case(conn, tenant, case)
            rows = await offers_repository.list_for_case(conn, tenant, case)
        return [convert.offer(r) for r in rows]

    # ---- evidence and appeals ------------------------------------------------------------------

    async def add_evidence(self, request: resolution_pb2.AddEvidenceRequest) -> resolution_pb2.EvidenceLink:
        """Appends an item to the case's chain, hashed and linked to the previous one."""
        tenant, case = self._ids(request.tenant_id, request.case_id)
        stored = await evidence_flows.add_evidence(self._ctx, tenant=tenant, case=case, request=request)
        await self.publish_pending()
        return convert.evidence_link(stored)

    async def list_evidence(self, tenant_id: str, case_id: str) -> list[resolution_pb2.EvidenceLink]:
        tenant, case = self._ids(tenant_id, case_id)
        async with self._pool.acquire() as conn:
            await self._require_case(conn, tenant, case)
            _, rows = await evidence_repository.load(conn, tenant, case)
        return [convert.evidence_link(r) for r in rows]

    async def verify_evidence(self, tenant_id: str, case_id: str) -> resolution_pb2.EvidenceVerification:
        """Recomputes every stored hash: the chain is intact, or the first broken link is named."""
        tenant, case = self._ids(tenant_id, case_id)
        async with self._pool.acquire() as conn:
            if await repository.get(conn, tenant, case) is None:
                raise NotFound(f"case {case_id} not found")
            chain, _ = await evidence_repository.load(conn, tenant, case)
        return convert.verification(evidence.verify(chain))

    async def evidence_pack(self, tenant_id: str, case_id: str) -> tuple[str, bytes]:
        """The case's evidence pack as (file name, ZIP bytes): letters, items, chain, verification, manifest."""
        tenant, case = self._ids(tenant_id, case_id)
        return await evidence_flows.evidence_pack(self._ctx, tenant=tenant, case=case)

    async def file_appeal(self, request: resolution_pb2.FileAppealRequest) -> resolution_pb2.Appeal:
        """Checks eligibility against the platform's clauses and files the letter under the best one."""
        tenant, case = self._ids(request.tenant_id, request.case_id)
        stored = await appeals_flows.file_appeal(
            self._ctx, tenant=tenant, case=case, facts=list(request.facts), actions=list(request.actions), seller_name=request.seller_name,
            product_name=request.product_name, language=request.language, actor=request.actor,
        )
        await self.publish_pending()
        return convert.appeal(stored)

    # ---- review requests -----------------------------------------------------------------------

    async def submit_orders(self, tenant_id: str, orders: Sequence[resolution_pb2.Order]) -> tuple[int, int, list[resolution_pb2.ReviewRequest]]:
        """Stores delivered orders (all or nothing), schedules one review request for each new one, links open cases."""
        require_uuid(tenant_id, field="tenant_id")
        accepted, duplicates, scheduled = await requests_flows.submit_orders(self._ctx, tenant_id, orders)
        await self.publish_pending()
        return accepted, duplicates, [convert.review_request(r) for r in scheduled]

    async def list_review_requests(self, tenant_id: str, *, status: str) -> list[resolution_pb2.ReviewRequest]:
        tenant = require_uuid(tenant_id, field="tenant_id")
        if status and status not in {s.value for s in RequestStatus}:
            raise InvalidArgument(f"unknown status {status!r}", [FieldViolation("status", ", ".join(s.value for s in RequestStatus))])
        async with self._pool.acquire() as conn:
            rows = await requests_repository.list_requests(conn, tenant, status=status)
        return [convert.review_request(r) for r in rows]

    async def run_review_requests(self, *, now: datetime, limit: int = 200) -> int:
        """Sends the invitations due by `now` (see `requests.flows.run_due`); returns how many went out."""
        return await requests_flows.run_due(self._ctx, self._sender, now=now, limit=limit)

    # ---- knowledge base ------------------------------------------------------------------------

    async def search_knowledge(
        self, tenant_id: str, *, query: str, issue_type: str, region: str, outcome: str, limit: int
    ) -> list[resolution_pb2.KnowledgeEntry]:
        tenant = require_uuid(tenant_id, field="tenant_id")
        if limit < 0 or limit > 200:
            raise InvalidArgument("limit must be 1 to 200", [FieldViolation("limit", "1 to 200")])
        async with self._pool.acquire() as conn:
            rows = await knowledge_repository.search(
                conn, tenant, query=query.strip(), issue_type=issue_type, region=region.upper(), outcome=outcome, limit=limit or 20
            )
        return [convert.knowledge_entry(r) for r in rows]

    # ---- events and the scheduled loop ---------------------------------------------------------

    async def publish_pending(self, *, limit: int = 500) -> int:
        """Publishes unpublished case events (the outbox) in order; returns how many."""
        if self._bus is None:
            return 0
        async with self._pool.acquire() as conn, conn.transaction():
            events = await repository.claim_unpublished(conn, limit=limit)
            if not events:
                return 0
            cases = await repository.get_many(conn, list({e["case_id"] for e in events}))
            by_case: dict[uuid.UUID, list] = {}
            for event in events:
                by_case.setdefault(event["case_id"], []).append(event)

            async def relay(case_events: list) -> None:
                # NOTE: one case's events go out in order; different cases' go out side by side.
                for event in case_events:
                    case = repository.to_proto(cases[event["case_id"]])
                    if event["subject"] in (CASE_SLA_WARNING, CASE_SLA_BREACHED):
                        detail = json.loads(event["detail"])
                        message = events_pb2.CaseSlaNotice(
                            case=case, sla=detail["sla"], stage=event["kind"].removeprefix("sla_"),
                            noticed_at_unix_ms=int(event["at"].timestamp() * 1000),
                        )
                    else:
                        message = events_pb2.CaseUpdated(case=case, event=repository.event_to_proto(event))
                    await self._bus.publish(event["subject"], message, msg_id=f"case-event:{event['id']}")

            await asyncio.gather(*(relay(case_events) for case_events in by_case.values()))
            await repository.mark_published(conn, [e["id"] for e in events], self._clock())
        return len(events)

    async def tick(self, *, now: datetime | None = None) -> None:
        """One round of scheduled work: SLA notices, reassignments, review requests, the event relay."""
        now = now or self._clock()
        await self.run_sla_checks(now=now)
        await self.reassign_away(now=now)
        await self.assign_waiting(now=now)
        await self.run_review_requests(now=now)
        await self.publish_pending()

    async def run_scheduled(self, *, stop: asyncio.Event, interval: float) -> None:
        """Runs `tick` every `interval` seconds until `stop`; a failed round is logged and retried."""
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:  # noqa: BLE001 - the next round retries; a dead loop would stop SLAs
                log.exception("scheduled resolution round failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except asyncio.TimeoutError:
                pass
