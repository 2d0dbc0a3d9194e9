"""WeCom (企业微信) group robot: `msgtype: markdown` to the robot's webhook URL.

The robot answers HTTP 200 with `{"errcode": 0, "errmsg": "ok"}`; any other errcode is a failure.
`-1` (busy) and `45009` (over the 20 messages/minute limit) are transient, the rest (e.g. `93000`
invalid webhook key, `40058` bad parameter) permanent.
"""

from __future__ import annotations

import asyncio
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import httpx
from pydantic import Field, SecretStr, field_validator

from services.alerting.receivers.base import Attempt, ReceiverConfigBase, Sleep, http_url
from services.alerting.receivers.chat import ChatRobotReceiver
from services.alerting.receivers.messages import clip_bytes, to_markdown
from services.alerting.receivers.notification import Severity

MAX_CONTENT_BYTES = 4096
TRANSIENT_ERRCODES = frozenset({-1, 45009, 45033})


class WeComConfig(ReceiverConfigBase):
    kind: Literal["wecom"] = "wecom"
    webhook_url: SecretStr = Field(description="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…")
    mention_userids: list[str] = Field(default_factory=list, description="WeCom user ids to @mention.")

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        url = http_url(value.get_secret_value(), field="webhook_url")
        if not parse_qs(urlsplit(url).query).get("key"):
            raise ValueError("webhook_url must carry the robot's key as ?key=…")
        return SecretStr(url)


class WeComReceiver(ChatRobotReceiver):
    kind = "wecom"
    transient_codes = TRANSIENT_ERRCODES

    def __init__(self, config: WeComConfig, *, http: httpx.AsyncClient, sleep: Sleep = asyncio.sleep) -> None:
        url = config.webhook_url.get_secret_value()
        super().__init__(config, url=url, secrets=parse_qs(urlsplit(url).query)["key"], http=http, sleep=sleep)
        self._mentions = config.mention_userids

    def payload(self, attempt: Attempt) -> dict:
        colour = "warning" if attempt.message.severity is Severity.HIGH else "comment"
        content = to_markdown(attempt.message, severity_markup=f'<font color="{colour}">{{}}</font>')
        if self._mentions:
            content += "\n" + " ".join(f"<@{uid}>" for uid in self._mentions)
        return {"msgtype": "markdown", "markdown": {"content": clip_bytes(content, MAX_CONTENT_BYTES)}}
