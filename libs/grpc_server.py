"""gRPC servers as every service runs them: tracing, domain-error mapping, health, reflection."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status
from opentelemetry.instrumentation.grpc import aio_server_interceptor

from libs.errors import DomainError, to_rpc_status
from libs.grpc_client import DEFAULT_MAX_MESSAGE_BYTES, message_size_options

log = logging.getLogger(__name__)


class DomainErrorInterceptor(grpc.aio.ServerInterceptor):
    """Turns a DomainError raised by a servicer into its status code and details."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner = handler.unary_unary

        async def unary_unary(request, context: grpc.aio.ServicerContext):
            try:
                return await inner(request, context)
            except DomainError as error:
                await context.abort_with_status(rpc_status.to_status(to_rpc_status(error)))

        return grpc.unary_unary_rpc_method_handler(
            unary_unary,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class GrpcServer:
    """A grpc.aio server with the standard health service, reflection and interceptors.

    Health starts NOT_SERVING and turns SERVING only when the wiring root calls `set_serving`,
    i.e. when the service's dependencies (database, bus) are ready.
    """

    def __init__(self, *, bind: str, service_names: Iterable[str], max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        # NOTE: SO_REUSEPORT lets the replicas of one service on one host share its port; the kernel
        # spreads connections among them (it is gRPC's default on Linux; stated so nobody turns it off).
        # The message limit must exceed the gateway's HTTP body limit (Settings.grpc_message_limit):
        # gRPC's default 4 MiB would refuse a valid 7 MB request as RESOURCE_EXHAUSTED.
        self._server = grpc.aio.server(
            interceptors=[aio_server_interceptor(), DomainErrorInterceptor()],
            options=[("grpc.so_reuseport", 1), *message_size_options(max_message_bytes)],
        )
        self._health = health.aio.HealthServicer()
        self._names = list(service_names)
        self._bind = bind
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        reflection.enable_server_reflection([*self._names, health.SERVICE_NAME, reflection.SERVICE_NAME], self._server)
        self.port: int | None = None

    @property
    def server(self) -> grpc.aio.Server:
        """The underlying server, for add_XServicer_to_server."""
        return self._server

    async def start(self) -> None:
        self.port = self._server.add_insecure_port(self._bind)
        if self.port == 0:
            raise RuntimeError(f"cannot bind gRPC server to {self._bind}")
        await self._server.start()
        for name in ["", *self._names]:
            await self._health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        log.info("gRPC listening", extra={"fields": {"bind": self._bind}})

    async def set_serving(self) -> None:
        for name in ["", *self._names]:
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float) -> None:
        """Refuses new calls, lets running ones finish for `grace` seconds."""
        await self._health.enter_graceful_shutdown()
        await self._server.stop(grace)
