"""Reply templates: every scenario in every language, tone rules, strict placeholders, A/B variants."""

from __future__ import annotations

import re

import pytest

from services.resolution.compliance.service import load_checker
from services.resolution.templates.models import GIVEN, LANGUAGES, Scenario
from services.resolution.templates.service import (
    TemplateLibrary,
    TemplateRenderError,
    choose_variant,
    load_library,
    record_outcome,
    render,
    variant_stats,
)

CONTEXT = {
    "buyer_name": "Anna Schmidt",
    "product_name": "KX-200 Kettle",
    "order_id": "302-1234567-1234567",
    "seller_name": "KettleWorks",
}


@pytest.fixture(scope="module")
def library() -> TemplateLibrary:
    return load_library()


def test_every_scenario_has_two_variants_in_every_language(library: TemplateLibrary) -> None:
    for scenario in Scenario:
        for language in LANGUAGES:
            assert library.variants(scenario=scenario, language=language) == ("a", "b"), (scenario, language)
    assert len(library) == len(Scenario) * len(LANGUAGES) * 2


def test_every_template_renders_all_placeholders_and_passes_the_amazon_check(library: TemplateLibrary) -> None:
    checker = load_checker()
    for template in library:
        reply = render(library=library, scenario=template.scenario, language=template.language, case_id="c-1", context=CONTEXT, variant=template.variant)
        for value in CONTEXT.values():
            assert value in reply.text, (template.scenario, template.language, template.variant, value)
        assert "{{" not in reply.text
        result = checker.check(text=reply.text, platform="amazon")
        assert result.passed, (template.scenario, template.language, template.variant, [(v.rule_id, v.phrase) for v in result.violations])


def test_japanese_replies_use_honorifics_and_a_formal_apology(library: TemplateLibrary) -> None:
    for scenario in Scenario:
        for variant in ("a", "b"):
            text = render(library=library, scenario=scenario, language="ja", case_id="x", context=CONTEXT, variant=variant).text
            assert text.startswith("Anna Schmidt様")
            assert "申し訳ございません" in text or "お詫び申し上げます" in text
            assert "させていただ" in text or "いたします" in text or "いたしました" in text


def test_german_replies_say_sie_and_give_a_concrete_next_step(library: TemplateLibrary) -> None:
    for scenario in Scenario:
        text = render(library=library, scenario=scenario, language="de", case_id="x", context=CONTEXT, variant="a").text
        assert re.search(r"\b(du|dich|dein)\b", text, re.IGNORECASE) is None
        assert "Sie" in text and "302-1234567-1234567" in text
        assert "Antwort" in text or "Antworten" in text


@pytest.mark.parametrize(
    ("language", "apology"),
    [("en", r"sorry|apologise"), ("fr", r"désolé|excuse|navrés|regrettons"), ("es", r"lament|sentimos|siento|disculp"), ("it", r"dispiac|scus"), ("zh", r"抱歉|歉意")],
)
def test_western_and_chinese_replies_apologise_before_explaining(library: TemplateLibrary, language: str, apology: str) -> None:
    for scenario in Scenario:
        for variant in ("a", "b"):
            text = render(library=library, scenario=scenario, language=language, case_id="x", context=CONTEXT, variant=variant).text
            first_paragraph = text.split("\n\n")[1]
            assert re.search(apology, first_paragraph, re.IGNORECASE), (scenario, language, variant, first_paragraph)


def test_missing_placeholder_is_a_clear_error(library: TemplateLibrary) -> None:
    context = {k: v for k, v in CONTEXT.items() if k != "order_id"}
    with pytest.raises(TemplateRenderError, match="missing placeholder value\\(s\\): order_id") as error:
        render(library=library, scenario="delay", language="fr", case_id="c-2", context=context)
    assert [v.field for v in error.value.violations] == ["context.order_id"]


def test_an_unknown_scenario_is_invalid_input_naming_the_field(library: TemplateLibrary) -> None:
    with pytest.raises(TemplateRenderError, match="unknown scenario") as error:
        render(library=library, scenario="broken_kettle", language="de", case_id="c-4", context=CONTEXT)
    assert [v.field for v in error.value.violations] == ["scenario"]


def test_language_tags_map_to_their_base_language(library: TemplateLibrary) -> None:
    reply = render(library=library, scenario="wrong_item", language="de-AT", case_id="c-3", context=CONTEXT)
    assert reply.language == "de" and "Guten Tag Anna Schmidt" in reply.text


def test_the_sandbox_refuses_unsafe_template_code(library: TemplateLibrary) -> None:
    from jinja2.exceptions import SecurityError

    for source in ("{{ buyer_name.__class__.__mro__ }}", "{{ ''.__class__.__subclasses__() }}"):
        with pytest.raises(SecurityError):
            library.environment.from_string(source).render(buyer_name="x")


def test_variant_is_stable_per_case_and_both_variants_are_used() -> None:
    first = choose_variant(case_id="case-42", scenario=Scenario.DELAY, variants=("a", "b"))
    assert all(choose_variant(case_id="case-42", scenario=Scenario.DELAY, variants=("b", "a")) == first for _ in range(3))
    chosen = [choose_variant(case_id=f"case-{i}", scenario=Scenario.DELAY, variants=("a", "b")) for i in range(200)]
    assert 70 < chosen.count("a") < 130


def test_outcomes_give_response_and_resolution_rates_per_variant(library: TemplateLibrary) -> None:
    outcomes = ()
    results = {"c1": (True, True), "c2": (True, False), "c3": (False, False), "c4": (True, True), "c5": (False, False), "c6": (True, False)}
    sent = {}
    for case_id, (responded, resolved) in results.items():
        variant = "a" if case_id in {"c1", "c2", "c3"} else "b"
        reply = render(library=library, scenario="damaged", language="en", case_id=case_id, context=CONTEXT, variant=variant)
        sent[case_id] = reply
        outcomes = record_outcome(outcomes=outcomes, reply=reply, responded=responded, resolved=False)
        if resolved:
            outcomes = record_outcome(outcomes=outcomes, reply=reply, responded=responded, resolved=True)
    stats = variant_stats(outcomes=outcomes, scenario="damaged", language="en")
    assert stats["a"].sent == 3 and stats["a"].responded == 2 and stats["a"].resolved == 1
    assert stats["a"].response_rate == pytest.approx(2 / 3)
    assert stats["b"].resolution_rate == pytest.approx(1 / 3)
    assert variant_stats(outcomes=outcomes, scenario="delay") == {}
    assert set(GIVEN) == set(CONTEXT)
