"""Alertmanager-style routing: a tree of routes matching labels to receivers, silences, inhibition.

Pure logic over an alert's labels; storage and delivery live in delivery.py. The semantics and the
config follow Prometheus Alertmanager (matcher grammar, route inheritance, `continue`, `group_by`
incl. `...`, inhibition's two-sided exclusion, `time_intervals`); the deliberate differences are
listed in services/alerting/README.md.
"""

from __future__ import annotations

import calendar
import functools
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

import re2
from reviewguard.alerting.v1 import alert_pb2

# --- matchers --------------------------------------------------------------------------------

# NOTE: Alertmanager's pkg/labels/parse.go: `=~` before `=`, and the value is everything after the
# operator up to trailing whitespace (quotes and escapes are handled afterwards).
_MATCHER = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*((?s:.*?))\s*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # a tenant's bad pattern is a 422, not a line on the service's stderr
    options.max_mem = 1 << 20  # a pattern whose program needs more is refused, not compiled slowly
    return options


_RE2_OPTIONS = _re2_options()


@functools.lru_cache(maxsize=2048)
def _regex(pattern: str) -> re2._Regexp:
    """A tenant's regex compiled by RE2 (Alertmanager's engine too): matching never backtracks, so
    `(a+)+b` costs time linear in the value's length, and RE2's syntax is the one accepted
    (no backreferences, lookarounds, atomic groups, possessive repeats, repeats over 1000)."""
    # NOTE: a pure function's cache: compiled patterns are immutable and shared by every tenant.
    return re2.compile(pattern, _RE2_OPTIONS)


@dataclass(frozen=True)
class Matcher:
    """`label=value`, `label!=value`, `label=~regex`, `label!~regex` (regexes match the whole value,
    in linear time). A label an alert does not have counts as the empty string."""

    label: str
    op: str
    value: str

    def __post_init__(self) -> None:
        if self.op in ("=~", "!~"):
            try:
                _regex(self.value)
            except re2.error as error:
                reason = error.args[0].decode(errors="replace") if error.args and isinstance(error.args[0], bytes) else str(error)
                raise ValueError(f"bad regex {self.value!r}: error parsing regexp: {reason}") from None

    @classmethod
    def parse(cls, text: str) -> "Matcher":
        """One matcher, Alertmanager's ParseMatcher: optional quotes, `\\"`, `\\\\`, `\\n` escapes."""
        match = _MATCHER.match(text)
        if not match:
            raise ValueError(f"bad matcher format: {text}")
        label, op, raw = match.groups()
        quoted = raw.startswith('"')
        body = raw[1:] if quoted else raw
        value, escaped, closed = [], False, False
        for i, char in enumerate(body):
            if escaped:
                escaped = False
                value.append({"n": "\n", '"': '"', "\\": "\\"}.get(char, "\\" + char))
            elif char == "\\":
                if i < len(body) - 1:
                    escaped = True
                else:
                    value.append("\\")
            elif char == '"':
                if not quoted or i < len(body) - 1:
                    raise ValueError(f"matcher value contains unescaped double quote: {raw}")
                closed = True
            else:
                value.append(char)
        if quoted and not closed:
            raise ValueError(f"matcher value contains unescaped double quote: {raw}")
        return cls(label, op, "".join(value))

    def matches(self, labels: dict[str, str]) -> bool:
        have = labels.get(self.label, "")
        if self.op == "=":
            return have == self.value
        if self.op == "!=":
            return have != self.value
        found = _regex(self.value).fullmatch(have) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'{self.label}{self.op}"{escaped}"'


@functools.lru_cache(maxsize=4096)
def parse_matchers(text: str) -> tuple[Matcher, ...]:
    """A comma-separated list, optionally in braces (Alertmanager's ParseMatchers):
    `{severity="critical", marketplace=~"DE|AT"}`; commas inside quotes belong to the value."""
    text = text.removeprefix("{").removesuffix("}")
    tokens, token, inside, escaped = [], [], False, False
    for char in text:
        if char == "," and not inside:
            tokens.append("".join(token))
            token = []
            continue
        if char == '"':
            if not escaped:
                inside = not inside
            else:
                escaped = False
        elif char == "\\":
            escaped = not escaped
        else:
            escaped = False
        token.append(char)
    last = "".join(token).strip()
    if last:
        tokens.append(last)
    return tuple(Matcher.parse(t) for t in tokens)


def _parse_all(matchers: list[str]) -> list[str]:
    for m in matchers:
        parse_matchers(m)
    return matchers


