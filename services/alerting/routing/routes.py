"""The routing tree (inheritance, `continue`, `group_by`), inhibition rules and the tenant's routing
section; pure logic over an alert's labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import AliasChoices, Field, PrivateAttr, field_validator, model_validator

from services.alerting.routing.intervals import NamedTimeInterval, _Model, parse_duration
from services.alerting.routing.matchers import LABEL_NAME, Matcher, _check_label_map, _check_regex_map, _from_maps, _parse_all, matches_all, parse_matchers


GROUP_BY_ALL = "..."
DEFAULT_GROUP_BY = ("rule", "scope")


def _duration_field(alias: str, **limits):
    return Field(None, validation_alias=AliasChoices(f"{alias}_seconds", alias), **limits)


class Route(_Model):
    """A node of the routing tree; children inherit receiver, grouping and timing they leave unset.

    Accepts Alertmanager's own spelling too: `match`/`match_re`, `group_wait: 30s`, `continue`."""

    receiver: str | None = Field(None, description="receiver name; None inherits the parent's")
    matchers: list[str] = Field(default_factory=list, examples=[['severity="critical"', "marketplace=~DE|AT"]])
    match: dict[str, str] = Field(default_factory=dict, description="Alertmanager's deprecated equality map")
    match_re: dict[str, str] = Field(default_factory=dict, description="Alertmanager's deprecated regex map")
    group_by: list[str] | None = Field(None, description="labels to group by; ['...'] groups by all labels")
    group_wait_seconds: float | None = _duration_field("group_wait", ge=0)
    group_interval_seconds: float | None = _duration_field("group_interval", gt=0)
    repeat_interval_seconds: float | None = _duration_field("repeat_interval", gt=0)
    continue_matching: bool = Field(False, alias="continue", description="keep looking at sibling routes after a match")
    mute_time_intervals: list[str] = Field(default_factory=list, description="names of time_intervals when it is muted")
    active_time_intervals: list[str] = Field(default_factory=list, description="names of time_intervals it is only active in")
    labels: dict[str, str] = Field(default_factory=dict, description="labels attached to the route, inherited by children")
    escalate_to: list[str] = Field(default_factory=list, description="receivers told in turn while unacknowledged")
    escalate_after_minutes: float = Field(30, gt=0)
    routes: list["Route"] = Field(default_factory=list)

    _compiled: tuple[Matcher, ...] | None = PrivateAttr(None)

    _check = field_validator("matchers")(classmethod(lambda cls, v: _parse_all(v)))
    _check_match = field_validator("match", "labels")(classmethod(lambda cls, v: _check_label_map(v)))
    _check_match_re = field_validator("match_re")(classmethod(lambda cls, v: _check_regex_map(v)))
    _durations = field_validator(
        "group_wait_seconds", "group_interval_seconds", "repeat_interval_seconds", mode="before"
    )(classmethod(lambda cls, v: parse_duration(v)))

    @field_validator("group_by")
    @classmethod
    def _group_by(cls, value):
        if value is None:
            return value
        if GROUP_BY_ALL in value and len(value) > 1:
            raise ValueError("cannot have wildcard group_by (`...`) and other labels at the same time")
        if len(set(value)) != len(value):
            raise ValueError("duplicated label in group_by")
        for name in value:
            if name != GROUP_BY_ALL and not LABEL_NAME.match(name):
                raise ValueError(f"invalid label name {name!r} in group_by")
        return value

    def all_matchers(self) -> tuple[Matcher, ...]:
        if self._compiled is None:
            self._compiled = _from_maps(self.match, self.match_re) + tuple(
                m for text in self.matchers for m in parse_matchers(text)
            )
        return self._compiled

    def matches(self, labels: dict[str, str]) -> bool:
        return all(m.matches(labels) for m in self.all_matchers())

    def walk(self, path: str = "root"):
        """Every route of the tree with its path, depth first."""
        yield path, self
        for i, child in enumerate(self.routes):
            yield from child.walk(f"{path}.{i}")


