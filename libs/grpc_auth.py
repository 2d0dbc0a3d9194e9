"""Who may call the internal gRPC APIs: one server interceptor on every backend, one client interceptor
on every internal channel.

Callers present `authorization: Bearer <token>` metadata:

- peer services send the service token (REVIEWGUARD_GRPC_SERVICE_TOKEN) and get full access; with
  mutual TLS, a client certificate named in REVIEWGUARD_GRPC_TLS_PEER_NAMES does as well without one;
- internal teams send a client token (`reviewguard grpc-client create`), stored as its HMAC-SHA-256
  under a pepper in `auth.grpc_clients` and scoped to tenants ('*' for all) and methods (full names
  like "/reviewguard.alerting.v1.AlertingService/ListAlerts" or service prefixes ending in "/").

NOTE: the store is a table of a shared `auth` schema, migrated by every backend at start (`migrate`),
because every backend already holds a pool on the one database: a token created or revoked with the
CLI is seen by every replica within REVIEWGUARD_GRPC_CLIENT_CACHE_SECONDS, with no file to roll out.

No token or an unknown one: UNAUTHENTICATED. A method outside the token's scope, or a request whose
`tenant_id` (read from the deserialized request) is outside it: PERMISSION_DENIED. A token limited to
some tenants cannot call a method whose request names no tenant. Health and reflection stay open.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import grpc
from cachetools import TTLCache
from google.protobuf.message import Message

from libs import db
from libs.crypto import TokenHasher, local_secret
from libs.settings import Settings

log = logging.getLogger(__name__)

AUTH_SCHEMA = "auth"
MIGRATIONS = Path(__file__).parent / "migrations" / AUTH_SCHEMA
CLIENT_TOKEN_PREFIX = "rgc_"
ALL = "*"
OPEN_METHOD_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)


@dataclass(frozen=True)
class Principal:
    """A caller: its name, and the tenants and methods it may use (None: all)."""

    name: str
    tenants: frozenset[str] | None = None
    methods: tuple[str, ...] | None = None

    def may_call(self, method: str) -> bool:
        if self.methods is None:
            return True
        return any(method == m or (m.endswith("/") and method.startswith(m)) for m in self.methods)

    def may_act_for(self, tenant: str) -> bool:
        return self.tenants is None or tenant in self.tenants


SERVICE = Principal("service")


def validate_scope(tenants: Sequence[str], methods: Sequence[str]) -> tuple[list[str], list[str]]:
    """Checked, de-duplicated scope lists; raises ValueError on a malformed entry."""
    tenants = sorted({t.strip() for t in tenants if t.strip()})
    methods = sorted({m.strip() for m in methods if m.strip()})
    if not tenants or not methods:
        raise ValueError("a client needs at least one tenant (or '*') and one method (or '*')")
    for tenant in tenants:
        if tenant != ALL:
            try:
                uuid.UUID(tenant)
            except ValueError:
                raise ValueError(f"tenant {tenant!r} is neither a tenant id (UUID) nor '*'") from None
    for method in methods:
        parts = method.split("/")
        if method != ALL and not (method.startswith("/") and len(parts) == 3 and parts[1]):
            raise ValueError(f"method {method!r} is not '*', '/pkg.Service/' or '/pkg.Service/Method'")
    return tenants, methods


def _principal(name: str, tenants: Sequence[str], methods: Sequence[str]) -> Principal:
    return Principal(
        name=name,
        tenants=None if ALL in tenants else frozenset(tenants),
        methods=None if ALL in methods else tuple(methods),
    )


def new_client_token() -> str:
    return CLIENT_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_service_token() -> str:
    return secrets.token_urlsafe(32)


def local_service_token(settings: Settings) -> str:
    """The configured service token, else the one kept in the data folder (made on first use): what
    `reviewguard run` hands every service and what the CLI's channels send."""
    if settings.grpc_service_token is not None:
        return settings.grpc_service_token.get_secret_value()
    return local_secret(settings.data_dir.resolve() / "grpc-service.token", new_service_token)


def client_hasher(settings: Settings) -> TokenHasher:
    pepper = settings.grpc_client_pepper_value()
    if pepper is None:
        raise RuntimeError("REVIEWGUARD_GRPC_CLIENT_PEPPER (or REVIEWGUARD_API_KEY_PEPPER) is not set")
    return TokenHasher(pepper, setting="REVIEWGUARD_GRPC_CLIENT_PEPPER")


async def migrate(dsn: str) -> list[str]:
    """Creates or updates the shared `auth` schema (idempotent, under its own advisory lock)."""
    return await db.migrate(dsn, schema=AUTH_SCHEMA, directory=MIGRATIONS)


