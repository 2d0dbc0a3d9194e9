"""A tenant's routing section in and out of an Alertmanager `alertmanager.yml` (route tree, inhibit
rules, time intervals)."""

from __future__ import annotations

from services.alerting.routing.intervals import format_duration
from services.alerting.routing.matchers import _from_maps, parse_matchers
from services.alerting.routing.routes import DEFAULT_GROUP_BY, InhibitRule, Route, RoutingRules


_AM_IGNORED = ("global", "templates", "receivers")


def from_alertmanager(config: dict) -> dict:
    """The `routing` section of a ReviewGuard policy from an Alertmanager config (its `route`,
    `inhibit_rules`, `time_intervals` and `mute_time_intervals`). Receivers are mapped by name: the
    ReviewGuard receivers of those names must exist when the policy is stored. `global` and
    `templates` have no meaning here and are ignored; anything else unknown is refused."""
    unknown = set(config) - {"route", "inhibit_rules", "time_intervals", "mute_time_intervals", *_AM_IGNORED}
    if unknown:
        raise ValueError(f"unsupported Alertmanager config keys: {sorted(unknown)}")
    section = {key: config[key] for key in ("route", "inhibit_rules", "time_intervals", "mute_time_intervals") if key in config}
    RoutingRules.model_validate(section)  # NOTE: refuse early, with the model's field paths
    return section


def to_alertmanager(rules: RoutingRules) -> dict:
    """The effective routing as Alertmanager config (route tree, inhibit rules incl. the SPEC's
    built-ins, time intervals). ReviewGuard-only route fields (escalation) are left out."""

    def route(r: Route, root: bool) -> dict:
        out: dict = {}
        if r.receiver:
            out["receiver"] = r.receiver
        matchers = [str(m) for m in r.all_matchers()]
        if matchers:
            out["matchers"] = matchers
        if r.group_by is not None or root:
            out["group_by"] = list(r.group_by if r.group_by is not None else DEFAULT_GROUP_BY)
        for key, value in (("group_wait", r.group_wait_seconds), ("group_interval", r.group_interval_seconds),
                           ("repeat_interval", r.repeat_interval_seconds)):
            if value is not None:
                out[key] = format_duration(value)
        if r.continue_matching:
            out["continue"] = True
        for key in ("mute_time_intervals", "active_time_intervals"):
            if getattr(r, key):
                out[key] = list(getattr(r, key))
        if r.labels:
            out["labels"] = dict(r.labels)
        if r.routes:
            out["routes"] = [route(child, False) for child in r.routes]
        return out

    def inhibit(rule: InhibitRule) -> dict:
        out = {
            "source_matchers": [str(m) for m in _from_maps(rule.source_match, rule.source_match_re)]
            + [str(m) for text in rule.source for m in parse_matchers(text)],
            "target_matchers": [str(m) for m in _from_maps(rule.target_match, rule.target_match_re)]
            + [str(m) for text in rule.target for m in parse_matchers(text)],
        }
        if rule.equal:
            out["equal"] = list(rule.equal)
        return out

    receivers = sorted({name for path, name in rules.receiver_references() if ".escalate_to." not in path})
    return {
        "route": route(rules.route, True),
        "receivers": [{"name": name} for name in receivers],
        "inhibit_rules": [inhibit(r) for r in rules.effective_inhibit_rules()],
        "time_intervals": [i.model_dump(exclude_none=True) for i in rules.time_intervals + rules.mute_time_intervals],
    }
