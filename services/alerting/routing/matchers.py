"""Alertmanager matchers (`name=value`, `=~`, `!=`, `!~`, RE2 regexes) and an alert's labels."""

from __future__ import annotations

import functools
import re
import re2
from dataclasses import dataclass

from reviewguard.alerting.v1 import alert_pb2


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