def matches_all(matchers: list[str], labels: dict[str, str]) -> bool:
    return all(m.matches(labels) for text in matchers for m in parse_matchers(text))


def _from_maps(equal: dict[str, str], regex: dict[str, str]) -> tuple[Matcher, ...]:
    """Alertmanager's deprecated `match` / `match_re` maps as matchers."""
    return tuple(Matcher(k, "=", v) for k, v in equal.items()) + tuple(Matcher(k, "=~", v) for k, v in regex.items())


def _check_label_map(value: dict[str, str]) -> dict[str, str]:
    for name in value:
        if not LABEL_NAME.match(name):
            raise ValueError(f"invalid label name {name!r}")
    return value


def _check_regex_map(value: dict[str, str]) -> dict[str, str]:
    _check_label_map(value)
    for name, pattern in value.items():
        Matcher(name, "=~", pattern)
    return value


SEVERITY_NAMES = {
    alert_pb2.SEVERITY_NORMAL: "normal",
    alert_pb2.SEVERITY_HIGH: "high",
    alert_pb2.SEVERITY_CRITICAL: "critical",
}


def alert_labels(alert: alert_pb2.Alert) -> dict[str, str]:
    """Every label routes, silences and inhibition rules can match on."""
    labels = dict(alert.labels)
    labels.update(
        {
            "rule": alert.rule,
            "severity": SEVERITY_NAMES.get(alert.severity, "unspecified"),
            "scope": alert.scope,
            "day": alert.day,
            "platform": alert.platform,
            "marketplace": alert.marketplace or labels.get("marketplace", ""),
            "product_id": alert.product_id,
        }
    )
    return labels


# --- durations -------------------------------------------------------------------------------

_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
_UNITS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)


def parse_duration(value):
    """Seconds from a number or a Prometheus duration (`30s`, `5m`, `1h30m`, `2d`, `0`)."""
    if value is None or isinstance(value, (int, float)):
        return value
    if not isinstance(value, str):
        raise ValueError("a duration is a number of seconds or a string like 30s, 5m, 4h")
    text = value.strip()
    if text == "0":
        return 0.0
    match = _DURATION.match(text)
    if not text or not match or (text != "0" and not any(match.groups())):
        raise ValueError(f"not a valid duration string: {value!r} (write e.g. 30s, 5m, 4h, 1d)")
    return float(sum(int(g) * unit for g, unit in zip(match.groups(), _UNITS) if g))


def format_duration(seconds: float) -> str:
    """The Prometheus spelling of a number of seconds (for exports)."""
    if seconds == 0:
        return "0s"
    millis = round(seconds * 1000)
    out = ""
    for unit, name in ((86400_000, "d"), (3600_000, "h"), (60_000, "m"), (1000, "s"), (1, "ms")):
        count, millis = divmod(millis, unit)
        if count:
            out += f"{count}{name}"
    return out


# --- time intervals --------------------------------------------------------------------------

_WEEKDAYS = {d: i for i, d in enumerate(("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"))}
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_CLOCK = re.compile(r"^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")


def _range(text, member) -> tuple[int, int]:
    text = str(text).lower()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 2:
            raise ValueError(f"couldn't parse range {text}, invalid format")
        return member(parts[0]), member(parts[1])
    value = member(text)
    return value, value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text} is not a number") from None


def _weekday(text: str) -> int:
    if text not in _WEEKDAYS:
        raise ValueError(f"{text} is not a valid weekday")
    return _WEEKDAYS[text]


def _month(text: str) -> int:
    if text in _MONTHS:
        return _MONTHS[text]
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text} is not a valid month") from None


def _minutes(text: str) -> int:
    if not _CLOCK.match(text):
        raise ValueError(f"couldn't parse timestamp {text}, invalid format")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TimeRange(_Model):
    """`start_time`–`end_time` of a day, `HH:MM`, end exclusive; `24:00` closes the day."""

    start_time: str
    end_time: str

    @model_validator(mode="after")
    def _ordered(self) -> "TimeRange":
        if _minutes(self.start_time) >= _minutes(self.end_time):
            raise ValueError("start time cannot be equal or greater than end time")
        return self


