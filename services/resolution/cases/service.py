"""Checks a status change against the state machine."""

from __future__ import annotations

import grpc

from libs.errors import DomainError, FieldViolation, InvalidArgument
from reviewguard.resolution.v1 import case_pb2
from services.resolution.cases.models import OUTCOME_BY_REASON, RESOLVED, TRANSITIONS, status_name


class TransitionNotAllowed(DomainError):
    """The state machine has no edge from the case's status to the requested one (HTTP 409)."""

    grpc_code = grpc.StatusCode.FAILED_PRECONDITION
    http_status = 409


def check_transition(*, current: int, target: int, reason: int) -> None:
    """Raises unless `current` → `target` is an allowed edge, with a reason when resolving.

    Raises:
        InvalidArgument: unknown target, or resolving without a resolution reason.
        TransitionNotAllowed: the edge does not exist (e.g. resolved → contacted).
    """
    if target not in TRANSITIONS:
        raise InvalidArgument(f"unknown case status {target}", [FieldViolation("to_status", "unknown")])
    if target not in TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(status_name(s) for s in TRANSITIONS.get(current, ()))) or "none (final)"
        raise TransitionNotAllowed(
            f"a case cannot go from {status_name(current)} to {status_name(target)}; allowed: {allowed}",
            [FieldViolation("to_status", f"not allowed from {status_name(current)}")],
        )
    if target == RESOLVED and reason not in OUTCOME_BY_REASON:
        raise InvalidArgument(
            "resolving a case needs a reason",
            [FieldViolation("reason", "review_updated, customer_satisfied or no_response")],
        )
    if target != RESOLVED and reason != case_pb2.RESOLUTION_REASON_UNSPECIFIED:
        raise InvalidArgument("a resolution reason is only given when resolving", [FieldViolation("reason", "only with resolved")])
