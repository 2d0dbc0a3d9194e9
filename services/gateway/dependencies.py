"""FastAPI dependencies: the backends' gRPC stubs and who a request acts for (a Principal: an API
key or a signed-in person), checked against the rule table of services/gateway/people/permissions.py."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

import asyncpg
import grpc
from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from libs import paging
from libs.errors import Unavailable
from reviewguard.alerting.v1 import alerting_pb2_grpc
from reviewguard.ingest.v1 import ingest_pb2_grpc
from reviewguard.nlp.v1 import nlp_pb2_grpc
from reviewguard.reporting.v1 import reporting_pb2_grpc
from reviewguard.resolution.v1 import resolution_pb2_grpc
from services.gateway.people import guard
from services.gateway.people.principal import Principal
from services.gateway.people.sessions import COOKIE

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
_session = APIKeyCookie(
    name=COOKIE, auto_error=False,
    description="a person's session (POST /v1/session); state-changing requests also send `X-CSRF-Token`",
)  # fmt: skip


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session_id: Annotated[str | None, Depends(_session)],
) -> Principal:
    """Who the request acts for (a bearer API key, else the session cookie), allowed by the rule
    table for this route and method: 401 without a valid key or live session, 403 when the role,
    scopes, CSRF token or (for an agent) the case's market refuse it, 429 (with Retry-After) once
    the key's or session's rate limit or the tenant's daily quota is spent."""
    access = guard.route_access(request)
    try:
        if credentials is not None and credentials.credentials:
            principal = await _from_key(request, credentials.credentials)
        elif session_id:
            principal = await guard.from_cookie(request, session_id)
        else:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "missing credentials: send `Authorization: Bearer <key>` or sign in (POST /v1/session)",
                headers={"WWW-Authenticate": "Bearer"},
            )
    except _DB_DOWN as error:
        log.warning("API key or session store unreachable", extra={"fields": {"error": type(error).__name__}})
        raise Unavailable("the API key and session store is unavailable; retry later") from None
    # NOTE: from here on the request is someone's: the audit trail (people/audit.py) names them.
    request.state.principal = principal
    refused = await request.app.state.rate_limits.check(principal.limit_key, principal.tenant_id)
    if refused is not None:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, refused.reason, headers={"Retry-After": str(refused.retry_after)})
    guard.authorize(principal, access)
    await guard.check_case_scope(request, principal)
    return principal


async def _from_key(request: Request, api_key: str) -> Principal:
    digest, grant = await request.app.state.api_keys.verify(api_key, timeout=_DB_TIMEOUT_SECONDS)
    if grant is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"})
    return Principal(tenant_id=grant.tenant_id, actor=f"key:{grant.prefix}", limit_key=digest, scopes=grant.scopes)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_tenant(principal: PrincipalDep) -> uuid.UUID:
    """The tenant the request acts for, once get_principal let it through."""
    return principal.tenant_id


async def get_case_markets(request: Request, tenant: Annotated[uuid.UUID, Depends(get_tenant)]) -> frozenset[str] | None:
    """The markets whose cases the caller sees; None: all (everyone but an agent)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or principal.sees_every_market:
        return None
    return await guard.team_markets(request, principal)


BackendsDep = Annotated[Backends, Depends(get_backends)]
TenantDep = Annotated[uuid.UUID, Depends(get_tenant)]
CaseMarketsDep = Annotated[frozenset[str] | None, Depends(get_case_markets)]


T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """`page_size` + `page_token` of a list call (README, "Paging"): the one convention of every list."""

    size: int = paging.DEFAULT_PAGE_SIZE
    token: str = ""

    def of(self, items: Sequence[T]) -> tuple[list[T], str | None]:
        """This page of a list a service answered whole, and the next page's token (None on the last)."""
        page, next_token = paging.window_page(items, self.size, self.token)
        return page, next_token or None


def get_page(
    page_size: Annotated[int, Query(ge=1, le=paging.MAX_PAGE_SIZE, description="items per page")] = paging.DEFAULT_PAGE_SIZE,
    page_token: Annotated[str, Query(description="the previous page's next_page_token; empty for the first page")] = "",
) -> PageRequest:
    return PageRequest(page_size, page_token)


PageDep = Annotated[PageRequest, Depends(get_page)]
