"""gRPC servers as every service runs them: tracing, domain-error mapping, health, reflection."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status
from opentelemetry.instrumentation.grpc import aio_server_interceptor

from libs.errors import DomainError, Unavailable, is_dependency_outage, to_rpc_status
from libs.grpc_auth import AuthInterceptor, GrpcAuth
from libs.grpc_client import DEFAULT_MAX_MESSAGE_BYTES, message_size_options
from libs.metrics import Metrics, grpc_duration, grpc_requests
from libs.settings import Settings

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
            except Exception as error:
                # NOTE: a call caught at the instant PostgreSQL stops (the pool closing, a connection
                # lost mid-query) is the dependency's outage, not a bug: UNAVAILABLE, which the
                # gateway answers as 503 with Retry-After. Anything else stays INTERNAL.
                if not is_dependency_outage(error):
                    raise
                log.warning("call failed: dependency unavailable", extra={"fields": {
                    "method": handler_call_details.method, "error": type(error).__name__}})
                await context.abort_with_status(rpc_status.to_status(to_rpc_status(
                    Unavailable("a dependency is unavailable; retry shortly"))))

        return grpc.unary_unary_rpc_method_handler(
            unary_unary,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Counts every call by method and status code and times it (libs/metrics.py)."""

    def __init__(self, metrics: Metrics) -> None:
        self._requests = grpc_requests(metrics)
        self._duration = grpc_duration(metrics)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None:
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._timed(method, handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                self._timed(method, handler.stream_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _timed(self, method: str, inner):
        async def call(request, context: grpc.aio.ServicerContext):
            started = time.perf_counter()
            code = grpc.StatusCode.UNKNOWN
            try:
                response = await inner(request, context)
                code = context.code() or grpc.StatusCode.OK
                return response
            except BaseException:
                # NOTE: an abort raises after setting the code; anything else is what gRPC answers UNKNOWN.
                code = context.code() or grpc.StatusCode.UNKNOWN
                raise
            finally:
                self._requests.labels(method, code.name if isinstance(code, grpc.StatusCode) else str(code)).inc()
                self._duration.labels(method).observe(time.perf_counter() - started)

        return call


def is_loopback_bind(bind: str) -> bool:
    """Whether `host:port` listens on loopback only (127.0.0.0/8, ::1, localhost)."""
    host = bind.rsplit(":", 1)[0].strip("[]") if ":" in bind else bind
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """mTLS server credentials (a client certificate signed by the CA is required), or None."""
    if not settings.grpc_tls_enabled():
        return None
    return grpc.ssl_server_credentials(
        [(settings.grpc_tls_key_file.read_bytes(), settings.grpc_tls_cert_file.read_bytes())],
        root_certificates=settings.grpc_tls_ca_file.read_bytes(),
        require_client_auth=True,
    )


class GrpcServer:
    """A grpc.aio server with the standard health service, reflection and interceptors.

    Health starts NOT_SERVING and turns SERVING only when the wiring root calls `set_serving`,
    i.e. when the service's dependencies (database, bus) are ready.
    """

    def __init__(
        self,
        *,
        bind: str,
        service_names: Iterable[str],
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        auth: GrpcAuth | None = None,
        credentials: grpc.ServerCredentials | None = None,
        allow_plaintext_remote: bool = False,
        metrics: Metrics | None = None,
    ) -> None:
        # NOTE: SO_REUSEPORT lets the replicas of one service on one host share its port; the kernel
        # spreads connections among them (it is gRPC's default on Linux; stated so nobody turns it off).
        # The message limit must exceed the gateway's HTTP body limit (Settings.grpc_message_limit):
        # gRPC's default 4 MiB would refuse a valid 7 MB request as RESOURCE_EXHAUSTED.
        # NOTE: `auth` None (tests of one servicer) admits every caller; wiring roots build servers
        # with `for_service`, which always authenticates.
        interceptors = [
            aio_server_interceptor(),
            *([MetricsInterceptor(metrics)] if metrics is not None else []),
            *([AuthInterceptor(auth)] if auth is not None else []),
            DomainErrorInterceptor(),
        ]
        if credentials is None and not allow_plaintext_remote and not is_loopback_bind(bind):
            raise RuntimeError(
                f"refusing plaintext gRPC on {bind}: configure REVIEWGUARD_GRPC_TLS_CERT_FILE/_KEY_FILE/_CA_FILE, "
                "bind to loopback, or set REVIEWGUARD_GRPC_ALLOW_PLAINTEXT_REMOTE=true"
            )
        self._credentials = credentials
        self._server = grpc.aio.server(
            interceptors=interceptors,
            options=[("grpc.so_reuseport", 1), *message_size_options(max_message_bytes)],
        )
        self._health = health.aio.HealthServicer()
        self._names = list(service_names)
        self._bind = bind
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        reflection.enable_server_reflection([*self._names, health.SERVICE_NAME, reflection.SERVICE_NAME], self._server)
        self.port: int | None = None

    @classmethod
    def for_service(
        cls, settings: Settings, *, port: int, service_names: Iterable[str], auth: GrpcAuth, metrics: Metrics | None = None
    ) -> "GrpcServer":
        """A backend's server as its settings say: bind host, message limit, mTLS or guarded plaintext."""
        return cls(
            bind=f"{settings.host}:{port}",
            service_names=service_names,
            max_message_bytes=settings.grpc_message_limit(),
            auth=auth,
            credentials=server_credentials(settings),
            allow_plaintext_remote=settings.grpc_allow_plaintext_remote,
            metrics=metrics,
        )

    @property
    def server(self) -> grpc.aio.Server:
        """The underlying server, for add_XServicer_to_server."""
        return self._server

    async def start(self) -> None:
        if self._credentials is not None:
            self.port = self._server.add_secure_port(self._bind, self._credentials)
        else:
            self.port = self._server.add_insecure_port(self._bind)
        if self.port == 0:
            raise RuntimeError(f"cannot bind gRPC server to {self._bind}")
        await self._server.start()
        for name in ["", *self._names]:
            await self._health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        log.info("gRPC listening", extra={"fields": {"bind": self._bind, "tls": self._credentials is not None}})

    async def set_serving(self) -> None:
        for name in ["", *self._names]:
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float) -> None:
        """Refuses new calls, lets running ones finish for `grace` seconds."""
        await self._health.enter_graceful_shutdown()
        await self._server.stop(grace)
