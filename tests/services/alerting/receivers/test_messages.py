"""Alert text in Chinese and English, and the Notification built from an alert."""

from __future__ import annotations

from datetime import datetime, timezone

from reviewguard.alerting.v1 import alert_pb2
from services.alerting.receivers import Severity, notification_from_alert
from services.alerting.receivers.messages import clip_bytes, md_escape, render, resolve_language, to_html, to_markdown, to_text
from tests.services.alerting.receivers.fakes import make_notification


def make_alert() -> alert_pb2.Alert:
    alert = alert_pb2.Alert(
        id="a-1", tenant_id="t-1", rule="negative_review", severity=alert_pb2.SEVERITY_NORMAL,
        review_id="r-1", platform="amazon", marketplace="US", product_id="B0LAMP02",
        reasons=["rating 2", "risk term 'caught fire' (safety)"],
        labels={"language": "en", "rating": "2", "escalation": "safety", "malicious_candidate": "true"},
    )
    alert.fired_at.FromDatetime(datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc))
    return alert


def test_notification_from_alert_keeps_everything_a_person_needs() -> None:
    notification = notification_from_alert(make_alert(), language="zh", link="https://app.example.com/cases/9")

    assert notification.severity is Severity.NORMAL
    assert notification.product == "B0LAMP02" and notification.marketplace == "US" and notification.platform == "amazon"
    assert notification.reasons == ("rating 2", "risk term 'caught fire' (safety)")
    assert notification.labels["escalation"] == "safety"
    assert notification.fired_at == datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
    assert notification.link == "https://app.example.com/cases/9" and notification.language == "zh"
    assert notification.to_json()["severity"] == "normal"


def test_chinese_text_names_severity_reasons_and_escalation_readably() -> None:
    message = render(notification_from_alert(make_alert(), language="zh"))

    assert message.title == "【一般】差评预警：B0LAMP02"
    assert message.reasons == ["2 星评分", "风险词“caught fire”（产品安全）"]
    assert ("升级至", "产品安全") in message.fields and ("疑似恶意差评", "是") in message.fields
    assert ("站点", "amazon US") in message.fields
    assert "触发于 2026-11-20 09:30 UTC" in message.context


def test_english_text_and_unknown_reasons_pass_through() -> None:
    alert = make_alert()
    alert.reasons.append("rating dropped 0.4 in a day")
    message = render(notification_from_alert(alert, language="en-GB"))

    assert message.title == "[Normal] Negative review: B0LAMP02"
    assert message.reasons == ["2-star rating", "risk term “caught fire” (product safety)", "rating dropped 0.4 in a day"]
    assert ("Escalate to", "product safety") in message.fields


def test_unknown_languages_fall_back_to_english_and_the_receiver_language_wins() -> None:
    assert resolve_language("fr", None) == "en"
    assert resolve_language("zh-CN") == resolve_language("zh_Hans") == "zh"
    assert render(make_notification(language="de")).language == "en"
    assert render(make_notification(language="en"), language="zh").title.startswith("【严重】")


def test_a_custom_title_and_an_unknown_rule_still_render() -> None:
    base = make_notification()
    custom = type(base)(**{**base.__dict__, "title": "Rating baseline dropped", "rule": "rating_drop"})
    assert render(custom).title == "Rating baseline dropped"
    untitled = type(base)(**{**base.__dict__, "rule": "rating_drop"})
    assert render(untitled).title == "[High] rating drop: B0KETTLE01"


def test_text_markdown_and_html_forms_carry_the_same_facts() -> None:
    message = render(make_notification(language="zh"))
    for form in (to_text(message), to_markdown(message), to_html(message)):
        assert "严重" in form and "B0KETTLE01" in form and "1 星评分" in form
        assert "https://app.example.com/cases/c-42" in form


def test_review_text_cannot_inject_markup() -> None:
    base = make_notification()
    hostile = type(base)(**{**base.__dict__, "reasons": ("risk term '<script>x</script> [click](http://evil)' (fraud)",)})
    message = render(hostile)
    assert "<script>" not in to_html(message) and "&lt;script&gt;" in to_html(message)
    assert "](http://evil)" not in to_markdown(message)
    assert md_escape("**bold**") == "\\*\\*bold\\*\\*"


def test_clip_bytes_never_splits_a_character() -> None:
    clipped = clip_bytes("差评" * 100, 31)
    assert len(clipped.encode()) <= 31 and clipped.endswith("…")
    assert clip_bytes("short", 31) == "short"
