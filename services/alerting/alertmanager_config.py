"""Alertmanager config text in and out: what an ops team pastes from its alertmanager.yml, and the
effective routing written back the same way. The mapping itself (keys, matchers, durations) is
routing.from_alertmanager / routing.to_alertmanager; this module owns the text."""

from __future__ import annotations

import yaml
from pydantic import ValidationError

from libs.errors import FieldViolation, InvalidArgument, violations_of
from services.alerting.routing import RoutingRules, from_alertmanager, to_alertmanager

# NOTE: a routing config is a few KiB; 256 KiB leaves room for big trees and keeps one tenant's
# paste from costing the service real memory.
MAX_CONFIG_BYTES = 256 * 1024


def parse(text: str) -> dict:
    """The policy's `routing` section from Alertmanager YAML (or JSON, which is YAML too).

    Refuses YAML aliases: an alias is a reference, and a few nested ones expand to gigabytes once
    the config is validated and stored (the "billion laughs"); Alertmanager configs never need them."""
    if len(text.encode()) > MAX_CONFIG_BYTES:
        raise InvalidArgument("config too large", [FieldViolation("config", f"at most {MAX_CONFIG_BYTES} bytes")])
    try:
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader)):
            raise InvalidArgument("config uses YAML aliases", [FieldViolation("config", "write each value out; aliases (*name) are not accepted")])
        config = yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where is not None else ""
        raise InvalidArgument("config is not valid YAML", [FieldViolation("config", f"{getattr(error, 'problem', None) or error}{at}")]) from None
    if not isinstance(config, dict) or "route" not in config:
        raise InvalidArgument("not an Alertmanager config", [FieldViolation("config", "a mapping with a `route` (and optionally inhibit_rules, time_intervals)")])
    try:
        return from_alertmanager(config)
    except ValidationError as error:
        raise InvalidArgument(
            "invalid Alertmanager config; nothing was changed",
            violations_of(error, default="config"),
        ) from None
    except ValueError as error:
        raise InvalidArgument("invalid Alertmanager config; nothing was changed", [FieldViolation("config", str(error))]) from None


def render(rules: RoutingRules) -> str:
    """The effective routing as Alertmanager YAML, keys in Alertmanager's order."""
    return yaml.safe_dump(to_alertmanager(rules), sort_keys=False, allow_unicode=True, default_flow_style=False)
