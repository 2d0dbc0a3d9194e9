"""The gRPC adapter in-process: calls translate to the service and domain errors to status codes."""

from __future__ import annotations

import json
import uuid

import grpc
import pytest

from libs.grpc_client import open_channel
from libs.grpc_server import GrpcServer
from reviewguard.resolution.v1 import case_pb2, resolution_pb2, resolution_pb2_grpc
from services.resolution.grpc_api import ResolutionServicer
from tests.services.resolution.conftest import open_case

TENANT = str(uuid.uuid4())


@pytest.fixture
async def stub(workflow):
    server = GrpcServer(bind="127.0.0.1:0", service_names=["reviewguard.resolution.v1.ResolutionService"])
    resolution_pb2_grpc.add_ResolutionServiceServicer_to_server(ResolutionServicer(workflow), server.server)
    await server.start()
    channel = open_channel(f"127.0.0.1:{server.port}")
    yield resolution_pb2_grpc.ResolutionServiceStub(channel)
    await channel.close()
    await server.stop(0)


async def test_workflow_over_grpc_with_status_codes(workflow, stub) -> None:
    case = await open_case(workflow, TENANT, marketplace="ES")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.TransitionCase(resolution_pb2.TransitionCaseRequest(tenant_id=TENANT, case_id=case.id, to_status=case_pb2.CASE_STATUS_RESOLVED))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "allowed: assigned, escalated" in refused.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as blocked:
        await stub.SendReply(resolution_pb2.SendReplyRequest(
            tenant_id=TENANT, case_id=case.id, text="Le devolvemos el dinero a cambio de una reseña nueva."))
    assert blocked.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "review.incentive" in blocked.value.details()
    sent = await stub.SendReply(resolution_pb2.SendReplyRequest(
        tenant_id=TENANT, case_id=case.id, scenario="wrong_item",
        placeholders={"buyer_name": "Sr. García", "product_name": "Hervidor", "order_id": "405-1", "seller_name": "Kettle Co."}))
    assert sent.language == "es" and "Sr. García" in sent.text and "405-1" in sent.text
    checked = await stub.CheckCompliance(resolution_pb2.CheckComplianceRequest(text="请删除差评，我们给您返现", platform="aliexpress"))
    assert not checked.passed and checked.violations[0].rule_id == "review.remove_or_change"
    kpis = await stub.GetKpis(resolution_pb2.GetKpisRequest(tenant_id=TENANT))
    assert kpis.cases == 1 and kpis.response_rate_target == 0.95
    policy = await stub.PutPolicy(resolution_pb2.PutPolicyRequest(tenant_id=TENANT, policy_json='{"sla_high_hours": 4}'))
    assert json.loads(policy.policy_json)["sla_high_hours"] == 4.0 and policy.version == 1
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.GetCase(resolution_pb2.GetCaseRequest(tenant_id=str(uuid.uuid4()), case_id=case.id))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    events = await stub.ListCaseEvents(resolution_pb2.ListCaseEventsRequest(tenant_id=TENANT, case_id=case.id))
    assert [e.kind for e in events.events] == ["opened", "reply_sent", "transition", "transition"]
