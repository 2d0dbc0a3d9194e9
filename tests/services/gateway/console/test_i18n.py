"""The console's Chinese catalog covers every string its templates show, and formats follow the user."""

from __future__ import annotations

from datetime import datetime, timezone

from babel.messages.extract import extract_from_dir

from services.gateway.console.rendering import PACKAGE, Formats, compile_catalog, pick_language, zone_named


def template_strings() -> set[str]:
    found = extract_from_dir(str(PACKAGE), method_map=[("templates/**.html", "jinja2")],
                             options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}})  # fmt: skip
    return {message for _, _, message, _, _ in found}


def test_every_string_of_the_templates_has_a_chinese_translation() -> None:
    strings = template_strings()
    assert "Sign in" in strings and "Inbox" in strings
    catalog = compile_catalog("zh_Hans")
    untranslated = sorted(s for s in strings if catalog.gettext(s) == s and s != "SLA")
    assert untranslated == []


def test_the_switch_wins_over_the_users_setting_which_wins_over_the_browser() -> None:
    assert pick_language(switched="en", user_locale="zh-CN", accept_language="zh") == "en"
    assert pick_language(switched=None, user_locale="zh-CN", accept_language="en-US") == "zh"
    assert pick_language(switched=None, user_locale=None, accept_language="fr-FR,zh-CN;q=0.8") == "zh"
    assert pick_language(switched="xx", user_locale=None, accept_language="fr") == "en"


def test_dates_and_numbers_in_the_users_locale_and_zone() -> None:
    at = datetime(2026, 12, 7, 23, 30, tzinfo=timezone.utc)
    shanghai = Formats(language="zh", zone=zone_named("Asia/Shanghai"))
    assert shanghai.datetime(at).startswith("2026年12月8日") and "07:30" in shanghai.datetime(at)
    berlin = Formats(language="en", zone=zone_named("Europe/Berlin"))
    assert berlin.datetime(at) == "Dec 8, 2026, 12:30:00\u202fAM"
    assert berlin.number(1234567) == "1,234,567" and shanghai.percent(0.955) == "95.5%"
    assert zone_named("Not/AZone").key == "UTC"
    assert berlin.datetime("2026-12-07T23:30:00Z") == berlin.datetime(at) and berlin.datetime(None) == "—"
