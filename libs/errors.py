"""One exception hierarchy for domain errors, mapped once to gRPC status and once to HTTP.

Service code raises these; the gRPC interceptor in libs.grpc_server turns them into status codes
with a google.rpc.BadRequest detail for field violations; the gateway maps gRPC errors back to
HTTP with grpc_to_http.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status


@dataclass(frozen=True)
class FieldViolation:
    """One bad field: `field` is a path such as `reviews[3].rating`."""

    field: str
    description: str


@dataclass
class DomainError(Exception):
    """Base of every error a caller should see explained."""

    message: str
    violations: list[FieldViolation] = field(default_factory=list)

    grpc_code = grpc.StatusCode.INTERNAL
    http_status = 500

    def __str__(self) -> str:
        return self.message


class InvalidArgument(DomainError):
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT
    http_status = 422


class NotFound(DomainError):
    grpc_code = grpc.StatusCode.NOT_FOUND
    http_status = 404


class Conflict(DomainError):
    grpc_code = grpc.StatusCode.ALREADY_EXISTS
    http_status = 409


class PermissionDenied(DomainError):
    grpc_code = grpc.StatusCode.PERMISSION_DENIED
    http_status = 403


class Unavailable(DomainError):
    """A dependency is down or overloaded; the caller should retry later."""

    grpc_code = grpc.StatusCode.UNAVAILABLE
    http_status = 503


def is_dependency_outage(error: BaseException) -> bool:
    """A dependency unreachable for now (connection refused or lost, a pool or server shutting down), not a bug.

    One list for the two places that must tell an outage from a bug: a consumer holds its batch
    through one (libs.bus), and a gRPC call caught by one answers UNAVAILABLE, a retryable 503 at
    the gateway, not INTERNAL (libs.grpc_server).
    """
    import asyncpg
    import nats.errors

    return isinstance(
        error,
        (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.exceptions.OperatorInterventionError,
         nats.errors.ConnectionClosedError, nats.errors.ConnectionReconnectingError, nats.errors.NoServersError),
    )


def to_rpc_status(error: DomainError) -> status_pb2.Status:
    """A google.rpc.Status for the error, with a BadRequest detail when it names fields."""
    status = status_pb2.Status(code=error.grpc_code.value[0], message=error.message)
    if error.violations:
        detail = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in error.violations
            ]
        )
        status.details.add().Pack(detail)
    return status


# Seconds a caller is told to wait (Retry-After) when a dependency is down or slow; channels
# reconnect within about 2 s (libs.grpc_client), so a retry after this finds a restarted peer.
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class HttpAnswer:
    """How one gRPC status code reaches an HTTP caller.

    `detail` None passes the status message on (a servicer's DomainError message, written for the
    caller); a fixed `detail` replaces it, because gRPC's own messages for that code carry peer
    addresses and debug strings ("ipv4:10.0.0.7:50051: Connection refused") that stay in logs.
    """

    status: int
    detail: str | None = None
    retry_after: int | None = None

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


_DEPENDENCY_DOWN = HttpAnswer(503, "a backend service is unavailable; retry later", RETRY_AFTER_SECONDS)
_UPSTREAM_FAILED = HttpAnswer(502, "upstream service failed")

# NOTE: the one gRPC -> HTTP table; codes not in it (INTERNAL, UNKNOWN, DATA_LOSS, ...) are a
# backend's bug and answer 502 without their message (the trace id in logs finds them).
HTTP_BY_GRPC: dict[grpc.StatusCode, HttpAnswer] = {
    grpc.StatusCode.INVALID_ARGUMENT: HttpAnswer(422),
    grpc.StatusCode.OUT_OF_RANGE: HttpAnswer(422),
    grpc.StatusCode.NOT_FOUND: HttpAnswer(404),
    grpc.StatusCode.ALREADY_EXISTS: HttpAnswer(409),
    grpc.StatusCode.PERMISSION_DENIED: HttpAnswer(403),
    grpc.StatusCode.UNAUTHENTICATED: HttpAnswer(401),
    grpc.StatusCode.RESOURCE_EXHAUSTED: HttpAnswer(429, "a backend service is over its limits; retry later", RETRY_AFTER_SECONDS),
    grpc.StatusCode.FAILED_PRECONDITION: HttpAnswer(409),
    grpc.StatusCode.ABORTED: HttpAnswer(409),
    grpc.StatusCode.UNAVAILABLE: _DEPENDENCY_DOWN,
    grpc.StatusCode.DEADLINE_EXCEEDED: HttpAnswer(503, "a backend service did not answer in time; retry later", RETRY_AFTER_SECONDS),
    grpc.StatusCode.CANCELLED: _DEPENDENCY_DOWN,
}


def grpc_to_http(error: grpc.aio.AioRpcError) -> tuple[int, dict, dict[str, str]]:
    """HTTP status, JSON body and headers for a failed gRPC call, keeping field violations.

    A status a servicer raised (a DomainError: it carries google.rpc.Status details) keeps its
    message; one made by the transport (peer down, deadline, message too large) gets the table's
    fixed detail when it has one, so no address or debug string reaches the caller.
    """
    answer = HTTP_BY_GRPC.get(error.code(), _UPSTREAM_FAILED)
    status = rpc_status.from_call(error)
    own = status is not None and answer is not _UPSTREAM_FAILED
    body: dict = {"detail": (error.details() if own else None) or answer.detail or error.code().name.lower()}
    if own:
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                body["errors"] = [{"field": v.field, "message": v.description} for v in bad.field_violations]
    return answer.status, body, answer.headers()


def domain_to_http(error: DomainError) -> tuple[int, dict, dict[str, str]]:
    """HTTP status, JSON body and headers for a DomainError raised in the gateway itself."""
    body: dict = {"detail": error.message}
    if error.violations:
        body["errors"] = [{"field": v.field, "message": v.description} for v in error.violations]
    answer = HTTP_BY_GRPC.get(error.grpc_code)
    return error.http_status, body, answer.headers() if answer is not None and answer.status == error.http_status else {}


# NOTE: the first part of a request error's location says where the field was (FastAPI); the rest names it.
_REQUEST_PARTS = ("body", "query", "path", "header", "cookie")


def violations_of(error, *, prefix: str = "", default: str = "", request: bool = False) -> list[FieldViolation]:
    """The FieldViolations of a pydantic ValidationError, each named by its dotted path under `prefix`
    (`default` where the error is the whole value's). Only field and problem: pydantic's messages can
    quote the input, which may hold a secret, so the input is never included.

    `request=True` reads a FastAPI RequestValidationError the way the gateway has always named a
    request's fields: without the location part, list items by index (`reviews[0].rating`), and
    `body` for the body as a whole.
    """
    if request:
        return [FieldViolation(_request_path(e["loc"]) or default or "body", e["msg"]) for e in error.errors()]
    head = [prefix] if prefix else []
    return [
        FieldViolation(".".join(str(p) for p in head + list(e["loc"])) or default, e["msg"])
        for e in error.errors(include_input=False)
    ]


def _request_path(location: tuple) -> str:
    """("body", "reviews", 0, "rating") -> "reviews[0].rating"."""
    path = ""
    # NOTE: only the first part says where the field is; a later "body" is a field (a review's body).
    for part in location[1:] if location and location[0] in _REQUEST_PARTS else location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def require_uuid(value: str | uuid.UUID, *, field: str) -> uuid.UUID:
    """A UUID from a request field (one already parsed passes through), or InvalidArgument naming the field."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument(f"{field} must be a UUID", [FieldViolation(field, "must be a UUID")]) from None


def require_uuids(ids: dict[str, str]) -> list[uuid.UUID]:
    """The UUIDs of several fields (field name → value), or InvalidArgument naming the first that is not one.

    NOTE: bus handlers check a message's ids with it first: a message with a bad id can never be
    handled, and InvalidArgument is what libs/bus.py sends to the dead-letter queue at once.
    """
    return [require_uuid(value, field=field) for field, value in ids.items()]
