"""Renders reply templates in a sandbox, picks A/B variants by case, and measures them."""

from __future__ import annotations

import hashlib
import logging
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment

from libs.errors import FieldViolation, InvalidArgument
from services.resolution.templates.models import (
    CASE_BOUND,
    LANGUAGES,
    PLACEHOLDERS,
    Remedy,
    Outcome,
    RenderedReply,
    ReplyTemplate,
    Scenario,
    VariantStats,
)

log = logging.getLogger(__name__)

TEXTS_DIR = Path(__file__).with_name("texts")
REMEDIES_PATH = Path(__file__).with_name("remedies.toml")
REMEDY_KEYS = ("refund_offered", "refund_accepted", "replacement_offered", "replacement_accepted", "none")

# NOTE: the templates add the honorific themselves (「様」), so one the agent typed is dropped
# instead of doubled (「山田様様」).
_HONORIFICS = {"ja": ("様", "さま", "サマ", "さん", "殿", "御中")}
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "円", "CNY": "元"}


def address_name(name: str, language: str) -> str:
    """The buyer's name as the greeting needs it: without an honorific the template adds anyway."""
    name = name.strip()
    for honorific in _HONORIFICS.get(language, ()):
        while name.endswith(honorific) and len(name) > len(honorific):
            name = name[: -len(honorific)].rstrip()
    return name


def format_money(amount, currency: str, language: str) -> str:
    """An amount as a buyer in `language` writes it: "€49.90", "49,90 €", "4,990円", "49.90欧元"."""
    currency = currency.upper()
    text = f"{amount:,.0f}" if currency == "JPY" else f"{amount:,.2f}"
    symbol = _SYMBOLS.get(currency)
    if language in ("de", "fr", "es", "it"):
        text = _european(text, language)
        return f"{text} {symbol or currency}"
    if language == "ja":
        return f"{text}円" if currency == "JPY" else f"{text} {currency}"
    if language == "zh":
        return {"CNY": f"{text}元", "EUR": f"{text}欧元", "USD": f"{text}美元"}.get(currency, f"{text} {currency}")
    return f"{symbol}{text}" if symbol and currency in ("EUR", "USD", "GBP") else f"{text} {currency}"


def _european(text: str, language: str) -> str:
    """"1,234.50" as "1.234,50" (fr: "1 234,50")."""
    whole, _, cents = text.partition(".")
    whole = whole.replace(",", "\u202f" if language == "fr" else ".")
    return f"{whole},{cents}" if cents else whole


def load_remedies(path: Path = REMEDIES_PATH) -> dict[str, dict[str, str]]:
    remedies = tomllib.loads(path.read_text(encoding="utf-8"))
    for language in LANGUAGES:
        missing = set(REMEDY_KEYS) - set(remedies.get(language, {}))
        if missing:
            raise ValueError(f"remedies in {language} lack {sorted(missing)}")
    return remedies


class TemplateRenderError(InvalidArgument):
    """A template could not be rendered, e.g. because a placeholder has no value."""


def make_environment() -> SandboxedEnvironment:
    """The Jinja2 environment every buyer-facing text is rendered in.

    Sandboxed because template text may come from tenants; StrictUndefined so that a missing
    placeholder fails loudly instead of leaving a blank in a message to a buyer.
    """
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def placeholders_of(source: str, *, environment: SandboxedEnvironment) -> frozenset[str]:
    """The variables a template reads."""
    return frozenset(meta.find_undeclared_variables(environment.parse(source)))


def render_source(
    source: str, *, context: Mapping[str, object], environment: SandboxedEnvironment, allowed: frozenset[str] | None = None,
    optional: frozenset[str] = frozenset(),
) -> str:
    """Renders Jinja2 `source` with `context`, naming every missing placeholder when one is absent."""
    try:
        needed = placeholders_of(source, environment=environment)
    except TemplateSyntaxError as error:
        raise TemplateRenderError(f"template syntax error line {error.lineno}: {error.message}") from None
    if allowed is not None and not needed <= allowed:
        unknown = ", ".join(sorted(needed - allowed))
        raise TemplateRenderError(f"template uses unknown placeholder(s): {unknown}", [FieldViolation("template", unknown)])
    missing = sorted(name for name in needed if context.get(name) in (None, "") and not (name in optional and name in context))
    if missing:
        raise TemplateRenderError(
            f"missing placeholder value(s): {', '.join(missing)}", [FieldViolation(f"context.{name}", "required") for name in missing]
        )
    try:
        return environment.from_string(source).render(**context).strip()
    except UndefinedError as error:
        raise TemplateRenderError(f"template could not be rendered: {error.message}") from None


class TemplateLibrary:
    """All reply templates, compiled once; build with `load_library`."""

    def __init__(
        self, *, templates: Iterable[ReplyTemplate], environment: SandboxedEnvironment, remedies: Mapping[str, Mapping[str, str]] | None = None
    ) -> None:
        self.environment = environment
        self.remedies = remedies if remedies is not None else load_remedies()
        self._templates: dict[tuple[Scenario, str, str], ReplyTemplate] = {}
        self._compiled: dict[tuple[Scenario, str, str], Template] = {}
        for template in templates:
            key = (template.scenario, template.language, template.variant)
            used = placeholders_of(template.source, environment=environment)
            if not used <= PLACEHOLDERS:
                raise ValueError(f"template {key} uses unknown placeholders {sorted(used - PLACEHOLDERS)}")
            self._templates[key] = template
            self._compiled[key] = environment.from_string(template.source)

    def get(self, *, scenario: Scenario, language: str, variant: str) -> ReplyTemplate:
        try:
            return self._templates[(scenario, language, variant)]
        except KeyError:
            raise InvalidArgument(f"no template for {scenario}/{language}/{variant}") from None

    def variants(self, *, scenario: Scenario, language: str) -> tuple[str, ...]:
        """The variant names of a scenario in a language, sorted."""
        return tuple(sorted(v for s, lang, v in self._templates if s == scenario and lang == language))

    def __iter__(self):
        return iter(self._templates.values())

    def __len__(self) -> int:
        return len(self._templates)


