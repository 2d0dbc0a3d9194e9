"""Wiring root of the gateway: the FastAPI app, its pool and gRPC channels, served by uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from contextlib import asynccontextmanager

import asyncpg
import grpc
import uvicorn
from argon2 import PasswordHasher
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from libs import db, paging
from libs.errors import DomainError, InvalidArgument, domain_to_http, grpc_to_http, violations_of
from libs.grpc_client import open_peer_channel
from libs.metrics import AsgiMetrics, Metrics
from libs.settings import Settings
from reviewguard.alerting.v1 import alerting_pb2_grpc
from reviewguard.ingest.v1 import ingest_pb2_grpc
from reviewguard.nlp.v1 import nlp_pb2_grpc
from reviewguard.reporting.v1 import reporting_pb2_grpc
from reviewguard.resolution.v1 import resolution_pb2_grpc
from services.gateway.api_keys import ApiKeys, KeyHasher
from services.gateway.console import site as console
from services.gateway.dependencies import Backends
from services.gateway.edge import refuse_unsafe_parameters
from services.gateway.people import routes as people_routes
from services.gateway.people.accounts import Passwords
from services.gateway.people.audit import AuditTrail
from services.gateway.rate_limits import RateLimits
from services.gateway.routes import alerts, cases, health, inbox, nlp_settings, notifications, reports, reviews
from services.gateway.routes import ingest as ingest_routes
from services.gateway.routes import resolution as resolution_routes
from services.gateway.sso import routes as sso_routes
from services.gateway.tenants import MIGRATIONS, SCHEMA

log = logging.getLogger(__name__)


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` with 413, before they are read whole.

    File uploads (`/v1/imports`) are exempt: they are streamed to the ingest service, which
    enforces its own, larger limit.
    """

    def __init__(self, app, max_bytes: int, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self._app = app
        self._max = max_bytes
        self._exempt = exempt_prefixes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(self._exempt):
            return await self._app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max:
            return await self._refuse(send)
        seen = 0

        async def counting_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self._max:
                    raise _TooLarge(self._max)
            return message

        try:
            await self._app(scope, counting_receive, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send) -> None:
        response = JSONResponse({"detail": _too_large(self._max)}, status_code=413)
        await response({"type": "http"}, None, send)


def _too_large(limit: int) -> str:
    return f"request body larger than the limit of {limit} bytes ({limit / 2**20:g} MiB)"


class _TooLarge(HTTPException):
    """A body that grew past the limit while read (no or a false Content-Length).

    NOTE: an HTTPException, because FastAPI turns any other error raised while it reads the body
    into a 400; this one it re-raises, and its handler answers 413.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_too_large(limit))


def create_app(settings: Settings, *, on_identity: sso_routes.OnIdentity | None = None) -> FastAPI:
    """The gateway app; its lifespan opens the pool and channels and closes them in reverse.

    `on_identity` signs in a person whom the tenant's OIDC provider vouched for (services/gateway/sso/);
    by default a session of services/gateway/people/ (people_routes.sso_sign_in)."""
    metrics = Metrics("gateway")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.api_key_pepper is None:
            raise RuntimeError("REVIEWGUARD_API_KEY_PEPPER is not set (the HMAC key API keys are hashed with)")
        hasher = KeyHasher(settings.api_key_pepper.get_secret_value())
        dsn = settings.database_dsn()
        await db.migrate(dsn, schema=SCHEMA, directory=MIGRATIONS)
        pool = await db.create_pool(dsn, schema=SCHEMA, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
        # NOTE: each channel sends the service token (and speaks mTLS when configured): libs/grpc_auth.py.
        channels = {name: open_peer_channel(settings, name) for name in ("ingest", "nlp", "alerting", "resolution")}
        app.state.pool = pool
        app.state.nats_probe = health.NatsProbe(settings.nats_url)
        app.state.api_keys = ApiKeys(pool=pool, hasher=hasher, ttl=settings.gateway.api_key_cache_seconds)
        app.state.passwords = Passwords(PasswordHasher())
        app.state.sessions = console.sessions_for(pool, settings, app.state.passwords)
        app.state.sso = sso_routes.build(settings, on_identity or people_routes.sso_sign_in)
        app.state.rate_limits = RateLimits(per_key=settings.gateway.rate_limit_per_key, daily_quota=settings.gateway.daily_quota_per_tenant)
        app.state.backends = Backends(
            ingest=ingest_pb2_grpc.IngestServiceStub(channels["ingest"]),
            nlp=nlp_pb2_grpc.NlpServiceStub(channels["nlp"]),
            alerting=alerting_pb2_grpc.AlertingServiceStub(channels["alerting"]),
            resolution=resolution_pb2_grpc.ResolutionServiceStub(channels["resolution"]),
            reporting=reporting_pb2_grpc.ReportingStub(channels["alerting"]),
            channels=channels,
        )
        try:
            yield
        finally:
            await app.state.nats_probe.close()
            await asyncio.gather(*(ch.close() for ch in channels.values()))
            # NOTE: bounded, so a stop while PostgreSQL is gone (or a request hangs on it) is not held up.
            try:
                await asyncio.wait_for(pool.close(), timeout=2.0)
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                pool.terminate()

    app = FastAPI(
        title="ReviewGuard",
        version="0.1.0",
        description="Collect, understand, alert on and resolve marketplace reviews. "
        "Authenticate with `Authorization: Bearer <API key>`, or as a person with the session cookie "
        "of `POST /v1/session` (state-changing requests then send `X-CSRF-Token`).",
        lifespan=lifespan,
        dependencies=[Depends(refuse_unsafe_parameters)],
    )
    app.state.metrics = metrics
    app.state.settings = settings
    app.include_router(health.router)

    # NOTE: Prometheus scrapes it here, on the gateway's port (the backends serve theirs on a
    # metrics port), outside the OpenAPI document. It tells route counts and latencies, nothing of
    # any tenant; an ingress in front of the gateway need only route /v1 (deploy/README.md).
    @app.get("/metrics", include_in_schema=False)
    async def _metrics() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    app.include_router(inbox.router)
    app.include_router(reviews.router)
    app.include_router(alerts.router)
    app.include_router(cases.router)
    app.include_router(notifications.router)
    app.include_router(nlp_settings.router)
    app.include_router(ingest_routes.router)
    app.include_router(resolution_routes.router)
    app.include_router(reports.router)
    app.include_router(sso_routes.router)
    app.include_router(sso_routes.browser)
    app.include_router(people_routes.router)
    console.mount(app, settings)

    # Errors map once per transport: gRPC status -> HTTP by libs.errors.grpc_to_http (its one
    # table), DomainError -> HTTP by domain_to_http; anything else is a 500 that shows no internals.
    @app.exception_handler(grpc.aio.AioRpcError)
    async def _grpc_error(request: Request, error: grpc.aio.AioRpcError) -> JSONResponse:
        code, body, headers = _page_token_is_malformed(*grpc_to_http(error))
        if code >= 500:
            # NOTE: the gRPC debug text (peer addresses) goes to the log only, never to the caller.
            log.error(
                "backend call failed",
                extra={"fields": {"path": request.url.path, "grpc_code": error.code().name, "grpc_details": error.details()}},
            )
        return JSONResponse(body, status_code=code, headers=headers)

    async def _database_unavailable(request: Request, error: Exception) -> JSONResponse:
        # NOTE: PostgreSQL down or restarting is a temporary outage: 503 with Retry-After, not a bare 500.
        log.warning("database unavailable", extra={"fields": {"path": request.url.path, "error": type(error).__name__}})
        return JSONResponse(
            {"detail": "the database is unavailable; retry shortly"}, status_code=503,
            headers={"Retry-After": str(health.RETRY_AFTER_SECONDS)},
        )

    for unavailable in (
        OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
        asyncpg.exceptions.OperatorInterventionError,
    ):
        app.add_exception_handler(unavailable, _database_unavailable)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # NOTE: the same FieldViolations and body as every other 422 (libs.errors); only a body
        # that is not JSON at all is a 400.
        violations = violations_of(error, request=True)
        broken_json = any(e["type"] == "json_invalid" for e in error.errors())
        detail = "request body is not valid JSON" if broken_json else f"{len(violations)} invalid field(s); nothing was stored"
        code, body, headers = domain_to_http(InvalidArgument(detail, violations))
        return JSONResponse(body, status_code=400 if broken_json else code, headers=headers)

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, error: DomainError) -> JSONResponse:
        code, body, headers = _page_token_is_malformed(*domain_to_http(error))
        return JSONResponse(body, status_code=code, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # NOTE: Starlette runs this outermost and re-raises afterwards, so the server still logs
        # the traceback; the caller gets an id to quote, which this log line carries too.
        request_id = uuid.uuid4().hex
        log.error(
            "unexpected error",
            exc_info=error,
            extra={"fields": {"path": request.url.path, "request_id": request_id}},
        )
        return JSONResponse({"detail": "internal error", "request_id": request_id}, status_code=500, headers={"X-Request-ID": request_id})

    _errors_as_json(app)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,livez,readyz,metrics")
    # NOTE: inside the size limit: a refused body changed nothing, so it leaves no audit row.
    app.add_middleware(AuditTrail)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes, exempt_prefixes=("/v1/imports",))
    # NOTE: outermost of ours, so a 413 from the size limit is counted too; scrapes are not.
    app.add_middleware(AsgiMetrics, metrics=metrics, exclude=("/metrics",))
    return app


def _page_token_is_malformed(code: int, body: dict, headers: dict[str, str]) -> tuple[int, dict, dict[str, str]]:
    """A page token the API did not issue (altered, or from another query) is a malformed request,
    400 on every list, not a bad value (422); services raise it as an invalid `page_token`."""
    if code == 422 and [(e["field"], e["message"]) for e in body.get("errors", [])] == [("page_token", paging.NOT_ISSUED)]:
        return 400, body, headers
    return code, body, headers


def _errors_as_json(app: FastAPI) -> None:
    """Error answers are JSON on every route, also where the success is YAML, text or a ZIP.

    NOTE: FastAPI documents a `responses=` model under the route's own media type.
    """
    generate = app.openapi
    error_ref = "#/components/schemas/ErrorBody"

    def openapi() -> dict:
        if app.openapi_schema is None:
            document = generate()
            for item in document["paths"].values():
                for operation in item.values():
                    for code, answer in operation.get("responses", {}).items():
                        content = answer.get("content", {})
                        if code[0] in "45" and any(m.get("schema") == {"$ref": error_ref} for m in content.values()):
                            answer["content"] = {"application/json": {"schema": {"$ref": error_ref}}}
        return app.openapi_schema

    app.openapi = openapi


class _UvicornServer(uvicorn.Server):
    """uvicorn without its own signal handling: the wiring root owns SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.gateway_port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = _UvicornServer(config)
    serving = asyncio.create_task(server.serve())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([serving, stopper], return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stopper.cancel()
    await serving
