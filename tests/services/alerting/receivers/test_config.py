"""Receiver configuration: the discriminated union, clear errors without secrets, the factory."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.alerting.receivers import build_receiver, parse_receiver_config
from services.alerting.receivers.dingtalk import DingTalkReceiver
from services.alerting.receivers.feishu import FeishuReceiver
from services.alerting.receivers.slack import SlackReceiver
from services.alerting.receivers.sms import SmsReceiver
from services.alerting.receivers.smtp import EmailReceiver
from services.alerting.receivers.wecom import WeComReceiver
from services.alerting.receivers.webhook import WebhookReceiver

VALID = {
    "slack": ({"webhook_url": "https://hooks.slack.com/services/T0/B0/SECRETslack"}, SlackReceiver),
    "wecom": ({"webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRETwecom"}, WeComReceiver),
    "dingtalk": ({"webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=SECRETding", "secret": "SECxyz"}, DingTalkReceiver),
    "feishu": ({"webhook_url": "https://open.feishu.cn/open-apis/bot/v2/hook/SECRETfeishu"}, FeishuReceiver),
    "webhook": ({"url": "https://erp.example.com/hooks", "secret": "0123456789abcdefSECRET"}, WebhookReceiver),
    "email": ({"host": "smtp.example.com", "from_address": "a@example.com", "to": ["b@example.com"]}, EmailReceiver),
    "sms": ({"account_sid": "AC123", "auth_token": "SECRETtwilio", "from_number": "+15005550006", "to": ["+8613800138000"]}, SmsReceiver),
}


@pytest.mark.parametrize("kind", sorted(VALID))
async def test_build_receiver_picks_the_class_by_kind_and_hides_secrets_in_repr(kind, http) -> None:
    fields, cls = VALID[kind]
    config = parse_receiver_config({"kind": kind, "name": f"{kind}-1", **fields})

    receiver = build_receiver(config, http=http)

    assert isinstance(receiver, cls) and receiver.kind == kind and receiver.name == f"{kind}-1"
    assert "SECRET" not in repr(config) and "SECRET" not in repr(receiver) and "SECRET" not in receiver.target


@pytest.mark.parametrize(
    ("data", "where", "says"),
    [
        ({"kind": "teams", "name": "x"}, "", "does not match any of the expected tags: 'slack', 'wecom'"),
        ({"kind": "slack", "name": "x"}, "slack.webhook_url", "Field required"),
        ({"kind": "slack", "name": "x", "webhook_url": "hooks.slack.com/SECRETx"}, "slack.webhook_url", "must be an absolute"),
        ({"kind": "wecom", "name": "x", "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?SECRETx"}, "wecom.webhook_url", "?key="),
        ({"kind": "dingtalk", "name": "x", "webhook_url": "https://oapi.dingtalk.com/robot/send"}, "dingtalk.webhook_url", "access_token"),
        ({"kind": "webhook", "name": "x", "url": "https://e.example", "secret": "SECRETshort"}, "webhook.secret", "at least 16"),
        ({"kind": "email", "name": "x", "host": "h", "from_address": "a@b.co", "to": ["nobody"]}, "email.to", "to[0] must be an email address"),
        ({"kind": "email", "name": "x", "host": "h", "from_address": "a@b.co", "to": ["b@b.co"], "username": "u"}, "email", "username and password"),
        ({"kind": "sms", "name": "x", "account_sid": "AC1", "auth_token": "SECRETt", "from_number": "+1500", "to": ["0123"]}, "sms.to", "E.164"),
        ({"kind": "sms", "name": "x", "account_sid": "AC1", "auth_token": "SECRETt", "to": ["+8613800138000"]}, "sms", "from_number or messaging_service_sid"),
        ({"kind": "slack", "name": "x", "webhook_url": "https://h.example/SECRETx", "language": "fr"}, "slack.language", "'zh' or 'en'"),
        ({"kind": "slack", "name": "x", "webhook_url": "https://h.example/SECRETx", "retry": {"max_attempts": 0}}, "slack.retry.max_attempts", "greater than or equal to 1"),
        ({"kind": "slack", "name": "x", "webhook_url": "https://h.example/SECRETx", "colour": "red"}, "slack.colour", "Extra inputs are not permitted"),
    ],
)
def test_validation_errors_name_the_field_and_never_echo_secrets(data, where, says) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_receiver_config(data)

    text = str(caught.value)
    assert says in text
    assert where in {".".join(map(str, e["loc"])) for e in caught.value.errors()} | {""}
    assert "SECRET" not in text
