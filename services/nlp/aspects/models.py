"""The aspect names, tenant tag definitions and hit records the tagger works with."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

# NOTE: order is the order tags come out in; the alerting service keys aspect spikes on these names.
ASPECTS: tuple[str, ...] = (
    "product_quality",
    "logistics",
    "damaged",
    "description_mismatch",
    "customer_service",
    "price_value",
    "counterfeit",
    "safety",
    "cultural_fit",
)

# NOTE: problem aspects assert that something is wrong, so "not damaged" must not tag them; topic
# aspects (quality, delivery, service, price) are discussed even when negated ("not good quality").
# Cultural fit is left out: its complaints are absences ("no instructions in Spanish") whose cue
# belongs to the complaint.
PROBLEM_ASPECTS: frozenset[str] = frozenset({"damaged", "description_mismatch", "counterfeit", "safety"})

ANY_LANGUAGE = "*"
MAX_KEYWORDS = 200
MAX_PATTERNS = 20
MAX_PATTERN_LENGTH = 200
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,62}$")


class TenantTag(BaseModel):
    """A tenant's own tag: keywords and regular expressions for one language ("*" for all)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="tag name; a base aspect name adds terms to that aspect")
    language: str = Field(default=ANY_LANGUAGE, description="ISO 639-1 code or '*'")
    keywords: tuple[str, ...] = Field(default=(), max_length=MAX_KEYWORDS)
    patterns: tuple[str, ...] = Field(default=(), max_length=MAX_PATTERNS)
    negatable: bool = Field(default=False, description="a negation cue before a hit cancels it")

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("tag names are lower-case letters, digits and _ . : - (at most 63)")
        return value

    @field_validator("language")
    @classmethod
    def _valid_language(cls, value: str) -> str:
        value = value.strip().lower()
        if value != ANY_LANGUAGE and not re.fullmatch(r"[a-z]{2,3}", value):
            raise ValueError("language is an ISO 639 code or '*'")
        return value

    @field_validator("keywords")
    @classmethod
    def _valid_keywords(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(k.strip() for k in value if k.strip())
        if any(len(k) > 100 for k in cleaned):
            raise ValueError("keywords are at most 100 characters")
        return cleaned

    @field_validator("patterns")
    @classmethod
    def _valid_patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            # NOTE: patterns come from tenants and run on every review; a length cap and a compile
            # check are the guard rails (Python's re has no time limit).
            if len(pattern) > MAX_PATTERN_LENGTH:
                raise ValueError(f"patterns are at most {MAX_PATTERN_LENGTH} characters")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid pattern {pattern!r}: {exc}") from None
        return value

    def fingerprint(self) -> str:
        """A stable digest of the definition, to tell when a tenant's tagger must be rebuilt."""
        return hashlib.sha1(json.dumps(self.model_dump(), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class AspectHit:
    """One matched term: which tag, where in the normalised text, and whether a cue negated it."""

    tag: str
    term: str
    start: int
    end: int
    negated: bool
