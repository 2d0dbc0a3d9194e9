"""/healthz: the gateway, its database and every backend's gRPC health."""

from __future__ import annotations

import asyncio

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2, health_pb2_grpc

router = APIRouter(tags=["health"])


async def _backend_status(channel: grpc.aio.Channel) -> str:
    try:
        response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2.0)
    except grpc.aio.AioRpcError as error:
        return f"unreachable ({error.code().name.lower()})"
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status).lower()


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers and every backend is serving, else 503 naming what is not."""
    channels = request.app.state.backends.channels
    statuses = await asyncio.gather(*(_backend_status(ch) for ch in channels.values()))
    checks = dict(zip(channels, statuses))
    try:
        async with request.app.state.pool.acquire(timeout=2.0) as conn:
            await conn.fetchval("SELECT 1")
        checks["database"] = "serving"
    except Exception as error:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"unreachable ({type(error).__name__})"
    healthy = all(v == "serving" for v in checks.values())
    return JSONResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status_code=200 if healthy else 503)
