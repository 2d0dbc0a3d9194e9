"""/livez, /readyz and /healthz: the gateway, its database, NATS and every backend's gRPC health.

- `/livez`: the process answers; no dependency is consulted (a liveness probe restarts only a
  gateway that is itself stuck, never one whose database is down).
- `/readyz`: 200 only when PostgreSQL answers `SELECT 1`, NATS answers a round trip and every gRPC
  peer's health service says SERVING; else 503 with `Retry-After` and the checks that failed.
- `/healthz`: the same checks, each one's state, with the same status codes (kept for existing users).

NATS is checked over a light connection of the gateway's own (see NatsProbe): the backends' gRPC
health says SERVING while their bus is reconnecting, so asking them would not notice NATS down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Literal

import grpc
import nats
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pydantic import BaseModel, Field

from services.gateway.proto_json import omitted_when_unset

from libs.bus import servers_of

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

CHECK_TIMEOUT = 2.0
RETRY_AFTER_SECONDS = 5


class NatsProbe:
    """A connection used only to ask NATS for a round trip (PING/PONG); it reconnects by itself."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._nc: nats.aio.client.Client | None = None
        self._connecting = asyncio.Lock()

    async def _noop(self, *_args) -> None:
        return None

    async def _connection(self):
        if self._nc is not None:
            return self._nc
        async with self._connecting:
            if self._nc is None:
                self._nc = await asyncio.wait_for(
                    nats.connect(
                        servers_of(self.url), name="reviewguard-gateway-health", connect_timeout=1, allow_reconnect=True,
                        max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                        error_cb=self._noop, disconnected_cb=self._noop, reconnected_cb=self._noop, closed_cb=self._noop,
                    ),
                    timeout=CHECK_TIMEOUT,
                )
        return self._nc

    async def check(self) -> str:
        try:
            nc = await self._connection()
            if not nc.is_connected:
                return "unreachable (reconnecting)"
            await nc.flush(timeout=CHECK_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - reported, not raised
            return f"unreachable ({type(error).__name__})"
        return "serving"

    async def close(self) -> None:
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
            self._nc = None


async def _backend_status(channel: grpc.aio.Channel) -> str:
    try:
        response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=CHECK_TIMEOUT)
    except grpc.aio.AioRpcError as error:
        return f"unreachable ({error.code().name.lower()})"
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status).lower()


async def _database_status(pool) -> str:
    if pool is None:
        return "unreachable (no pool)"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return f"unreachable ({type(error).__name__})"
    return "serving"


async def run_checks(app) -> dict[str, str]:
    """Every dependency's state, checked concurrently: "serving" or why not."""
    state = app.state
    backends = getattr(state, "backends", None)
    channels = backends.channels if backends is not None else {}
    probe: NatsProbe | None = getattr(state, "nats_probe", None)
    names = [*channels, "database"]
    checks = [*(_backend_status(ch) for ch in channels.values()), _database_status(getattr(state, "pool", None))]
    if probe is not None and probe.url:
        names.append("nats")
        checks.append(probe.check())
    return dict(zip(names, await asyncio.gather(*checks)))


def _report(checks: dict[str, str]) -> JSONResponse:
    failed = sorted(name for name, value in checks.items() if value != "serving")
    body = {"status": "degraded" if failed else "ok", "checks": checks}
    if failed:
        body["failed"] = failed
        return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return JSONResponse(body)


class Alive(BaseModel):
    status: Literal["ok"]


class HealthReport(BaseModel):
    status: Literal["ok", "degraded"]
    checks: dict[str, str] = Field(description='per dependency: "serving" or why not', examples=[{"database": "serving", "nats": "serving"}])
    failed: list[str] | None = Field(None, description="503 only: the checks that failed", json_schema_extra=omitted_when_unset)


_NOT_READY = {
    503: {
        "model": HealthReport,
        "description": "a dependency is down; `failed` names it",
        "headers": {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}},
    }
}


@router.get("/livez", response_model=Alive)
async def livez() -> JSONResponse:
    """200 while the process serves HTTP; consults nothing else."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz", response_model=HealthReport, responses=_NOT_READY)
async def readyz(request: Request) -> JSONResponse:
    """200 when PostgreSQL, NATS and every gRPC peer answer, else 503 naming the failed checks."""
    return _report(await run_checks(request.app))


@router.get("/healthz", response_model=HealthReport, responses=_NOT_READY)
async def healthz(request: Request) -> JSONResponse:
    """Each check's state; 200 when all are serving, else 503 (with `failed` and Retry-After)."""
    return _report(await run_checks(request.app))
