"""Compliance check: forbidden wording named by rule and span in several languages, no false alarms."""

from __future__ import annotations

import pytest

from libs.errors import InvalidArgument
from services.resolution.compliance.service import Checker, load_checker, normalise


@pytest.fixture(scope="module")
def checker() -> Checker:
    return load_checker()


def test_japanese_request_to_delete_a_review_is_blocked_with_its_span(checker: Checker) -> None:
    text = "ご迷惑をおかけしました。お手数ですが、レビューを削除していただけますでしょうか。"
    result = checker.check(text=text, platform="amazon")
    assert not result.passed
    [violation] = result.violations
    assert violation.rule_id == "review.remove_or_change"
    assert violation.phrase == "レビューを削除"
    assert text[violation.start : violation.end] == "レビューを削除"
    assert violation.language == "ja"
    assert "remove" in violation.explanation and "Amazon" in violation.explanation


def test_german_change_request_and_incentive_are_both_named(checker: Checker) -> None:
    text = "Könnten Sie Ihre Bewertung bitte ändern? Sie erhalten dafür einen Gutschein für eine positive Bewertung."
    result = checker.check(text=text, platform="ebay")
    found = {(v.rule_id, v.phrase) for v in result.violations}
    assert ("review.remove_or_change", "Bewertung bitte ändern") in found
    assert ("review.incentive", "Gutschein für eine positive Bewertung") in found
    assert all(v.platform == "ebay" and v.language == "de" for v in result.violations)


@pytest.mark.parametrize(
    ("text", "rule", "phrase"),
    [
        ("Please remove your review and we will make it right.", "review.remove_or_change", "Please remove your review"),
        ("Could you get the 1-star review removed?", "review.remove_or_change", "get the 1-star review removed"),
        ("We can send you a gift card in exchange for a positive review.", "review.incentive", "gift card in exchange for a positive review"),
        ("Produkt gratis für Bewertung!", "review.incentive", "gratis für Bewertung"),
        ("好评返现，五星好评哦", "review.incentive", "好评返现"),
        ("亲，麻烦您修改评价", "review.remove_or_change", "修改评价"),
        ("能否删除差评？", "review.remove_or_change", "删除差评"),
        ("Nous vous offrons un cadeau contre un avis positif.", "review.incentive", "cadeau contre un avis"),
        ("¿Podría eliminar su reseña?", "review.remove_or_change", "eliminar su reseña"),
        ("Le chiediamo di rimuovere la sua recensione.", "review.remove_or_change", "rimuovere la sua recensione"),
        ("This is not a bribe, just a thank-you.", "review.bribe", "bribe"),
        ("Das ist keine Bestechung.", "review.bribe", "Bestechung"),
        ("这不是贿赂。", "review.bribe", "贿赂"),
        ("Please leave us a 5-star review!", "review.request_positive", "leave us a 5-star review"),
    ],
)
def test_forbidden_wording_in_every_language(checker: Checker, text: str, rule: str, phrase: str) -> None:
    result = checker.check(text=text, platform="amazon")
    assert (rule, phrase) in {(v.rule_id, v.phrase) for v in result.violations}


def test_full_width_and_capitals_are_normalised_but_spans_point_into_the_original(checker: Checker) -> None:
    text = "PLEASE  REMOVE YOUR REVIEW"
    [violation] = checker.check(text=text, platform="amazon").violations
    assert violation.span == (0, len(text))
    wide = "Ｂｒｉｂｅ offered"
    [v] = checker.check(text=wide, platform="amazon").violations
    assert v.rule_id == "review.bribe" and v.phrase == "Ｂｒｉｂｅ"
    assert normalise("Straße").text == "strasse"


@pytest.mark.parametrize(
    "text",
    [
        "We removed the defective batch from our warehouse and updated the listing.",
        "Thank you for your review; we have issued a full refund for your order.",
        "We have issued a refund. Thank you for your feedback.",
        "Your review helped us change the packaging.",
        "Wir haben die fehlerhafte Charge entfernt und die Verpackung geändert.",
        "Danke für Ihre Bewertung. Die Erstattung ist veranlasst.",
        "Ihre Bewertung hat uns geholfen, die Beschreibung zu ändern.",
        "不良品のロットを削除し、商品説明を修正いたしました。レビューを拝見しました。",
        "感谢您的评价，我们已为您办理全额退款。",
        "我们已修改了产品描述。",
        "Order 302-1234567-1234567 ships today; tracking 1Z999AA10123456784.",
        "Merci pour votre avis, le remboursement est en cours.",
        "Our kettles describe themselves; the tribe of tea lovers agrees.",
    ],
)
def test_ordinary_service_wording_passes(checker: Checker, text: str) -> None:
    result = checker.check(text=text, platform="amazon")
    assert result.passed, [(v.rule_id, v.phrase) for v in result.violations]


def test_off_platform_contact_blocked_on_amazon_allowed_on_shopify(checker: Checker) -> None:
    text = "Write to help@kettleworks.com, call +49 30 12345678, WhatsApp us, LINE ID: @kettle or visit www.kettleworks.de."
    amazon = checker.check(text=text, platform="amazon")
    assert {
        ("contact.email", "help@kettleworks.com"),
        ("contact.phone", "+49 30 12345678"),
        ("contact.messenger", "WhatsApp"),
        ("contact.url", "www.kettleworks.de"),
    } <= {(v.rule_id, v.phrase) for v in amazon.violations}
    assert checker.check(text=text, platform="shopify").passed


def test_chinese_wechat_and_japanese_line_handles_are_off_platform(checker: Checker) -> None:
    zh = checker.check(text="有问题请加微信 kettle88", platform="aliexpress")
    assert ("contact.messenger", "加微信") in {(v.rule_id, v.phrase) for v in zh.violations}
    ja = checker.check(text="詳しくはLINEでご連絡ください", platform="amazon")
    assert ja.rule_ids == {"contact.messenger"}


def test_links_to_the_platform_itself_are_allowed(checker: Checker) -> None:
    assert checker.check(text="Details: https://www.amazon.de/gp/help/customer", platform="amazon").passed
    assert not checker.check(text="Details: https://kettleworks.shop/help", platform="amazon").passed


def test_every_platform_is_known_and_unknown_ones_are_refused(checker: Checker) -> None:
    assert set(checker.platforms) == {"amazon", "ebay", "shopify", "walmart", "aliexpress", "trustpilot", "google"}
    with pytest.raises(InvalidArgument, match="unknown platform"):
        checker.check(text="hi", platform="myspace")