class TimeInterval(_Model):
    """Alertmanager's time_interval: every given field must hold (an absent one always does)."""

    times: list[TimeRange] | None = None
    weekdays: list[str] | None = None
    days_of_month: list[str | int] | None = None
    months: list[str | int] | None = None
    years: list[str | int] | None = None
    location: str | None = None

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value):
        for item in value or []:
            begin, end = _range(item, _weekday)
            if begin > end:
                raise ValueError("start day cannot be before end day")
        return value

    @field_validator("days_of_month")
    @classmethod
    def _days(cls, value):
        for item in value or []:
            begin, end = _range(item, _integer)
            for day in (begin, end):
                if day == 0 or not -31 <= day <= 31:
                    raise ValueError(f"{day} is not a valid day of the month: out of range")
            if begin < 0 < end:
                raise ValueError("end day must be negative if start day is negative")
            if (28 + begin if begin < 0 else begin) > (28 + end if end < 0 else end):
                raise ValueError(f"end day {end} is always before start day {begin}")
        return value

    @field_validator("months")
    @classmethod
    def _months(cls, value):
        for item in value or []:
            begin, end = _range(item, _month)
            if not (1 <= begin <= 12 and 1 <= end <= 12):
                raise ValueError(f"{item} is not a valid month: out of range")
            if begin > end:
                raise ValueError(f"end month {end} is before start month {begin}")
        return value

    @field_validator("years")
    @classmethod
    def _years(cls, value):
        for item in value or []:
            begin, end = _range(item, _integer)
            if begin > end:
                raise ValueError(f"end year {end} is before start year {begin}")
        return value

    @field_validator("location")
    @classmethod
    def _location(cls, value):
        return None if value is None else _check_zone(value)

    def contains(self, at: datetime) -> bool:
        """Alertmanager's ContainsTime."""
        if self.location:
            at = at.astimezone(zoneinfo.ZoneInfo(self.location))
        minute = at.hour * 60 + at.minute
        if self.times is not None and not any(
            _minutes(r.start_time) <= minute < _minutes(r.end_time) for r in self.times
        ):
            return False
        if self.days_of_month is not None:
            length = calendar.monthrange(at.year, at.month)[1]
            found = False
            for item in self.days_of_month:
                begin, end = _range(item, _integer)
                begin = length + begin + 1 if begin < 0 else begin
                end = length + end + 1 if end < 0 else end
                if begin > length:
                    continue
                begin, end = max(-length, min(begin, length)), max(-length, min(end, length))
                if begin <= at.day <= end:
                    found = True
                    break
            if not found:
                return False
        if self.months is not None and not any(
            b <= at.month <= e for b, e in (_range(m, _month) for m in self.months)
        ):
            return False
        weekday = (at.weekday() + 1) % 7  # NOTE: Go counts Sunday as 0
        if self.weekdays is not None and not any(
            b <= weekday <= e for b, e in (_range(d, _weekday) for d in self.weekdays)
        ):
            return False
        if self.years is not None and not any(
            b <= at.year <= e for b, e in (_range(y, _integer) for y in self.years)
        ):
            return False
        return True


class NamedTimeInterval(_Model):
    """`time_intervals` entry: a name routes refer to and the intervals it covers (any of them)."""

    name: str = Field(min_length=1)
    time_intervals: list[TimeInterval] = Field(default_factory=list)

    def contains(self, at: datetime) -> bool:
        return any(i.contains(at) for i in self.time_intervals)


# --- routes ----------------------------------------------------------------------------------

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


def _check_zone(zone: str) -> str:
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone!r}") from None
    return zone


class WeeklyWindow(_Model):
    """A recurring window, e.g. every Saturday and Sunday 00:00–23:59 in Europe/Berlin."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    start: time
    end: time
    time_zone: str = "UTC"

    _zone = field_validator("time_zone")(classmethod(lambda cls, v: _check_zone(v)))

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(zoneinfo.ZoneInfo(self.time_zone))
        day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
        now = local.time()
        if self.start <= self.end:
            return day in self.days and self.start <= now < self.end
        # NOTE: a window over midnight (22:00–06:00) belongs to the day it starts on.
        yesterday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(local.weekday() - 1) % 7]
        return (day in self.days and now >= self.start) or (yesterday in self.days and now < self.end)


class QuietHours(_Model):
    """Hours a receiver is not disturbed; critical alerts (red, level 1, safety) still go through."""

    start: time = time(21, 0)
    end: time = time(8, 0)
    time_zone: str = "UTC"

    _zone = field_validator("time_zone")(classmethod(lambda cls, v: _check_zone(v)))

    def window(self) -> WeeklyWindow:
        return WeeklyWindow(days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"], start=self.start, end=self.end, time_zone=self.time_zone)


# --- Alertmanager config import / export -----------------------------------------------------

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
