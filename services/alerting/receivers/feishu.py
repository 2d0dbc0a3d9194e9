"""Feishu / Lark custom bot: a signed interactive card.

Signing ("签名校验"): with `timestamp` the current Unix time in seconds, HMAC-SHA256 keyed with
`f"{timestamp}\\n{secret}"` over an empty message, base64-encoded, goes in the JSON body as
`timestamp` (a string) and `sign`. Feishu rejects timestamps more than an hour off. The bot answers
`{"code": 0, "msg": "success"}` (older bots: `{"StatusCode": 0}`); `11232` (frequency limited) is
transient, other codes (e.g. `19021` bad signature, `19024` missing keyword, `9499` bad request)
permanent. Lark (larksuite.com) uses the same protocol on its own host.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from typing import Literal

import httpx
from pydantic import Field, SecretStr, field_validator

from services.alerting.receivers.base import Attempt, ReceiverConfigBase, Sleep, http_url
from services.alerting.receivers.chat import ChatRobotReceiver
from services.alerting.receivers.messages import Message, md_escape
from services.alerting.receivers.notification import Severity

TRANSIENT_CODES = frozenset({11232})


class FeishuConfig(ReceiverConfigBase):
    kind: Literal["feishu"] = "feishu"
    webhook_url: SecretStr = Field(description="https://open.feishu.cn/open-apis/bot/v2/hook/… (or open.larksuite.com)")
    secret: SecretStr | None = Field(None, description="The bot's signing secret; unsigned when absent.")

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        url = http_url(value.get_secret_value(), field="webhook_url")
        if "/hook/" not in url:
            raise ValueError("webhook_url must be the bot's …/bot/v2/hook/<token> URL")
        return SecretStr(url)


def sign(secret: str, timestamp: int) -> str:
    """The body's `sign` for `timestamp` (seconds)."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def card(message: Message) -> dict:
    """An interactive card: coloured header, fields, reasons, a link button and a note."""
    elements: list[dict] = [
        {
            "tag": "div",
            "fields": [
                {"is_short": True, "text": {"tag": "lark_md", "content": f"**{md_escape(label)}**\n{md_escape(value)}"}}
                for label, value in message.fields
            ],
        },
    ]
    if message.reasons:
        reasons = "\n".join(f"- {md_escape(r)}" for r in message.reasons)
        content = f"**{md_escape(message.reasons_label)}**\n{reasons}"
        elements.append({"tag": "div", "text": {"tag": "lark_md", "content": content}})
    if message.link:
        elements.append({
            "tag": "action",
            "actions": [{
                "tag": "button",
                "text": {"tag": "plain_text", "content": message.link_label},
                "url": message.link,
                "type": "danger" if message.severity is Severity.HIGH else "primary",
            }],
        })
    elements.append({"tag": "note", "elements": [{"tag": "plain_text", "content": message.context}]})
    return {
        "config": {"wide_screen_mode": True},
        "header": {
            "title": {"tag": "plain_text", "content": message.title},
            "template": "red" if message.severity is Severity.HIGH else "orange",
        },
        "elements": elements,
    }


class FeishuReceiver(ChatRobotReceiver):
    kind = "feishu"
    transient_codes = TRANSIENT_CODES
    code_label = "code"

    def __init__(
        self, config: FeishuConfig, *, http: httpx.AsyncClient, sleep: Sleep = asyncio.sleep, clock=time.time
    ) -> None:
        url = config.webhook_url.get_secret_value()
        secret = config.secret.get_secret_value() if config.secret else None
        super().__init__(config, url=url, secrets=[secret, url.rstrip("/").rsplit("/", 1)[-1]], http=http, sleep=sleep)
        self._secret = secret
        self._clock = clock

    def payload(self, attempt: Attempt) -> dict:
        body: dict = {"msg_type": "interactive", "card": card(attempt.message)}
        if self._secret is not None:
            timestamp = int(self._clock())
            body |= {"timestamp": str(timestamp), "sign": sign(self._secret, timestamp)}
        return body

    def answer(self, response: httpx.Response) -> tuple[int, str]:
        """Feishu answers `code`/`msg` (older bots `StatusCode`/`StatusMessage`), on HTTP 200 or a 4xx."""
        if response.status_code == 429 or response.status_code >= 500:
            self._check_status(response)
        body = self._json(response) if response.status_code >= 400 or response.content else {}
        code = body.get("code", body.get("StatusCode", 0))
        if code == 0:
            self._check_status(response)
        return code, str(body.get("msg", body.get("StatusMessage", "")))