async def create_client(
    conn: asyncpg.Connection, *, name: str, tenants: Sequence[str], methods: Sequence[str], hasher: TokenHasher
) -> str:
    """Registers a client and returns its token (shown once; only its digest is kept)."""
    tenants, methods = validate_scope(tenants, methods)
    if not name.strip():
        raise ValueError("a client needs a name")
    token = new_client_token()
    try:
        await conn.execute(
            "INSERT INTO auth.grpc_clients (id, name, token_digest, tenants, methods) VALUES ($1, $2, $3, $4, $5)",
            uuid.uuid4(), name.strip(), hasher.digest(token), tenants, methods,
        )
    except asyncpg.UniqueViolationError:
        raise ValueError(f"a live client named {name!r} exists; revoke it first") from None
    return token


async def revoke_client(conn: asyncpg.Connection, name: str) -> bool:
    """Revokes the live client of that name; False when there is none."""
    status = await conn.execute(
        "UPDATE auth.grpc_clients SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", name
    )
    return status != "UPDATE 0"


async def list_clients(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT name, tenants, methods, created_at, revoked_at FROM auth.grpc_clients ORDER BY name, created_at"
    )


class ClientTokens:
    """Client tokens by digest, remembered `ttl` seconds (unknown ones too, so a flood of bad tokens
    is not a flood of queries); a revoked token stops working within `ttl`."""

    def __init__(self, *, pool: asyncpg.Pool, hasher: TokenHasher, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._pool = pool
        self._hasher = hasher
        self._cache: TTLCache[bytes, Principal | None] = TTLCache(maxsize=10_000, ttl=ttl, timer=clock) if ttl > 0 else None

    async def lookup(self, token: str) -> Principal | None:
        digest = self._hasher.digest(token)
        if self._cache is not None and digest in self._cache:
            return self._cache[digest]
        async with self._pool.acquire(timeout=2.0) as conn:
            row = await conn.fetchrow(
                "SELECT name, tenants, methods FROM auth.grpc_clients WHERE token_digest = $1 AND revoked_at IS NULL",
                digest, timeout=2.0,
            )
        principal = _principal(row["name"], row["tenants"], row["methods"]) if row else None
        if self._cache is not None:
            self._cache[digest] = principal
        return principal


def _bearer(metadata: Iterable[tuple[str, str | bytes]] | None) -> str | None:
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


class GrpcAuth:
    """Answers who a call's caller is, from its token or (mTLS) its client certificate."""

    def __init__(self, *, service_token: str | None, clients: ClientTokens | None = None, peer_names: Iterable[str] = ()) -> None:
        self._service_token = service_token.encode() if service_token else None
        self._clients = clients
        self._peer_names = {n.encode() for n in peer_names}

    @classmethod
    def from_settings(cls, settings: Settings, pool: asyncpg.Pool | None) -> "GrpcAuth":
        """A backend's authenticator; refuses to build one that would let no peer service in."""
        token = settings.grpc_service_token.get_secret_value() if settings.grpc_service_token else None
        peers = settings.grpc_tls_peer_names if settings.grpc_tls_enabled() else []
        if not token and not peers:
            raise RuntimeError(
                "REVIEWGUARD_GRPC_SERVICE_TOKEN is not set (the token peer services call each other with; "
                "or configure mutual TLS with REVIEWGUARD_GRPC_TLS_PEER_NAMES)"
            )
        clients = None
        if pool is not None and settings.grpc_client_pepper_value() is not None:
            clients = ClientTokens(pool=pool, hasher=client_hasher(settings), ttl=settings.grpc_client_cache_seconds)
        return cls(service_token=token, clients=clients, peer_names=peers)

    async def principal(self, context: grpc.aio.ServicerContext) -> Principal | None:
        """The caller, or None when it presented no credential known here."""
        token = _bearer(context.invocation_metadata())
        if token is None:
            return SERVICE if self._peer_names and self._is_peer(context) else None
        if self._service_token is not None and hmac.compare_digest(token.encode(), self._service_token):
            return SERVICE
        if self._clients is not None and token.startswith(CLIENT_TOKEN_PREFIX):
            return await self._clients.lookup(token)
        return None

    def _is_peer(self, context: grpc.aio.ServicerContext) -> bool:
        auth = context.auth_context() or {}
        names = [*auth.get("x509_common_name", []), *auth.get("x509_subject_alternative_name", [])]
        return any(name in self._peer_names for name in names)


def tenant_of(message: object) -> str | None:
    """The tenant a request acts for: its `tenant_id`, or that of a set sub-message (a stream's start)."""
    if not isinstance(message, Message):
        return None
    if "tenant_id" in message.DESCRIPTOR.fields_by_name:
        return message.tenant_id or None
    for _, value in message.ListFields():
        if isinstance(value, Message) and "tenant_id" in value.DESCRIPTOR.fields_by_name:
            return value.tenant_id or None
    return None


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Admits a call by its caller's token and method, then checks each request's tenant."""

    def __init__(self, auth: GrpcAuth) -> None:
        self._auth = auth

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(OPEN_METHOD_PREFIXES):
            return handler
        admit = self._admit
        kinds = dict(request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer)

        if handler.unary_unary is not None:
            inner_uu = handler.unary_unary

            async def unary_unary(request, context):
                await _check_tenant(await admit(method, context), request, context)
                return await inner_uu(request, context)

            return grpc.unary_unary_rpc_method_handler(unary_unary, **kinds)

        if handler.unary_stream is not None:
            inner_us = handler.unary_stream

            async def unary_stream(request, context):
                await _check_tenant(await admit(method, context), request, context)
                result = inner_us(request, context)
                if hasattr(result, "__aiter__"):
                    async for response in result:
                        yield response
                else:
                    await result

            return grpc.unary_stream_rpc_method_handler(unary_stream, **kinds)

        inner = handler.stream_unary or handler.stream_stream

        async def checked(principal, request_iterator, context):
            # NOTE: the first message must name an allowed tenant before the servicer sees any;
            # later ones are checked when they name a tenant at all (data chunks do not).
            iterator = aiter(request_iterator)
            first = await anext(iterator, None)
            if first is None:
                return
            await _check_tenant(principal, first, context)
            yield first
            async for request in iterator:
                if principal.tenants is not None and tenant_of(request) is not None:
                    await _check_tenant(principal, request, context)
                yield request

        if handler.stream_unary is not None:

            async def stream_unary(request_iterator, context):
                principal = await admit(method, context)
                return await inner(checked(principal, request_iterator, context), context)

            return grpc.stream_unary_rpc_method_handler(stream_unary, **kinds)

        async def stream_stream(request_iterator, context):
            principal = await admit(method, context)
            result = inner(checked(principal, request_iterator, context), context)
            if hasattr(result, "__aiter__"):
                async for response in result:
                    yield response
            else:
                await result

        return grpc.stream_stream_rpc_method_handler(stream_stream, **kinds)

    async def _admit(self, method: str, context: grpc.aio.ServicerContext) -> Principal:
        try:
            principal = await self._auth.principal(context)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            log.warning("client token lookup failed", extra={"fields": {"error": type(error).__name__}})
            await context.abort(grpc.StatusCode.UNAVAILABLE, "cannot verify the client token now; retry")
        if principal is None:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or unknown token (authorization: Bearer ...)")
        if not principal.may_call(method):
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"client {principal.name!r} may not call {method}")
        return principal


async def _check_tenant(principal: Principal, request: object, context: grpc.aio.ServicerContext) -> None:
    if principal.tenants is None:
        return
    tenant = tenant_of(request)
    if tenant is None:
        await context.abort(
            grpc.StatusCode.PERMISSION_DENIED, f"client {principal.name!r} is limited to some tenants and the request names none"
        )
    if not principal.may_act_for(tenant):
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"client {principal.name!r} may not act for tenant {tenant}")


class _BearerToken:
    """Adds `authorization: Bearer <token>` to every call of a channel that carries none of its own."""

    def __init__(self, token: str) -> None:
        self._value = f"Bearer {token}"

    def _with_token(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        pairs = list(details.metadata or ())
        if any(key == "authorization" for key, _ in pairs):
            return details
        return details._replace(metadata=grpc.aio.Metadata(*pairs, ("authorization", self._value)))


class _UnaryUnaryToken(_BearerToken, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, client_call_details, request):
        return await continuation(self._with_token(client_call_details), request)


class _UnaryStreamToken(_BearerToken, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, client_call_details, request):
        return await continuation(self._with_token(client_call_details), request)


class _StreamUnaryToken(_BearerToken, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return await continuation(self._with_token(client_call_details), request_iterator)


class _StreamStreamToken(_BearerToken, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        return await continuation(self._with_token(client_call_details), request_iterator)


def bearer_interceptors(token: str) -> list[grpc.aio.ClientInterceptor]:
    """Client interceptors sending the token on calls of every kind.

    NOTE: one object per kind: a channel files each interceptor under the first kind it matches."""
    return [kind(token) for kind in (_UnaryUnaryToken, _UnaryStreamToken, _StreamUnaryToken, _StreamStreamToken)]
