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
    grpc_code = grpc.StatusCode.UNAVAILABLE
    http_status = 503


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


_HTTP_BY_GRPC = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


def grpc_to_http(error: grpc.aio.AioRpcError) -> tuple[int, dict]:
    """HTTP status and JSON body for a failed gRPC call, keeping field violations."""
    body: dict = {"detail": error.details() or error.code().name.lower()}
    status = rpc_status.from_call(error)
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                body["errors"] = [{"field": v.field, "message": v.description} for v in bad.field_violations]
    code = _HTTP_BY_GRPC.get(error.code(), 502)
    if code == 502:
        # NOTE: internal errors are not echoed to API callers; the trace id in logs finds them.
        body = {"detail": "upstream service failed"}
    return code, body


def require_uuid(value: str, *, field: str) -> uuid.UUID:
    """A UUID from a request field, or InvalidArgument naming the field."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument(f"{field} must be a UUID", [FieldViolation(field, "must be a UUID")]) from None
