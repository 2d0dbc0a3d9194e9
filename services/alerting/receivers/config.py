"""Receiver configuration: one pydantic model per kind, told apart by `kind`, and the factory."""

from __future__ import annotations

import asyncio
from typing import Annotated

import httpx
from pydantic import ConfigDict, Field, TypeAdapter

from services.alerting.receivers.base import Receiver, Sleep
from services.alerting.receivers.dingtalk import DingTalkConfig, DingTalkReceiver
from services.alerting.receivers.feishu import FeishuConfig, FeishuReceiver
from services.alerting.receivers.slack import SlackConfig, SlackReceiver
from services.alerting.receivers.sms import SmsConfig, SmsReceiver
from services.alerting.receivers.smtp import EmailConfig, EmailReceiver
from services.alerting.receivers.wecom import WeComConfig, WeComReceiver
from services.alerting.receivers.webhook import WebhookConfig, WebhookReceiver

ReceiverConfig = Annotated[
    SlackConfig | WeComConfig | DingTalkConfig | FeishuConfig | WebhookConfig | EmailConfig | SmsConfig,
    Field(discriminator="kind"),
]

_ADAPTER: TypeAdapter[ReceiverConfig] = TypeAdapter(
    ReceiverConfig, config=ConfigDict(title="ReceiverConfig", hide_input_in_errors=True)
)


def parse_receiver_config(data: dict) -> ReceiverConfig:
    """A validated config from plain data (JSON, YAML, a database row).

    Raises:
        pydantic.ValidationError: naming each bad field (e.g. `wecom.webhook_url`), never its value.
    """
    return _ADAPTER.validate_python(data)


def build_receiver(config: ReceiverConfig, *, http: httpx.AsyncClient, sleep: Sleep = asyncio.sleep) -> Receiver:
    """The receiver for `config`; `http` is the caller's client, which the caller closes.

    `sleep` is how retries wait (tests pass one that records the delays).
    """
    match config:
        case SlackConfig():
            return SlackReceiver(config, http=http, sleep=sleep)
        case WeComConfig():
            return WeComReceiver(config, http=http, sleep=sleep)
        case DingTalkConfig():
            return DingTalkReceiver(config, http=http, sleep=sleep)
        case FeishuConfig():
            return FeishuReceiver(config, http=http, sleep=sleep)
        case WebhookConfig():
            return WebhookReceiver(config, http=http, sleep=sleep)
        case EmailConfig():
            return EmailReceiver(config, sleep=sleep)
        case SmsConfig():
            return SmsReceiver(config, http=http, sleep=sleep)
    raise TypeError(f"no receiver for {type(config).__name__}")
