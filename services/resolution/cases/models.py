"""The case state machine (issue 6): which status may follow which, and what each status means."""

from __future__ import annotations

from types import MappingProxyType

from reviewguard.resolution.v1 import case_pb2

NEW = case_pb2.CASE_STATUS_NEW
ASSIGNED = case_pb2.CASE_STATUS_ASSIGNED
CONTACTED = case_pb2.CASE_STATUS_CONTACTED
AWAITING_CUSTOMER = case_pb2.CASE_STATUS_AWAITING_CUSTOMER
COMPENSATION_OFFERED = case_pb2.CASE_STATUS_COMPENSATION_OFFERED
RESOLVED = case_pb2.CASE_STATUS_RESOLVED
APPEALED = case_pb2.CASE_STATUS_APPEALED
APPEAL_ACCEPTED = case_pb2.CASE_STATUS_APPEAL_ACCEPTED
APPEAL_REJECTED = case_pb2.CASE_STATUS_APPEAL_REJECTED
ESCALATED = case_pb2.CASE_STATUS_ESCALATED

# NOTE: new → assigned → contacted → awaiting customer → compensation offered → resolved is the
# main path; an appeal can be filed once someone owns the case, and anything open can escalate.
# A rejected appeal goes back to handling the buyer. Resolved and appeal accepted are final.
TRANSITIONS: MappingProxyType[int, frozenset[int]] = MappingProxyType(
    {
        NEW: frozenset({ASSIGNED, ESCALATED}),
        ASSIGNED: frozenset({CONTACTED, APPEALED, ESCALATED, RESOLVED}),
        CONTACTED: frozenset({AWAITING_CUSTOMER, COMPENSATION_OFFERED, APPEALED, ESCALATED, RESOLVED}),
        AWAITING_CUSTOMER: frozenset({CONTACTED, COMPENSATION_OFFERED, APPEALED, ESCALATED, RESOLVED}),
        COMPENSATION_OFFERED: frozenset({AWAITING_CUSTOMER, APPEALED, ESCALATED, RESOLVED}),
        APPEALED: frozenset({APPEAL_ACCEPTED, APPEAL_REJECTED, ESCALATED}),
        APPEAL_REJECTED: frozenset({CONTACTED, COMPENSATION_OFFERED, ESCALATED, RESOLVED}),
        ESCALATED: frozenset({ASSIGNED, CONTACTED, COMPENSATION_OFFERED, APPEALED, RESOLVED}),
        RESOLVED: frozenset(),
        APPEAL_ACCEPTED: frozenset(),
    }
)

FINAL: frozenset[int] = frozenset(s for s, nexts in TRANSITIONS.items() if not nexts)
OPEN: frozenset[int] = frozenset(TRANSITIONS) - FINAL
# Statuses in which a reply to the buyer moves the case to "contacted".
BEFORE_CONTACT: frozenset[int] = frozenset({NEW, ASSIGNED, ESCALATED, APPEAL_REJECTED})

# Outcome names as the knowledge base and the API show them.
OUTCOME_BY_REASON: MappingProxyType[int, str] = MappingProxyType(
    {
        case_pb2.RESOLUTION_REASON_REVIEW_UPDATED: "review_updated",
        case_pb2.RESOLUTION_REASON_CUSTOMER_SATISFIED: "customer_satisfied",
        case_pb2.RESOLUTION_REASON_NO_RESPONSE: "no_response",
    }
)


def status_name(status: int) -> str:
    """"awaiting_customer" for CASE_STATUS_AWAITING_CUSTOMER."""
    return case_pb2.CaseStatus.Name(status).removeprefix("CASE_STATUS_").lower()
