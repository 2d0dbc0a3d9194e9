"""The status a backend's caller sees: a domain error's own code, a database outage UNAVAILABLE, a bug INTERNAL."""

from __future__ import annotations

import asyncpg
import grpc
import pytest
from grpc_health.v1 import health_pb2

from libs.errors import NotFound
from libs.grpc_server import GrpcServer

METHOD = "/reviewguard.test.v1.Probe/Call"


async def _serve(handler) -> tuple[GrpcServer, grpc.aio.Channel]:
    server = GrpcServer(bind="127.0.0.1:0", service_names=["reviewguard.test.v1.Probe"])
    server.server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("reviewguard.test.v1.Probe", {
        "Call": grpc.unary_unary_rpc_method_handler(
            handler,
            request_deserializer=health_pb2.HealthCheckRequest.FromString,
            response_serializer=health_pb2.HealthCheckResponse.SerializeToString,
        ),
    })])
    await server.start()
    return server, grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")


async def _call(channel: grpc.aio.Channel) -> grpc.aio.AioRpcError:
    call = channel.unary_unary(METHOD, request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                               response_deserializer=health_pb2.HealthCheckResponse.FromString)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(health_pb2.HealthCheckRequest(), timeout=5)
    return raised.value


async def test_a_call_caught_by_a_closing_database_pool_is_unavailable_not_internal(database_url: str) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    await pool.close()  # what a backend's pool is while PostgreSQL shuts down

    async def reads_the_database(request, context):
        await pool.fetchval("SELECT 1")
        return health_pb2.HealthCheckResponse()

    server, channel = await _serve(reads_the_database)
    try:
        error = await _call(channel)
        assert error.code() == grpc.StatusCode.UNAVAILABLE, error
        assert "asyncpg" not in error.details() and "pool" not in error.details(), "no internals leak to the caller"
    finally:
        await channel.close()
        await server.stop(0)


async def test_a_domain_error_keeps_its_code_and_a_bug_stays_internal() -> None:
    calls = []

    async def raises(request, context):
        calls.append(1)
        if len(calls) == 1:
            raise NotFound("case 42 not found")
        raise KeyError("a bug, not an outage")

    server, channel = await _serve(raises)
    try:
        first = await _call(channel)
        assert first.code() == grpc.StatusCode.NOT_FOUND and first.details() == "case 42 not found"
        second = await _call(channel)
        assert second.code() == grpc.StatusCode.UNKNOWN or second.code() == grpc.StatusCode.INTERNAL, second
    finally:
        await channel.close()
        await server.stop(0)
