"""Who may call what: the one table of access rules, by route and method.

Roles are ranked (a higher role may do everything a lower one may); an API key is checked by its
scopes instead. A route missing from the table is refused (deny by default), and
tests/services/gateway/people/test_route_walk.py walks every route of the app against it, so a
new route cannot ship without a rule.
"""

from __future__ import annotations

import enum
import re

ROLES = ("viewer", "agent", "manager", "admin", "owner")
SCOPES = ("read", "write", "admin")
_RANK = {role: rank for rank, role in enumerate(ROLES)}


class Access(enum.Enum):
    """What a route needs: (its name, the least role of a person, the scope of an API key).

    NOTE: the name is part of the value so that no two members are one (an Enum makes members with
    equal values aliases, and SIGNED_IN would then print as READ).
    """

    PUBLIC = ("public", None, None)  # no principal: health, platform webhooks (signed by the platform), login
    SIGNED_IN = ("signed-in", "viewer", "read")  # any principal: one's own session
    READ = ("read", "viewer", "read")  # reviews and reports: what a viewer is for
    WORK_READ = ("work-read", "agent", "read")  # cases, alerts, queues: the desk's data
    WORK = ("work", "agent", "write")  # acting on cases, alerts, reviews, imports
    CONFIGURE = ("configure", "manager", "admin")  # policies, routes, receivers, sources, teams, NLP settings
    ADMINISTER = ("administer", "admin", "admin")  # people, API keys, single sign-on, the audit log

    @property
    def role(self) -> str | None:
        return self.value[1]

    @property
    def scope(self) -> str | None:
        return self.value[2]


def role_allows(role: str, access: Access) -> bool:
    return access.role is None or _RANK[role] >= _RANK[access.role]


def scopes_allow(scopes: frozenset[str], access: Access) -> bool:
    return access.scope is None or access.scope in scopes


def may_grant(granter_role: str, role: str) -> bool:
    """A person hands out at most their own role, and only an owner makes owners."""
    return _RANK[role] <= _RANK[granter_role] and (role != "owner" or granter_role == "owner")


_GET, _WRITE = ("GET", "HEAD"), ("POST", "PUT", "PATCH", "DELETE")

# (methods, route template as a regular expression, access). First match wins.
_RULES: list[tuple[tuple[str, ...], str, Access]] = [
    (_GET, r"/(livez|readyz|healthz|metrics)", Access.PUBLIC),
    # The browser's single sign-on: the provider vouches for the person (services/gateway/sso/).
    (_GET, r"/auth/sso/(callback|\{tenant\}/start)", Access.PUBLIC),
    (("POST",), r"/v1/webhooks/\{kind\}/\{source_id\}", Access.PUBLIC),
    (("POST",), r"/v1/session", Access.PUBLIC),
    (("POST",), r"/v1/invitations/accept", Access.PUBLIC),
    (_GET + ("PATCH", "DELETE"), r"/v1/session", Access.SIGNED_IN),
    # What a viewer reads: reviews (the inbox) and reports.
    (_GET, r"/v1/reviews(/\{review_id\}(/history)?)?", Access.READ),
    (_GET, r"/v1/reports/.*", Access.READ),
    # The tenant's report time zone: a viewer's reports are drawn in it, so a viewer may read it.
    (_GET, r"/v1/report-settings", Access.READ),
    # People, keys and the audit trail.
    (_GET + _WRITE, r"/v1/(users|invitations|audit|api-keys|sso)(/.*)?", Access.ADMINISTER),
    # Settings: read by the desk (an agent needs to see teams and policies), changed by managers.
    (_WRITE, r"/v1/(alert-policies(/routing)?|alert-receivers/\{name\}|nlp-settings|translation-settings"
             r"|sources(/\{source_id\})?|teams|agents|resolution-policy|report-schedules(/\{schedule_id\})?|report-settings)", Access.CONFIGURE),
    # The desk's work: everything else a person does on reviews, alerts, cases and imports.
    (_WRITE, r"/v1/(reviews|alerts/.*|backlog/promote|cases/.*|silences(/.*)?|rating-changes|imports"
             r"|agents/\{agent_id\}/away|compliance/check|orders)", Access.WORK),
    (_GET, r"/v1/(alerts|alert-policies|backlog|cases|alert-receivers|silences|deliveries|nlp-settings"
           r"|translation-settings|rating-changes|imports|sources|ingest|teams|agents|resolution-policy|kpis"
           r"|templates|review-requests|knowledge|report-schedules)(/.*)?", Access.WORK_READ),
]
_COMPILED = [(methods, re.compile(pattern + r"\Z"), access) for methods, pattern, access in _RULES]


def access_for(method: str, route: str) -> Access | None:
    """The access rule of `method` on the route template `route`; None = no rule (refuse)."""
    for methods, pattern, access in _COMPILED:
        if method in methods and pattern.match(route):
            return access
    return None