class InhibitRule(_Model):
    """While an alert matching `source` fires, alerts matching `target` with equal `equal` labels are
    muted. An alert matching both sides never mutes targets that match both sides (Alertmanager)."""

    source: list[str] = Field(default_factory=list, validation_alias=AliasChoices("source", "source_matchers"))
    target: list[str] = Field(default_factory=list, validation_alias=AliasChoices("target", "target_matchers"))
    source_match: dict[str, str] = Field(default_factory=dict)
    source_match_re: dict[str, str] = Field(default_factory=dict)
    target_match: dict[str, str] = Field(default_factory=dict)
    target_match_re: dict[str, str] = Field(default_factory=dict)
    equal: list[str] = Field(default_factory=list)

    _check = field_validator("source", "target")(classmethod(lambda cls, v: _parse_all(v)))
    _check_match = field_validator("source_match", "target_match")(classmethod(lambda cls, v: _check_label_map(v)))
    _check_match_re = field_validator("source_match_re", "target_match_re")(classmethod(lambda cls, v: _check_regex_map(v)))

    def source_matches(self, labels: dict[str, str]) -> bool:
        return all(m.matches(labels) for m in _from_maps(self.source_match, self.source_match_re)) and matches_all(
            self.source, labels
        )

    def target_matches(self, labels: dict[str, str]) -> bool:
        return all(m.matches(labels) for m in _from_maps(self.target_match, self.target_match_re)) and matches_all(
            self.target, labels
        )

    def meaning(self) -> tuple:
        """What the rule does, however it is spelt (maps or matcher lists, quoted or not)."""
        def side(match, match_re, texts):
            return tuple(sorted({str(m) for m in _from_maps(match, match_re)} | {str(m) for t in texts for m in parse_matchers(t)}))
        return (side(self.source_match, self.source_match_re, self.source),
                side(self.target_match, self.target_match_re, self.target), tuple(sorted(self.equal)))


def spec_inhibit_rules() -> list[InhibitRule]:
    """The SPEC's built-in rules, in force unless a policy sets `spec_inhibit_rules: false`."""
    return [
        # SPEC §4: a red baseline alert mutes the orange one for the same scope and day.
        InhibitRule(source=["rule=rating_baseline", "level=red"], target=["rule=rating_baseline", "level=orange"], equal=["scope", "day"]),
        # A level-1 crisis mutes the everyday level-3 notice for the same marketplace and day.
        InhibitRule(source=["rule=crisis", "crisis_level=1"], target=["rule=crisis", "crisis_level=3"], equal=["scope", "day"]),
    ]


def _default_root() -> Route:
    return Route(
        receiver=None, group_by=list(DEFAULT_GROUP_BY), group_wait_seconds=30, group_interval_seconds=300,
        repeat_interval_seconds=4 * 3600,
    )


class RoutingRules(_Model):
    route: Route = Field(
        default_factory=_default_root,
        description="the root route; with no receiver anywhere, alerts are kept in history only (marked undeliverable)",
    )
    inhibit_rules: list[InhibitRule] = Field(default_factory=list, description="in addition to the SPEC's built-in rules")
    spec_inhibit_rules: bool = Field(True, description="false turns the SPEC's red→orange and level 1→3 rules off")
    time_intervals: list[NamedTimeInterval] = Field(default_factory=list)
    mute_time_intervals: list[NamedTimeInterval] = Field(
        default_factory=list, description="Alertmanager's older name for time_intervals"
    )

    @model_validator(mode="after")
    def _consistent(self) -> "RoutingRules":
        root = self.route
        if root.matchers or root.match or root.match_re:
            raise ValueError("route: the root route must not have any matchers (it receives every alert)")
        if root.continue_matching:
            raise ValueError("route: the root route cannot have `continue`")
        if root.mute_time_intervals or root.active_time_intervals:
            raise ValueError("route: the root route cannot have mute or active time intervals")
        names = [i.name for i in self.time_intervals + self.mute_time_intervals]
        if len(set(names)) != len(names):
            raise ValueError("time_intervals: a name is used twice")
        for path, route in root.walk("route"):
            for kind in ("mute_time_intervals", "active_time_intervals"):
                for name in getattr(route, kind):
                    if name not in names:
                        raise ValueError(f"{path}.{kind}: undefined time interval {name!r}")
        return self

    def effective_inhibit_rules(self) -> list[InhibitRule]:
        """The SPEC's built-ins (unless turned off) and the tenant's rules, each meaning once: an
        exported config lists the built-ins, and importing it back must not double them."""
        rules, seen = [], set()
        for rule in (spec_inhibit_rules() if self.spec_inhibit_rules else []) + list(self.inhibit_rules):
            if rule.meaning() not in seen:
                seen.add(rule.meaning())
                rules.append(rule)
        return rules

    def intervals(self) -> dict[str, NamedTimeInterval]:
        return {i.name: i for i in self.time_intervals + self.mute_time_intervals}

    def receiver_references(self) -> list[tuple[str, str]]:
        """(config path, receiver name) of every receiver the tree names, for validation."""
        found = []

        def visit(route: Route, path: str) -> None:
            if route.receiver:
                found.append((f"{path}.receiver", route.receiver))
            found.extend((f"{path}.escalate_to.{i}", name) for i, name in enumerate(route.escalate_to))
            for i, child in enumerate(route.routes):
                visit(child, f"{path}.routes.{i}")

        visit(self.route, "routing.route")
        return found


