"""`python -m libs.healthcheck SERVICE`, the probe the production pods run (mTLS leaves the
kubelet's own gRPC probe without a certificate): SERVING is 0, anything else is not."""

from __future__ import annotations

from libs import healthcheck
from libs.embedded import free_port
from libs.grpc_server import GrpcServer
from libs.settings import Settings


async def test_the_probe_passes_on_a_serving_backend_and_fails_on_a_silent_port() -> None:
    server = GrpcServer(bind="127.0.0.1:0", service_names=["reviewguard.alerting.v1.AlertingService"])
    await server.start()
    try:
        assert not await healthcheck.check(Settings(alerting_port=server.port), "alerting"), "not SERVING before set_serving"
        await server.set_serving()
        assert await healthcheck.check(Settings(alerting_port=server.port), "alerting")
    finally:
        await server.stop(0)
    assert not await healthcheck.check(Settings(alerting_port=free_port()), "alerting", timeout=1.0)
    assert healthcheck.main(["billing"]) == 2
