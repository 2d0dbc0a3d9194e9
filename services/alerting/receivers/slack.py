"""Slack incoming webhook, with a Block Kit message (header, fields, context, link button).

Slack answers `200 ok`; `400 invalid_payload`, `403`, `404 no_service` and `410
channel_is_archived` are permanent, `429` (with Retry-After) and 5xx transient.
"""

from __future__ import annotations

import asyncio
from typing import Literal

import httpx
from pydantic import SecretStr, field_validator

from services.alerting.receivers.base import Attempt, Receiver, ReceiverConfigBase, Sleep, http_url, redact_url
from services.alerting.receivers.messages import Message
from services.alerting.receivers.notification import Severity


class SlackConfig(ReceiverConfigBase):
    kind: Literal["slack"] = "slack"
    webhook_url: SecretStr

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        return SecretStr(http_url(value.get_secret_value(), field="webhook_url"))


def mrkdwn(text: str) -> str:
    """Slack's three control characters escaped, so review text cannot form links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def blocks(message: Message) -> dict:
    """The webhook payload: Block Kit blocks plus `text`, the fallback for notifications."""
    icon = ":rotating_light:" if message.severity is Severity.HIGH else ":warning:"
    body: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(message.title, 150), "emoji": True}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _clip(
                    f"{icon} *{mrkdwn(message.reasons_label)}*\n" + "\n".join(f"• {mrkdwn(r)}" for r in message.reasons),
                    3000,
                ),
            },
            # NOTE: Block Kit allows at most 10 fields of 2000 characters each.
            "fields": [
                {"type": "mrkdwn", "text": _clip(f"*{mrkdwn(label)}*\n{mrkdwn(value)}", 2000)}
                for label, value in message.fields[:10]
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(mrkdwn(message.context), 3000)}]},
    ]
    if message.link:
        button = {
            "type": "button",
            "text": {"type": "plain_text", "text": message.link_label},
            "url": message.link,
            "action_id": "open_case",
        }
        if message.severity is Severity.HIGH:
            button["style"] = "danger"
        body.append({"type": "actions", "elements": [button]})
    return {"text": _clip(message.title, 3000), "blocks": body}


class SlackReceiver(Receiver):
    kind = "slack"

    def __init__(self, config: SlackConfig, *, http: httpx.AsyncClient, sleep: Sleep = asyncio.sleep) -> None:
        url = config.webhook_url.get_secret_value()
        super().__init__(
            name=config.name, target=redact_url(url), secrets=[url, url.rsplit("/", 1)[-1]],
            language=config.language, retry=config.retry, timeout_s=config.timeout_s, sleep=sleep,
        )
        self._http = http
        self._url = url

    async def _send_once(self, attempt: Attempt) -> None:
        response = await self._post(self._http, self._url, json=blocks(attempt.message))
        self._check_status(response)
