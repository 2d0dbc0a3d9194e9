"""The inputs (signals) and output (score with reasons) of the suspicion score."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GenericText:
    """How little product detail a text carries: words, specific details, generic share."""

    words: int
    specifics: int
    generic_share: float
    short: bool


@dataclass(frozen=True)
class BurstStats:
    """Reviews of one product in a recent window, and how many such a window usually holds."""

    in_window: int
    window_hours: float
    usual_in_window: float


@dataclass(frozen=True)
class ReviewerHistory:
    """What the reviewer posted before (on the tenant's products); ratings 1–2 count as negative."""

    reviews: int
    negative: int


@dataclass(frozen=True)
class CompetitorMentions:
    """Competitor brands named and generic "buy elsewhere" cues found in a text."""

    brands: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Signals:
    """Everything known about one review; None means the input did not carry it."""

    generic: GenericText | None = None
    near_duplicates: int = 0
    burst: BurstStats | None = None
    reviewer: ReviewerHistory | None = None
    competitor: CompetitorMentions | None = None
    minimum_unit_order: bool | None = None
    during_competitor_promotion: bool | None = None


@dataclass(frozen=True)
class Reason:
    """One signal that raised the score: a stable code, a human sentence, and its weight."""

    code: str
    text: str
    weight: float


@dataclass(frozen=True)
class Suspicion:
    """The score (0–1) and the reasons behind it, strongest first."""

    score: float
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]
