"""DingTalk (钉钉) custom robot: a signed markdown message.

Signing ("加签"): with `timestamp` the current time in milliseconds, the robot's secret `SEC…`
signs `f"{timestamp}\\n{secret}"` with HMAC-SHA256 (the secret as key); the digest, base64- then
URL-encoded, is sent with the timestamp as the `timestamp` and `sign` query parameters. DingTalk
rejects timestamps more than an hour off. The robot answers `{"errcode": 0, "errmsg": "ok"}`;
`130101` (over 20 messages/minute) and `-1` (busy) are transient, any other errcode (e.g. `310000`
bad signature or missing keyword, `300001` bad token) permanent.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from typing import Literal
from urllib.parse import parse_qs, quote_plus, urlsplit

import httpx
from pydantic import Field, SecretStr, field_validator

from services.alerting.receivers.base import Attempt, ReceiverConfigBase, Sleep, http_url
from services.alerting.receivers.chat import ChatRobotReceiver
from services.alerting.receivers.messages import clip_bytes, md_escape, to_markdown
from services.alerting.receivers.notification import Severity

MAX_TEXT_BYTES = 20000
TRANSIENT_ERRCODES = frozenset({-1, 130101})


class DingTalkConfig(ReceiverConfigBase):
    kind: Literal["dingtalk"] = "dingtalk"
    webhook_url: SecretStr = Field(description="https://oapi.dingtalk.com/robot/send?access_token=…")
    secret: SecretStr | None = Field(None, description="The robot's signing secret (SEC…); unsigned when absent.")
    at_mobiles: list[str] = Field(default_factory=list)
    at_all: bool = False

    @field_validator("webhook_url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        url = http_url(value.get_secret_value(), field="webhook_url")
        if not parse_qs(urlsplit(url).query).get("access_token"):
            raise ValueError("webhook_url must carry the robot's ?access_token=…")
        return SecretStr(url)


def sign(secret: str, timestamp_ms: int) -> str:
    """The base64 signature for `timestamp_ms` (not yet URL-encoded)."""
    string_to_sign = f"{timestamp_ms}\n{secret}"
    digest = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkReceiver(ChatRobotReceiver):
    kind = "dingtalk"
    transient_codes = TRANSIENT_ERRCODES

    def __init__(
        self, config: DingTalkConfig, *, http: httpx.AsyncClient, sleep: Sleep = asyncio.sleep, clock=time.time
    ) -> None:
        url = config.webhook_url.get_secret_value()
        secret = config.secret.get_secret_value() if config.secret else None
        super().__init__(config, url=url, secrets=[secret, *parse_qs(urlsplit(url).query)["access_token"]], http=http, sleep=sleep)
        self._secret = secret
        self._clock = clock
        self._config = config

    def signed_url(self) -> str:
        if self._secret is None:
            return self._url
        timestamp = int(self._clock() * 1000)
        return f"{self._url}&timestamp={timestamp}&sign={quote_plus(sign(self._secret, timestamp))}"

    def payload(self, attempt: Attempt) -> dict:
        colour = "#FF0000" if attempt.message.severity is Severity.HIGH else "#FF9900"
        text = to_markdown(attempt.message, severity_markup=f'<font color="{colour}">{{}}</font>')
        if self._config.at_mobiles:
            # NOTE: DingTalk only notifies the people whose @mobile also appears in the text.
            text += "\n\n" + " ".join(f"@{md_escape(m)}" for m in self._config.at_mobiles)
        return {
            "msgtype": "markdown",
            "markdown": {"title": attempt.message.title, "text": clip_bytes(text, MAX_TEXT_BYTES)},
            "at": {"atMobiles": self._config.at_mobiles, "isAtAll": self._config.at_all},
        }

    def request_url(self) -> str:
        # NOTE: signed anew for every attempt: the timestamp must be fresh.
        return self.signed_url()
