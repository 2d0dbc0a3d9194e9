"""What the compliance check reports: rules, violations and the verdict for one text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """A kind of forbidden wording, e.g. `review.incentive`."""

    id: str
    explanation: str

    @property
    def category(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class PlatformPolicy:
    """The rules one platform enforces on what a seller writes to buyers."""

    platform: str
    name: str
    policy: str
    rules: frozenset[str]
    allowed_domain_labels: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Violation:
    """One forbidden phrase: which rule, where in the original text, and why it is forbidden."""

    rule_id: str
    platform: str
    phrase: str
    start: int
    end: int
    language: str
    explanation: str

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one text for one platform; `passed` only when nothing was found."""

    platform: str
    violations: tuple[Violation, ...]

    @property
    def passed(self) -> bool:
        return not self.violations

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(v.rule_id for v in self.violations)
