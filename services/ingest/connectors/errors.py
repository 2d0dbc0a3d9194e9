"""What a pull connector can fail with, split by what the scheduler should do about it.

Messages name the source, the HTTP status and a redacted URL; they never carry a credential.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from libs.errors import DomainError


@dataclass
class ConnectorError(DomainError):
    """Base of every connector failure. `permanent` failures wait for a person; others are retried."""

    source: str = ""
    status: int | None = None

    grpc_code = grpc.StatusCode.UNAVAILABLE
    http_status = 503
    permanent = False


class SourceUnavailable(ConnectorError):
    """The platform kept failing (5xx, timeouts, rate limits) after every retry; try again later."""


class CredentialsRejected(ConnectorError):
    """The platform refused the credentials (401/403 or its own auth error): fix them, then resume."""

    grpc_code = grpc.StatusCode.FAILED_PRECONDITION
    http_status = 409
    permanent = True


class RequestRejected(ConnectorError):
    """The platform refused the request itself (400, 404, ...): a configuration error, not transient."""

    grpc_code = grpc.StatusCode.FAILED_PRECONDITION
    http_status = 409
    permanent = True


class BadResponse(ConnectorError):
    """The platform answered 2xx with something that is not its documented format."""
