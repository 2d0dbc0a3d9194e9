"""gRPC adapter of the resolution service: translate, then call the service layer."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timezone

import grpc

from reviewguard.resolution.v1 import case_pb2, resolution_pb2, resolution_pb2_grpc
from services.resolution import convert
from services.resolution.service import ResolutionService


def _at(request, name: str):
    return getattr(request, name).ToDatetime(tzinfo=timezone.utc) if request.HasField(name) else None


class ResolutionServicer(resolution_pb2_grpc.ResolutionServiceServicer):
    def __init__(self, service: ResolutionService) -> None:
        self._service = service

    async def ListCases(self, request: resolution_pb2.ListCasesRequest, context: grpc.aio.ServicerContext):
        cases, token = await self._service.list(
            request.tenant_id,
            review_id=request.review_id,
            status=request.status,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return resolution_pb2.ListCasesResponse(cases=cases, next_page_token=token)

    async def GetCase(self, request: resolution_pb2.GetCaseRequest, context: grpc.aio.ServicerContext) -> case_pb2.Case:
        return await self._service.get(request.tenant_id, request.case_id)

    async def TransitionCase(self, request: resolution_pb2.TransitionCaseRequest, context) -> case_pb2.Case:
        return await self._service.transition(
            request.tenant_id, request.case_id, to_status=request.to_status, reason=request.reason, actor=request.actor, note=request.note
        )

    async def UpdateCase(self, request: resolution_pb2.UpdateCaseRequest, context) -> case_pb2.Case:
        return await self._service.update_case(
            request.tenant_id, request.case_id, language=request.language, issue_type=request.issue_type,
            customer_id=request.customer_id, order_id=request.order_id, platform=request.platform, actor=request.actor,
        )

    async def ListCaseEvents(self, request: resolution_pb2.ListCaseEventsRequest, context):
        return resolution_pb2.ListCaseEventsResponse(events=await self._service.list_events(request.tenant_id, request.case_id))

    async def AssignCase(self, request: resolution_pb2.AssignCaseRequest, context) -> case_pb2.Case:
        return await self._service.assign(request.tenant_id, request.case_id)

    async def PutTeam(self, request: resolution_pb2.Team, context) -> resolution_pb2.Team:
        return await self._service.put_team(request)

    async def ListTeams(self, request: resolution_pb2.ListTeamsRequest, context):
        return resolution_pb2.ListTeamsResponse(teams=await self._service.list_teams(request.tenant_id))

    async def PutAgent(self, request: resolution_pb2.Agent, context) -> resolution_pb2.Agent:
        return await self._service.put_agent(request)

    async def ListAgents(self, request: resolution_pb2.ListAgentsRequest, context):
        return resolution_pb2.ListAgentsResponse(agents=await self._service.list_agents(request.tenant_id))

    async def SetAgentAway(self, request: resolution_pb2.SetAgentAwayRequest, context) -> resolution_pb2.Agent:
        return await self._service.set_away(request.tenant_id, request.agent_id, away=request.away)

    async def GetPolicy(self, request: resolution_pb2.GetPolicyRequest, context) -> resolution_pb2.Policy:
        version, policy = await self._service.get_policy(request.tenant_id)
        return resolution_pb2.Policy(version=version, policy_json=json.dumps(policy))

    async def PutPolicy(self, request: resolution_pb2.PutPolicyRequest, context) -> resolution_pb2.Policy:
        version, policy = await self._service.put_policy(request.tenant_id, request.policy_json)
        return resolution_pb2.Policy(version=version, policy_json=json.dumps(policy))

    async def GetKpis(self, request: resolution_pb2.GetKpisRequest, context) -> resolution_pb2.Kpis:
        report = await self._service.kpis(request.tenant_id, since=_at(request, "since"), until=_at(request, "until"))
        # NOTE: proto3 doubles cannot be absent; "no data" travels as the zero counts beside them
        # (response_eligible, cases, reviews_handled), which the gateway turns back into null.
        return resolution_pb2.Kpis(**{k: (v if v is not None else type(getattr(resolution_pb2.Kpis(), k))()) for k, v in asdict(report).items()})

    async def RecordRatingChange(self, request: resolution_pb2.RecordRatingChangeRequest, context):
        recorded = await self._service.record_rating_change(
            request.tenant_id, request.review_id, old_rating=request.old_rating, new_rating=request.new_rating,
            changed_at=_at(request, "changed_at"),
        )
        return resolution_pb2.RecordRatingChangeResponse(recorded=recorded)

    async def CheckCompliance(self, request: resolution_pb2.CheckComplianceRequest, context):
        return convert.check_result(self._service.check_compliance(text=request.text, platform=request.platform))

    async def SendReply(self, request: resolution_pb2.SendReplyRequest, context) -> resolution_pb2.Reply:
        return await self._service.send_reply(
            request.tenant_id, request.case_id, text=request.text, scenario=request.scenario, language=request.language,
            placeholders=dict(request.placeholders), variant=request.variant, actor=request.actor, publish=request.publish,
            private=request.private,
        )

    async def EditReply(self, request: resolution_pb2.EditReplyRequest, context) -> resolution_pb2.Reply:
        return await self._service.edit_reply(request.tenant_id, request.case_id, request.reply_id, text=request.text, actor=request.actor)

    async def DeleteReply(self, request: resolution_pb2.DeleteReplyRequest, context) -> resolution_pb2.Reply:
        return await self._service.delete_reply(request.tenant_id, request.case_id, request.reply_id, actor=request.actor)

    async def ListReplies(self, request: resolution_pb2.ListRepliesRequest, context):
        return resolution_pb2.ListRepliesResponse(replies=await self._service.list_replies(request.tenant_id, request.case_id))

    async def GetVariantStats(self, request: resolution_pb2.GetVariantStatsRequest, context):
        stats = await self._service.variant_stats(request.tenant_id, scenario=request.scenario, language=request.language)
        return resolution_pb2.GetVariantStatsResponse(variants=stats)

    async def RecommendCompensation(self, request: resolution_pb2.RecommendCompensationRequest, context):
        return await self._service.recommend_compensation(request)

    async def RecordOffer(self, request: resolution_pb2.RecordOfferRequest, context) -> resolution_pb2.Offer:
        return await self._service.record_offer(request)

    async def ApproveOffer(self, request: resolution_pb2.ApproveOfferRequest, context) -> resolution_pb2.Offer:
        return await self._service.approve_offer(request.tenant_id, request.case_id, request.offer_id, approver=request.approver)

    async def ListOffers(self, request: resolution_pb2.ListOffersRequest, context):
        return resolution_pb2.ListOffersResponse(offers=await self._service.list_offers(request.tenant_id, request.case_id))

    async def FileAppeal(self, request: resolution_pb2.FileAppealRequest, context) -> resolution_pb2.Appeal:
        return await self._service.file_appeal(request)

    async def AddEvidence(self, request: resolution_pb2.AddEvidenceRequest, context) -> resolution_pb2.EvidenceLink:
        return await self._service.add_evidence(request)

    async def ListEvidence(self, request: resolution_pb2.ListEvidenceRequest, context):
        return resolution_pb2.ListEvidenceResponse(links=await self._service.list_evidence(request.tenant_id, request.case_id))

    async def VerifyEvidence(self, request: resolution_pb2.VerifyEvidenceRequest, context):
        return await self._service.verify_evidence(request.tenant_id, request.case_id)

    async def SubmitOrders(self, request: resolution_pb2.SubmitOrdersRequest, context):
        accepted, duplicates, scheduled = await self._service.submit_orders(request.tenant_id, request.orders)
        return resolution_pb2.SubmitOrdersResponse(accepted=accepted, duplicates=duplicates, scheduled=scheduled)

    async def ListReviewRequests(self, request: resolution_pb2.ListReviewRequestsRequest, context):
        return resolution_pb2.ListReviewRequestsResponse(
            requests=await self._service.list_review_requests(request.tenant_id, status=request.status)
        )

    async def SearchKnowledge(self, request: resolution_pb2.SearchKnowledgeRequest, context):
        entries = await self._service.search_knowledge(
            request.tenant_id, query=request.query, issue_type=request.issue_type, region=request.region,
            outcome=request.outcome, limit=request.limit,
        )
        return resolution_pb2.SearchKnowledgeResponse(entries=entries)

    async def DecideOffer(self, request, context) -> resolution_pb2.Offer:
        return await self._service.decide_offer(
            request.tenant_id, request.case_id, request.offer_id, decision=request.decision, actor=request.actor
        )

    async def GetEvidencePack(self, request, context):
        filename, data = await self._service.evidence_pack(request.tenant_id, request.case_id)
        return resolution_pb2.EvidencePack(filename=filename, zip=data)
