"""`python -m libs.healthcheck SERVICE`: asks this pod's own backend for its gRPC health, the way
a peer would (mTLS when configured), and exits 0 only when it answers SERVING.

NOTE: Kubernetes' native `grpc:` probe cannot present a client certificate, so with mutual TLS
on (deploy/k8s/components/grpc-mtls) the probes run this instead. Health is open to callers
without a token (libs/grpc_auth.py), so no token is needed here.
"""

from __future__ import annotations

import asyncio
import sys

from grpc_health.v1 import health_pb2, health_pb2_grpc

from libs.grpc_client import channel_credentials, open_channel
from libs.settings import Settings

SERVICES = ("ingest", "nlp", "alerting", "resolution")


async def check(settings: Settings, service: str, timeout: float = 3.0) -> bool:
    port = getattr(settings, f"{service}_port")
    channel = open_channel(f"127.0.0.1:{port}", credentials=channel_credentials(settings), server_name=settings.grpc_tls_server_name)
    try:
        answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        return answer.status == health_pb2.HealthCheckResponse.SERVING
    except Exception:  # noqa: BLE001 - any failure is "not healthy" to a probe
        return False
    finally:
        await channel.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in SERVICES:
        print(f"usage: python -m libs.healthcheck {{{'|'.join(SERVICES)}}}", file=sys.stderr)
        return 2
    return 0 if asyncio.run(check(Settings(), args[0])) else 1


if __name__ == "__main__":
    raise SystemExit(main())
