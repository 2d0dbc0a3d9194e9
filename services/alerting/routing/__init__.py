"""Alertmanager-style routing: a tree of routes matching labels to receivers, silences, inhibition.

Pure logic over an alert's labels; storage and delivery live in delivery.py. The semantics and the
config follow Prometheus Alertmanager (matcher grammar, route inheritance, `continue`, `group_by`
incl. `...`, inhibition's two-sided exclusion, `time_intervals`); the deliberate differences are
listed in services/alerting/README.md.

One module per part: `matchers` (label matchers), `intervals` (durations, time intervals, weekly
windows, quiet hours), `routes` (the tree, inhibition, the routing section), `alertmanager` (YAML in
and out). This package's names are theirs, imported here so callers need not know the part.
"""

from __future__ import annotations

from services.alerting.routing.matchers import LABEL_NAME, Matcher, SEVERITY_NAMES, alert_labels, matches_all, parse_matchers
from services.alerting.routing.intervals import NamedTimeInterval, QuietHours, TimeInterval, TimeRange, WeeklyWindow, format_duration, parse_duration
from services.alerting.routing.routes import DEFAULT_GROUP_BY, Destination, GROUP_BY_ALL, InhibitRule, Route, RoutingRules, could_inhibit, destinations, inhibited, match_routes, muted_by_time, spec_inhibit_rules
from services.alerting.routing.alertmanager import from_alertmanager, to_alertmanager

__all__ = [
    "LABEL_NAME",
    "Matcher",
    "SEVERITY_NAMES",
    "alert_labels",
    "matches_all",
    "parse_matchers",
    "NamedTimeInterval",
    "QuietHours",
    "TimeInterval",
    "TimeRange",
    "WeeklyWindow",
    "format_duration",
    "parse_duration",
    "DEFAULT_GROUP_BY",
    "Destination",
    "GROUP_BY_ALL",
    "InhibitRule",
    "Route",
    "RoutingRules",
    "could_inhibit",
    "destinations",
    "inhibited",
    "match_routes",
    "muted_by_time",
    "spec_inhibit_rules",
    "from_alertmanager",
    "to_alertmanager",
]
