"""Alertmanager-style routing: a tree of routes matching labels to receivers, silences, inhibition.

Pure logic over an alert's labels; storage and delivery live in delivery.py.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reviewguard.alerting.v1 import alert_pb2

_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Matcher:
    """`label=value`, `label!=value`, `label=~regex`, `label!~regex` (regexes match the whole value)."""

    label: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> "Matcher":
        match = _MATCHER.match(text)
        if not match:
            raise ValueError(f"bad matcher {text!r}: write label=value, label!=value, label=~regex or label!~regex")
        label, op, value = match.groups()
        value = value.strip('"')
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"bad regex in matcher {text!r}: {error}") from None
        return cls(label, op, value)

    def matches(self, labels: dict[str, str]) -> bool:
        have = labels.get(self.label, "")
        if self.op == "=":
            return have == self.value
        if self.op == "!=":
            return have != self.value
        found = re.fullmatch(self.value, have) is not None
        return found if self.op == "=~" else not found


def _parse_all(matchers: list[str]) -> list[str]:
    for m in matchers:
        Matcher.parse(m)
    return matchers


def matches_all(matchers: list[str], labels: dict[str, str]) -> bool:
    return all(Matcher.parse(m).matches(labels) for m in matchers)


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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Route(_Model):
    """A node of the routing tree; children inherit what they leave unset."""

    receiver: str | None = Field(None, description="receiver name; None inherits the parent's")
    matchers: list[str] = Field(default_factory=list, examples=[["severity=critical", "marketplace=~DE|AT"]])
    group_by: list[str] | None = None
    group_wait_seconds: float | None = Field(None, ge=0)
    group_interval_seconds: float | None = Field(None, ge=1)
    repeat_interval_seconds: float | None = Field(None, ge=60)
    continue_matching: bool = Field(False, alias="continue", description="keep looking at sibling routes after a match")
    escalate_to: list[str] = Field(default_factory=list, description="receivers told in turn while unacknowledged")
    escalate_after_minutes: float = Field(30, gt=0)
    routes: list["Route"] = Field(default_factory=list)

    _check = field_validator("matchers")(classmethod(lambda cls, v: _parse_all(v)))


class InhibitRule(_Model):
    """While an alert matching `source` fires, alerts matching `target` with equal `equal` labels are muted."""

    source: list[str]
    target: list[str]
    equal: list[str] = Field(default_factory=list)

    _check = field_validator("source", "target")(classmethod(lambda cls, v: _parse_all(v)))


def _default_inhibit_rules() -> list[InhibitRule]:
    return [
        # SPEC §4: a red baseline alert mutes the orange one for the same scope and day.
        InhibitRule(source=["rule=rating_baseline", "level=red"], target=["rule=rating_baseline", "level=orange"], equal=["scope", "day"]),
        # A level-1 crisis mutes the everyday level-3 notice for the same marketplace and day.
        InhibitRule(source=["rule=crisis", "crisis_level=1"], target=["rule=crisis", "crisis_level=3"], equal=["scope", "day"]),
    ]


class RoutingRules(_Model):
    route: Route = Field(
        default_factory=lambda: Route(
            receiver=None, group_by=["rule", "scope"], group_wait_seconds=30, group_interval_seconds=300,
            repeat_interval_seconds=4 * 3600,
        ),
        description="the root route; with no receiver anywhere, alerts are kept in history only",
    )
    inhibit_rules: list[InhibitRule] = Field(default_factory=_default_inhibit_rules)


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

    def group_key(self, labels: dict[str, str]) -> str:
        return "|".join(f"{k}={labels.get(k, '')}" for k in self.group_by)


def destinations(root: Route, labels: dict[str, str]) -> list[Destination]:
    """The receivers an alert goes to: the deepest matching routes, first match wins unless `continue`."""

    def walk(route: Route, path: str, inherited: dict) -> list[Destination]:
        settings = {
            "receiver": route.receiver if route.receiver is not None else inherited.get("receiver"),
            "group_by": route.group_by if route.group_by is not None else inherited.get("group_by", ["rule", "scope"]),
            "group_wait": route.group_wait_seconds if route.group_wait_seconds is not None else inherited.get("group_wait", 30),
            "group_interval": route.group_interval_seconds
            if route.group_interval_seconds is not None
            else inherited.get("group_interval", 300),
            "repeat_interval": route.repeat_interval_seconds
            if route.repeat_interval_seconds is not None
            else inherited.get("repeat_interval", 14400),
        }
        found: list[Destination] = []
        for i, child in enumerate(route.routes):
            if matches_all(child.matchers, labels):
                found += walk(child, f"{path}.{i}", settings)
                if not child.continue_matching:
                    break
        if found or not settings["receiver"]:
            return found
        return [
            Destination(
                route_path=path,
                receiver=settings["receiver"],
                group_by=tuple(settings["group_by"]),
                group_wait=settings["group_wait"],
                group_interval=settings["group_interval"],
                repeat_interval=settings["repeat_interval"],
                escalate_to=tuple(route.escalate_to),
                escalate_after_minutes=route.escalate_after_minutes,
            )
        ]

    return walk(root, "root", {})


def could_inhibit(labels: dict[str, str], rules: list[InhibitRule]) -> bool:
    """True when the alert is the source side of some inhibit rule (only those need loading)."""
    return any(matches_all(rule.source, labels) for rule in rules)


def inhibited(target: dict[str, str], firing: list[dict[str, str]], rules: list[InhibitRule]) -> bool:
    """True when a firing alert mutes `target` under one of the rules."""
    for rule in rules:
        if not matches_all(rule.target, target):
            continue
        for source in firing:
            if source is target or not matches_all(rule.source, source):
                continue
            if all(source.get(label, "") == target.get(label, "") for label in rule.equal):
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