@dataclass(frozen=True)
class Destination:
    """Where a matched alert goes, with the timing of the route that sent it there."""

    route_path: str
    receiver: str
    group_by: tuple[str, ...]
    group_wait: float
    group_interval: float
    repeat_interval: float
    escalate_to: tuple[str, ...]
    escalate_after_minutes: float
    group_by_all: bool = False
    mute_time_intervals: tuple[str, ...] = ()
    active_time_intervals: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = field(default=())

    def group_labels(self, labels: dict[str, str]) -> dict[str, str]:
        """The labels that make the group (Alertmanager: those of group_by the alert has)."""
        if self.group_by_all:
            return {k: v for k, v in sorted(labels.items()) if v != ""}
        return {k: labels.get(k, "") for k in self.group_by}

    def group_key(self, labels: dict[str, str]) -> str:
        return "|".join(f"{k}={v}" for k, v in self.group_labels(labels).items())


def match_routes(root: Route, labels: dict[str, str]) -> list[Destination]:
    """Alertmanager's Route.Match: the deepest matching routes, first match wins unless `continue`.
    A destination's receiver is "" where no route up the tree names one."""

    def walk(route: Route, path: str, inherited: dict) -> list[Destination] | None:
        if not route.matches(labels):
            return None
        opts = dict(inherited)
        opts["labels"] = {**inherited["labels"], **route.labels}
        if route.receiver:
            opts["receiver"] = route.receiver
        if route.group_by is not None:
            opts["group_by_all"] = route.group_by == [GROUP_BY_ALL]
            opts["group_by"] = () if opts["group_by_all"] else tuple(route.group_by)
        for key, value in (
            ("group_wait", route.group_wait_seconds), ("group_interval", route.group_interval_seconds),
            ("repeat_interval", route.repeat_interval_seconds),
        ):
            if value is not None:
                opts[key] = value
        found: list[Destination] = []
        for i, child in enumerate(route.routes):
            matched = walk(child, f"{path}.{i}", opts)
            if matched is not None:
                found += matched
                if not child.continue_matching:
                    break
        if found:
            return found
        return [
            Destination(
                route_path=path, receiver=opts["receiver"], group_by=opts["group_by"], group_wait=opts["group_wait"],
                group_interval=opts["group_interval"], repeat_interval=opts["repeat_interval"],
                escalate_to=tuple(route.escalate_to), escalate_after_minutes=route.escalate_after_minutes,
                group_by_all=opts["group_by_all"], mute_time_intervals=tuple(route.mute_time_intervals),
                active_time_intervals=tuple(route.active_time_intervals), labels=tuple(sorted(opts["labels"].items())),
            )
        ]

    # NOTE: Alertmanager's defaults, except group_by: unset at the root means SPEC's [rule, scope]
    # (one incident per group) rather than one group for everything.
    defaults = {
        "receiver": "", "group_by": DEFAULT_GROUP_BY, "group_by_all": False, "group_wait": 30.0,
        "group_interval": 300.0, "repeat_interval": 14400.0, "labels": {},
    }
    return walk(root, "root", defaults) or []


def destinations(root: Route, labels: dict[str, str]) -> list[Destination]:
    """The matched routes that name a receiver (the others keep the alert in history only)."""
    return [d for d in match_routes(root, labels) if d.receiver]


def could_inhibit(labels: dict[str, str], rules: list[InhibitRule]) -> bool:
    """True when the alert is the source side of some inhibit rule (only those need loading)."""
    return any(rule.source_matches(labels) for rule in rules)


def inhibited(target: dict[str, str], firing: list[dict[str, str]], rules: list[InhibitRule]) -> bool:
    """Alertmanager's Inhibitor.Mutes: a firing source mutes `target` under one of the rules; when
    the target matches the source side too, sources that also match the target side don't count,
    so an alert never mutes itself or its peers."""
    for rule in rules:
        if not rule.target_matches(target):
            continue
        two_sided = rule.source_matches(target)
        for source in firing:
            if not rule.source_matches(source):
                continue
            if any(source.get(label, "") != target.get(label, "") for label in rule.equal):
                continue
            if two_sided and rule.target_matches(source):
                continue
            return True
    return False


def muted_by_time(destination_mute: tuple[str, ...], destination_active: tuple[str, ...],
                  intervals: dict[str, NamedTimeInterval], at: datetime) -> bool:
    """Alertmanager's time muting: inside any mute interval, or outside every active one."""
    if any(intervals[n].contains(at) for n in destination_mute if n in intervals):
        return True
    if destination_active and not any(intervals[n].contains(at) for n in destination_active if n in intervals):
        return True
    return False
