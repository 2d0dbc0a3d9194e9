"""The gateway's case routes over a real resolution service (in-process gRPC, real PostgreSQL and NATS)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from libs.grpc_client import open_channel
from libs.grpc_server import GrpcServer
from libs.settings import Settings
from reviewguard.resolution.v1 import resolution_pb2_grpc
from services.gateway.app import create_app
from services.gateway.dependencies import Backends, get_tenant
from services.resolution.grpc_api import ResolutionServicer
from tests.services.resolution.conftest import clock, pool, toolkit, workflow  # noqa: F401 - fixtures

TENANT = uuid.uuid4()


@pytest.fixture
async def api(workflow):  # noqa: F811 - the imported fixture
    server = GrpcServer(bind="127.0.0.1:0", service_names=["reviewguard.resolution.v1.ResolutionService"])
    resolution_pb2_grpc.add_ResolutionServiceServicer_to_server(ResolutionServicer(workflow), server.server)
    await server.start()
    channel = open_channel(f"127.0.0.1:{server.port}")
    app = create_app(Settings())
    # NOTE: no lifespan here: the test wires the one backend these routes use and acts as one tenant.
    app.state.backends = Backends(ingest=None, nlp=None, alerting=None, resolution=resolution_pb2_grpc.ResolutionServiceStub(channel),
                                  channels={})
    app.dependency_overrides[get_tenant] = lambda: TENANT
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client
    await channel.close()
    await server.stop(0)