def load_library(*, directory: Path = TEXTS_DIR, environment: SandboxedEnvironment | None = None) -> TemplateLibrary:
    """Reads `<language>.toml` files of `[scenario.variant] body = ...` tables."""
    env = environment or make_environment()
    templates = []
    for path in sorted(directory.glob("*.toml")):
        language = path.stem
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for scenario_name, variants in data.items():
            scenario = Scenario(scenario_name)
            for variant, spec in variants.items():
                templates.append(ReplyTemplate(scenario=scenario, language=language, variant=variant, source=spec["body"]))
    return TemplateLibrary(templates=templates, environment=env, remedies=load_remedies())


def resolve_language(language: str) -> str:
    """The template language for a tag such as "de-AT" or "zh_Hans"; unsupported ones are refused."""
    base = language.replace("_", "-").split("-", 1)[0].lower()
    if base not in LANGUAGES:
        raise InvalidArgument(f"no templates in language {language!r}", [FieldViolation("language", f"one of {', '.join(LANGUAGES)}")])
    return base


def choose_variant(*, case_id: str, scenario: Scenario, variants: tuple[str, ...]) -> str:
    """The variant a case gets: a stable hash of case and scenario, so a retry sends the same text."""
    if not variants:
        raise InvalidArgument(f"no variants for {scenario}")
    digest = hashlib.sha256(f"{case_id}:{scenario}".encode()).digest()
    return sorted(variants)[int.from_bytes(digest[:8], "big") % len(variants)]


def render(
    *,
    library: TemplateLibrary,
    scenario: Scenario | str,
    language: str,
    case_id: str,
    context: Mapping[str, object],
    variant: str | None = None,
    remedy: Remedy | None = None,
) -> RenderedReply:
    """The reply for a case: its A/B variant of the scenario's template, filled with `context`.

    The remedy paragraph states only what the case's offers make true (`remedy`): a refund with its
    amount, a replacement, or, with neither, an invitation to say what would help.

    Raises:
        TemplateRenderError: a placeholder (buyer_name, product_name, order_id, seller_name) is
            missing, or the caller tried to set a case-bound one (remedy, refund_amount).
    """
    try:
        scenario = Scenario(scenario)
    except ValueError:
        raise TemplateRenderError(
            f"unknown scenario {scenario!r}", [FieldViolation("scenario", f"one of {', '.join(s.value for s in Scenario)}")]
        ) from None
    lang = resolve_language(language)
    typed = sorted(CASE_BOUND & set(context))
    if typed:
        raise TemplateRenderError(
            f"{', '.join(typed)} cannot be given: the remedy is taken from the case's offers",
            [FieldViolation(f"placeholders.{name}", "set by the case") for name in typed],
        )
    chosen = variant or choose_variant(case_id=case_id, scenario=scenario, variants=library.variants(scenario=scenario, language=lang))
    template = library.get(scenario=scenario, language=lang, variant=chosen)
    filled = dict(context)
    if filled.get("buyer_name"):
        filled["buyer_name"] = address_name(str(filled["buyer_name"]), lang)
    if "remedy" in placeholders_of(template.source, environment=library.environment):
        key = f"{remedy.kind}_{remedy.stage}" if remedy is not None else "none"
        filled["remedy"] = render_source(
            library.remedies[lang][key], context={"order_id": filled.get("order_id", ""), "refund_amount": remedy.amount if remedy else ""},
            environment=library.environment,
        )
    text = render_source(template.source, context=filled, environment=library.environment, allowed=PLACEHOLDERS)
    return RenderedReply(case_id=case_id, scenario=scenario, language=lang, variant=chosen, text=text)


def record_outcome(
    *,
    outcomes: tuple[Outcome, ...],
    reply: RenderedReply,
    responded: bool,
    resolved: bool,
) -> tuple[Outcome, ...]:
    """The outcomes with this reply's result added (a new tuple; the caller stores it)."""
    outcome = Outcome(
        case_id=reply.case_id, scenario=reply.scenario, language=reply.language, variant=reply.variant, responded=responded, resolved=resolved
    )
    return (*outcomes, outcome)


def variant_stats(
    *, outcomes: Iterable[Outcome], scenario: Scenario | str | None = None, language: str | None = None
) -> dict[str, VariantStats]:
    """Per-variant response and resolution rates, optionally for one scenario and language.

    A case counts once: its last recorded outcome wins, since a case is first "responded" and
    later "resolved".
    """
    latest: dict[str, Outcome] = {}
    for outcome in outcomes:
        if scenario is not None and outcome.scenario != Scenario(scenario):
            continue
        if language is not None and outcome.language != language:
            continue
        latest[outcome.case_id] = outcome
    counts: dict[str, list[int]] = {}
    for outcome in latest.values():
        row = counts.setdefault(outcome.variant, [0, 0, 0])
        row[0] += 1
        row[1] += outcome.responded or outcome.resolved
        row[2] += outcome.resolved
    return {v: VariantStats(variant=v, sent=s, responded=r, resolved=d) for v, (s, r, d) in sorted(counts.items())}
