"""Alert text in the receiver's language, plus the plain, Markdown and HTML forms channels share.

NOTE: plain format strings in a catalogue, not Jinja2: the texts are a few short phrases, every
channel has its own markup and escaping rules (Slack mrkdwn, chat Markdown, HTML, SMS) that
Jinja's HTML autoescaping does not cover, and it keeps the service free of another dependency.
Adding a language is adding one entry to CATALOGUE.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from services.alerting.receivers.notification import Notification, Severity

DEFAULT_LANGUAGE = "en"

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "severity.critical": "Critical",
        "severity.high": "High",
        "severity.normal": "Normal",
        "severity.unspecified": "Unknown",
        "rule.negative_review": "Negative review",
        "rule.rating_baseline": "Rating drop",
        "rule.crisis": "Review crisis",
        "rule.aspect_spike": "Complaint spike",
        "title": "[{severity}] {rule}: {product}",
        "field.severity": "Severity",
        "field.product": "Product",
        "field.where": "Marketplace",
        "field.escalation": "Escalate to",
        "field.malicious": "Suspected malicious review",
        "field.review_language": "Review language",
        "reasons": "Reasons",
        "reason.rating": "{stars}-star rating",
        "reason.risk_term": "risk term “{term}” ({category})",
        "category.safety": "product safety",
        "category.fraud": "fraud / fake",
        "category.legal": "legal",
        "category.health": "health",
        "category.damage": "damage",
        "category.competitor": "competitor attack",
        "yes": "yes",
        "list_sep": ", ",
        "context": "Alert {alert_id} · fired {fired_at}",
        "open": "Open case",
        "sms": "ReviewGuard {severity}: {rule} for {product} ({where}). {reasons}",
    },
    "zh": {
        "severity.critical": "紧急",
        "severity.high": "严重",
        "severity.normal": "一般",
        "severity.unspecified": "未知",
        "rule.negative_review": "差评预警",
        "rule.rating_baseline": "评分下降预警",
        "rule.crisis": "差评危机",
        "rule.aspect_spike": "投诉激增",
        "title": "【{severity}】{rule}：{product}",
        "field.severity": "级别",
        "field.product": "产品",
        "field.where": "站点",
        "field.escalation": "升级至",
        "field.malicious": "疑似恶意差评",
        "field.review_language": "评论语言",
        "reasons": "原因",
        "reason.rating": "{stars} 星评分",
        "reason.risk_term": "风险词“{term}”（{category}）",
        "category.safety": "产品安全",
        "category.fraud": "欺诈/虚假",
        "category.legal": "法律",
        "category.health": "健康",
        "category.damage": "破损",
        "category.competitor": "竞品攻击",
        "yes": "是",
        "list_sep": "、",
        "context": "预警 {alert_id} · 触发于 {fired_at}",
        "open": "查看工单",
        "sms": "【ReviewGuard】{severity}{rule}：{product}（{where}）。{reasons}",
    },
}

_RATING = re.compile(r"^rating (\d+)$")
_RISK_TERM = re.compile(r"^risk term '(?P<term>.+)' \((?P<category>[\w-]+)\)$")


@dataclass(frozen=True)
class Message:
    """A notification rendered in one language, before any channel's markup."""

    language: str
    title: str
    severity: Severity
    severity_label: str
    fields: list[tuple[str, str]]
    reasons_label: str
    reasons: list[str]
    context: str
    link: str | None
    link_label: str
    sms: str


def resolve_language(*preferred: str | None) -> str:
    """The first supported language among `preferred` (`zh-CN` counts as `zh`), else English."""
    for language in preferred:
        if not language:
            continue
        base = language.lower().replace("_", "-").split("-")[0]
        if base in CATALOGUE:
            return base
    return DEFAULT_LANGUAGE


