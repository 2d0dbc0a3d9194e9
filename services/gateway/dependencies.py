"""FastAPI dependencies: the backends' gRPC stubs and the tenant an API key acts for."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Annotated

import asyncpg
import grpc
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from libs.errors import Unavailable
from reviewguard.alerting.v1 import alerting_pb2_grpc
from reviewguard.ingest.v1 import ingest_pb2_grpc
from reviewguard.nlp.v1 import nlp_pb2_grpc
from reviewguard.reporting.v1 import reporting_pb2_grpc
from reviewguard.resolution.v1 import resolution_pb2_grpc

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backends:
    """Stubs over channels that the wiring root opened and will close."""

    ingest: ingest_pb2_grpc.IngestServiceStub
    nlp: nlp_pb2_grpc.NlpServiceStub
    alerting: alerting_pb2_grpc.AlertingServiceStub
    resolution: resolution_pb2_grpc.ResolutionServiceStub
    channels: dict[str, grpc.aio.Channel]
    # NOTE: served by the alerting service, on its channel.
    reporting: reporting_pb2_grpc.ReportingStub | None = None


def get_backends(request: Request) -> Backends:
    return request.app.state.backends


def get_pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool


# A database that is down, restarting or out of connections: the caller may retry (503), the
# gateway's own code is not at fault (500).
_DB_DOWN = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,  # a closed pool, a connection lost mid-call
)
_DB_TIMEOUT_SECONDS = 10.0

_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer rg_...`")


async def get_tenant(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> uuid.UUID:
    """The tenant the bearer API key belongs to; 401 without a valid key, 429 (with Retry-After)
    once the key's rate limit or the tenant's daily quota is spent."""
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API key: send `Authorization: Bearer <key>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        digest, grant = await request.app.state.api_keys.verify(credentials.credentials, timeout=_DB_TIMEOUT_SECONDS)
    except _DB_DOWN as error:
        log.warning("API key store unreachable", extra={"fields": {"error": type(error).__name__}})
        raise Unavailable("the API key store is unavailable; retry later") from None
    if grant is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
    refused = await request.app.state.rate_limits.check(digest, grant.tenant_id)
    if refused is not None:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, refused.reason, headers={"Retry-After": str(refused.retry_after)})
    return grant.tenant_id


BackendsDep = Annotated[Backends, Depends(get_backends)]
TenantDep = Annotated[uuid.UUID, Depends(get_tenant)]
