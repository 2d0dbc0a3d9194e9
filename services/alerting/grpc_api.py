"""gRPC adapter of the alerting service."""

from __future__ import annotations

import json

import grpc

from libs.errors import FieldViolation, InvalidArgument
from reviewguard.alerting.v1 import alert_pb2, alerting_pb2, alerting_pb2_grpc
from services.alerting.service import AlertingService


STATUS_KEY = "status"


def _require_alertmanager(fmt: int) -> None:
    if fmt != alerting_pb2.ROUTING_FORMAT_ALERTMANAGER:
        raise InvalidArgument("unsupported routing format", [FieldViolation("format", "ROUTING_FORMAT_ALERTMANAGER")])


class AlertingServicer(alerting_pb2_grpc.AlertingServiceServicer):
    def __init__(self, service: AlertingService) -> None:
        self._service = service

    async def ListAlerts(self, request: alerting_pb2.ListAlertsRequest, context: grpc.aio.ServicerContext):
        alerts, token = await self._service.list(
            request.tenant_id,
            review_id=request.review_id,
            page_size=request.page_size,
            page_token=request.page_token,
            rule=request.rule,
            status=request.status,
            labels=list(request.labels),
        )
        return alerting_pb2.ListAlertsResponse(alerts=alerts, next_page_token=token)

    async def GetAlert(self, request: alerting_pb2.GetAlertRequest, context: grpc.aio.ServicerContext) -> alert_pb2.Alert:
        return await self._service.get(request.tenant_id, request.alert_id)

    async def AcknowledgeAlert(self, request: alerting_pb2.AlertActionRequest, context) -> alert_pb2.Alert:
        return await self._service.acknowledge(request.tenant_id, request.alert_id, request.actor)

    async def ResolveAlert(self, request: alerting_pb2.AlertActionRequest, context) -> alert_pb2.Alert:
        return await self._service.resolve(request.tenant_id, request.alert_id, request.actor)

    async def GetPolicy(self, request: alerting_pb2.GetPolicyRequest, context) -> alerting_pb2.Policy:
        policy, version = await self._service.get_policy(request.tenant_id)
        status = await self._service.policy_status(request.tenant_id)
        # NOTE: each rule's status travels under "status" in policy_json until Policy gets a field
        # of its own (status_json); PutPolicy drops the key, so a read-modify-write round trip works.
        body = {**policy.model_dump(mode="json"), STATUS_KEY: status}
        return alerting_pb2.Policy(tenant_id=request.tenant_id, policy_json=json.dumps(body), version=version)

    async def PutPolicy(self, request: alerting_pb2.PutPolicyRequest, context) -> alerting_pb2.Policy:
        policy_json = request.policy_json
        try:
            body = json.loads(policy_json)
        except ValueError:
            body = None  # NOTE: the service reports the bad JSON
        if isinstance(body, dict) and STATUS_KEY in body:
            policy_json = json.dumps({k: v for k, v in body.items() if k != STATUS_KEY})
        policy, version = await self._service.put_policy(request.tenant_id, policy_json)
        return alerting_pb2.Policy(tenant_id=request.tenant_id, policy_json=policy.model_dump_json(), version=version)

    async def ExportRouting(self, request: alerting_pb2.ExportRoutingRequest, context) -> alerting_pb2.RoutingConfig:
        _require_alertmanager(request.format)
        config, version = await self._service.export_routing(request.tenant_id)
        return alerting_pb2.RoutingConfig(tenant_id=request.tenant_id, format=request.format, config=config, version=version)

    async def ImportRouting(self, request: alerting_pb2.ImportRoutingRequest, context) -> alerting_pb2.Policy:
        _require_alertmanager(request.format)
        policy, version = await self._service.import_routing(request.tenant_id, request.config)
        return alerting_pb2.Policy(tenant_id=request.tenant_id, policy_json=policy.model_dump_json(), version=version)

    async def ListBacklog(self, request: alerting_pb2.ListBacklogRequest, context) -> alerting_pb2.ListBacklogResponse:
        items, token = await self._service.history_backlog(request.tenant_id, page_size=request.page_size, page_token=request.page_token)
        response = alerting_pb2.ListBacklogResponse(next_page_token=token)
        for item in items:
            entry = response.items.add(
                review_id=item["review_id"], platform=item["platform"], marketplace=item["marketplace"],
                product_id=item["product_id"], rating=item["rating"], severity=item["severity"], summary=item["summary"],
                reasons=item["reasons"], labels={k: str(v) for k, v in item["labels"].items()},
            )  # fmt: skip
            entry.posted_at.FromJsonString(item["posted_at"])
        return response

    async def PromoteBacklog(self, request: alerting_pb2.PromoteBacklogRequest, context) -> alerting_pb2.PromoteBacklogResponse:
        alerts = await self._service.promote_backlog(request.tenant_id, list(request.review_ids), request.actor)
        return alerting_pb2.PromoteBacklogResponse(alerts=alerts)

    async def EvaluateTrends(self, request: alerting_pb2.EvaluateTrendsRequest, context):
        fired = await self._service.evaluate_trends(request.tenant_id)
        return alerting_pb2.EvaluateTrendsResponse(alerts_fired=fired)

    async def PutReceiver(self, request: alerting_pb2.PutReceiverRequest, context) -> alerting_pb2.Receiver:
        return await self._service.put_receiver(request.tenant_id, request.name, request.config_json, request.quiet_hours_json)

    async def ListReceivers(self, request: alerting_pb2.ListReceiversRequest, context):
        return alerting_pb2.ListReceiversResponse(receivers=await self._service.list_receivers(request.tenant_id))

    async def DeleteReceiver(self, request: alerting_pb2.DeleteReceiverRequest, context):
        await self._service.delete_receiver(request.tenant_id, request.name)
        return alerting_pb2.DeleteReceiverResponse()

    async def CreateSilence(self, request: alerting_pb2.CreateSilenceRequest, context) -> alerting_pb2.Silence:
        return await self._service.create_silence(request.tenant_id, request.silence)

    async def ListSilences(self, request: alerting_pb2.ListSilencesRequest, context):
        return alerting_pb2.ListSilencesResponse(silences=await self._service.list_silences(request.tenant_id))

    async def ExpireSilence(self, request: alerting_pb2.ExpireSilenceRequest, context):
        await self._service.expire_silence(request.tenant_id, request.silence_id)
        return alerting_pb2.ExpireSilenceResponse()

    async def ListDeliveries(self, request: alerting_pb2.ListDeliveriesRequest, context):
        deliveries = await self._service.list_deliveries(request.tenant_id, request.alert_id, request.page_size)
        return alerting_pb2.ListDeliveriesResponse(deliveries=deliveries)
