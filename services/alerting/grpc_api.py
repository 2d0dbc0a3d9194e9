"""gRPC adapter of the alerting service."""

from __future__ import annotations

import grpc

from reviewguard.alerting.v1 import alert_pb2, alerting_pb2, alerting_pb2_grpc
from services.alerting.service import AlertingService


class AlertingServicer(alerting_pb2_grpc.AlertingServiceServicer):
    def __init__(self, service: AlertingService) -> None:
        self._service = service

    async def ListAlerts(self, request: alerting_pb2.ListAlertsRequest, context: grpc.aio.ServicerContext):
        alerts, token = await self._service.list(
            request.tenant_id, review_id=request.review_id, page_size=request.page_size, page_token=request.page_token
        )
        return alerting_pb2.ListAlertsResponse(alerts=alerts, next_page_token=token)

    async def GetAlert(self, request: alerting_pb2.GetAlertRequest, context: grpc.aio.ServicerContext) -> alert_pb2.Alert:
        return await self._service.get(request.tenant_id, request.alert_id)
