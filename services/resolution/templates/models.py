"""Reply templates, the cultural tone rules they follow, and A/B outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Scenario(StrEnum):
    """What went wrong for the buyer."""

    DELAY = "delay"
    QUALITY = "quality"
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    SERVICE = "service"
    DESCRIPTION_MISMATCH = "description_mismatch"


LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "it", "ja", "zh")
# What the agent fills in.
GIVEN: frozenset[str] = frozenset({"buyer_name", "product_name", "order_id", "seller_name"})
# What only the case may state: the remedy paragraph, from the case's offers (never typed by the agent).
CASE_BOUND: frozenset[str] = frozenset({"remedy", "refund_amount"})
PLACEHOLDERS: frozenset[str] = GIVEN | {"remedy"}


@dataclass(frozen=True)
class ToneRule:
    """How replies in one language address the buyer (SPEC: cultural tone rules)."""

    language: str
    register: str
    order: tuple[str, ...]
    how: str


TONE_RULES: MappingProxyType[str, ToneRule] = MappingProxyType(
    {
        "en": ToneRule("en", "polite, warm", ("apology", "explanation", "remedy"), "Apologise in the first sentence, then explain the cause, then offer the remedy."),
        "fr": ToneRule("fr", "vouvoiement", ("apology", "explanation", "remedy"), "Excuses d'abord, puis l'explication, puis la solution; « vous » throughout."),
        "es": ToneRule("es", "usted", ("apology", "explanation", "remedy"), "Disculpa primero, luego la causa y la solución; always usted."),
        "it": ToneRule("it", "Lei (capitalised)", ("apology", "explanation", "remedy"), "Scuse prima, poi la spiegazione e la soluzione; courtesy Lei/Suo capitalised."),
        "de": ToneRule("de", "Sie, sachlich", ("facts", "apology", "cause", "next step"), "Direct and precise: state the fact and apologise briefly, name the cause, give a concrete next step with a deadline; never du."),
        "ja": ToneRule("ja", "keigo (尊敬語・謙譲語), 様", ("greeting", "apology", "explanation", "remedy", "closing"), "Name with 様, humble forms (させていただきます, ございます), a formal apology (誠に申し訳ございません / お詫び申し上げます) and a closing formula."),
        "zh": ToneRule("zh", "您, 诚恳礼貌", ("apology", "explanation", "remedy"), "Address with 您, apologise first (非常抱歉), then the cause and the remedy."),
    }
)


@dataclass(frozen=True)
class Remedy:
    """What the case's offers say the buyer gets: a refund or a replacement, offered or accepted."""

    kind: str  # "refund" or "replacement"
    stage: str  # "offered" or "accepted"
    amount: str = ""  # the refund as the buyer reads it, e.g. "49,90 €"


@dataclass(frozen=True)
class ReplyTemplate:
    """One variant of a reply for a scenario in a language, as Jinja2 source."""

    scenario: Scenario
    language: str
    variant: str
    source: str


@dataclass(frozen=True)
class RenderedReply:
    """A reply ready to check and send, remembering which variant produced it."""

    case_id: str
    scenario: Scenario
    language: str
    variant: str
    text: str


@dataclass(frozen=True)
class Outcome:
    """What happened after a reply was sent: did the buyer respond, was the case resolved."""

    case_id: str
    scenario: Scenario
    language: str
    variant: str
    responded: bool
    resolved: bool


@dataclass(frozen=True)
class VariantStats:
    """Response and resolution rates of one variant over the cases it was sent in."""

    variant: str
    sent: int
    responded: int
    resolved: int

    @property
    def response_rate(self) -> float:
        return self.responded / self.sent if self.sent else 0.0

    @property
    def resolution_rate(self) -> float:
        return self.resolved / self.sent if self.sent else 0.0