def render(notification: Notification, *, language: str | None = None) -> Message:
    """The notification's text in `language` (default: the notification's own)."""
    lang = resolve_language(language, notification.language)
    t = CATALOGUE[lang]
    severity = t[f"severity.{notification.severity.value}"]
    rule = t.get(f"rule.{notification.rule}", notification.rule.replace("_", " "))
    product = notification.product or "-"
    title = notification.title or t["title"].format(severity=severity, rule=rule, product=product)
    where = " ".join(p for p in (notification.platform, notification.marketplace) if p)
    fields = [(t["field.severity"], severity), (t["field.product"], product)]
    if where:
        fields.append((t["field.where"], where))
    labels = notification.labels
    if labels.get("escalation"):
        categories = [_category(t, c.strip()) for c in labels["escalation"].split(",") if c.strip()]
        fields.append((t["field.escalation"], t["list_sep"].join(categories)))
    if labels.get("malicious_candidate") == "true":
        fields.append((t["field.malicious"], t["yes"]))
    if labels.get("language"):
        fields.append((t["field.review_language"], labels["language"]))
    reasons = [_reason(t, r) for r in notification.reasons]
    fired_at = notification.fired_at.strftime("%Y-%m-%d %H:%M UTC") if notification.fired_at else "-"
    sms = t["sms"].format(
        severity=severity, rule=rule, product=product, where=where or "-", reasons=t["list_sep"].join(reasons)
    )
    return Message(
        language=lang,
        title=title,
        severity=notification.severity,
        severity_label=severity,
        fields=fields,
        reasons_label=t["reasons"],
        reasons=reasons,
        context=t["context"].format(alert_id=notification.alert_id or "-", fired_at=fired_at),
        link=notification.link,
        link_label=t["open"],
        sms=sms,
    )


def _category(t: dict[str, str], category: str) -> str:
    return t.get(f"category.{category}", category)


def _reason(t: dict[str, str], reason: str) -> str:
    """A known reason phrase in the message language; anything else as it was written."""
    if m := _RATING.match(reason):
        return t["reason.rating"].format(stars=m.group(1))
    if m := _RISK_TERM.match(reason):
        return t["reason.risk_term"].format(term=m["term"], category=_category(t, m["category"]))
    return reason


def to_text(message: Message) -> str:
    """Plain text (email text part)."""
    lines = [message.title, ""]
    lines += [f"{label}: {value}" for label, value in message.fields]
    if message.reasons:
        lines += ["", f"{message.reasons_label}:"] + [f"- {r}" for r in message.reasons]
    if message.link:
        lines += ["", f"{message.link_label}: {message.link}"]
    lines += ["", message.context]
    return "\n".join(lines) + "\n"


def md_escape(text: str) -> str:
    """Neutralises the Markdown characters chat robots interpret in untrusted text."""
    # NOTE: only what could forge emphasis, code, HTML or a link (`](`); brackets, `_` and `#`
    # stay readable, since not every robot's Markdown honours backslash escapes.
    return re.sub(r"([\\`*<>])", r"\\\1", text).replace("](", "]\\(")


def to_markdown(message: Message, *, heading: bool = True, severity_markup: str = "{}") -> str:
    """Markdown common to WeCom, DingTalk and Feishu; `severity_markup` wraps the severity value."""
    lines = [f"### {md_escape(message.title)}", ""] if heading else []
    for index, (label, value) in enumerate(message.fields):
        # NOTE: render() always puts the severity first.
        shown = severity_markup.format(md_escape(value)) if index == 0 else md_escape(value)
        lines.append(f"**{md_escape(label)}**: {shown}")
    if message.reasons:
        lines += ["", f"**{md_escape(message.reasons_label)}**:"] + [f"- {md_escape(r)}" for r in message.reasons]
    if message.link:
        lines += ["", f"[{md_escape(message.link_label)}]({message.link})"]
    lines += ["", f"> {md_escape(message.context)}"]
    return "\n".join(lines)


def to_html(message: Message) -> str:
    """A small, inline-styled HTML body (email clients ignore style sheets)."""
    e = html.escape
    colour = "#c0392b" if message.severity in (Severity.HIGH, Severity.CRITICAL) else "#d68910"
    rows = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{e(label)}</th><td>{e(value)}</td></tr>'
        for label, value in message.fields
    )
    reasons = "".join(f"<li>{e(r)}</li>" for r in message.reasons)
    button = (
        f'<p><a href="{e(message.link, quote=True)}" style="background:{colour};color:#fff;padding:6px 12px;'
        f'text-decoration:none;border-radius:4px">{e(message.link_label)}</a></p>'
        if message.link
        else ""
    )
    return (
        f'<!DOCTYPE html><html lang="{e(message.language)}"><head><meta charset="utf-8"><title>{e(message.title)}</title></head>'
        f'<body style="font-family:sans-serif"><h2 style="color:{colour}">{e(message.title)}</h2>'
        f"<table>{rows}</table>"
        + (f"<p><strong>{e(message.reasons_label)}</strong></p><ul>{reasons}</ul>" if reasons else "")
        + f'{button}<p style="color:#777;font-size:small">{e(message.context)}</p></body></html>'
    )


def clip_bytes(text: str, limit: int, *, encoding: str = "utf-8") -> str:
    """`text` cut to at most `limit` encoded bytes, on a character boundary, marked with `…`."""
    data = text.encode(encoding)
    if len(data) <= limit:
        return text
    return data[: limit - len("…".encode(encoding))].decode(encoding, errors="ignore") + "…"
