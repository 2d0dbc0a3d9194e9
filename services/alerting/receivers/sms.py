"""SMS through a Twilio-compatible REST API, one message per recipient.

`POST {base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded `To`, `From` (or
`MessagingServiceSid`) and `Body`, HTTP basic auth with the account SID and auth token. `201` with
a JSON message resource is success; 4xx with Twilio's error JSON (`code`, `message`) is permanent
except `429`, which is transient like 5xx. A retry only texts the recipients that have not got the
message yet.
"""

from __future__ import annotations

import asyncio
import re
from typing import Literal

import httpx
from pydantic import Field, SecretStr, field_validator, model_validator

from services.alerting.receivers.base import (
    Attempt,
    DeliveryError,
    PermanentError,
    Receiver,
    ReceiverConfigBase,
    Sleep,
    TransientError,
    http_url,
    redact_url,
    retry_after_seconds,
)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class SmsConfig(ReceiverConfigBase):
    kind: Literal["sms"] = "sms"
    base_url: str = "https://api.twilio.com"
    account_sid: str = Field(pattern=r"^[A-Za-z0-9]{2,64}$")
    auth_token: SecretStr
    from_number: str | None = Field(None, description="E.164 number or alphanumeric sender id.")
    messaging_service_sid: str | None = None
    to: list[str] = Field(min_length=1, description="E.164 numbers, e.g. +8613800138000.")
    max_chars: int = Field(320, ge=70, le=1600, description="Longer texts are cut (SMS are billed per segment).")

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return http_url(value, field="base_url").rstrip("/")

    @field_validator("to")
    @classmethod
    def _to(cls, value: list[str]) -> list[str]:
        for i, number in enumerate(value):
            if not E164.match(number):
                raise ValueError(f"to[{i}] must be an E.164 phone number such as +8613800138000")
        return value

    @model_validator(mode="after")
    def _sender(self) -> SmsConfig:
        if not (self.from_number or self.messaging_service_sid):
            raise ValueError("give from_number or messaging_service_sid")
        return self


def mask_number(number: str) -> str:
    """Enough of a phone number to tell recipients apart in logs, not enough to dial it."""
    return number[:3] + "*" * max(0, len(number) - 5) + number[-2:]


class SmsReceiver(Receiver):
    kind = "sms"

    def __init__(self, config: SmsConfig, *, http: httpx.AsyncClient, sleep: Sleep = asyncio.sleep) -> None:
        token = config.auth_token.get_secret_value()
        self._url = f"{config.base_url}/2010-04-01/Accounts/{config.account_sid}/Messages.json"
        super().__init__(
            name=config.name, target=redact_url(self._url), secrets=[token],
            language=config.language, retry=config.retry, timeout_s=config.timeout_s, sleep=sleep,
        )
        self._http = http
        self._config = config
        self._auth = httpx.BasicAuth(config.account_sid, token)

    def text(self, attempt: Attempt) -> str:
        text = attempt.message.sms
        if attempt.message.link:
            text += f" {attempt.message.link}"
        limit = self._config.max_chars
        return text if len(text) <= limit else text[: limit - 1] + "…"

    async def _send_once(self, attempt: Attempt) -> None:
        body = self.text(attempt)
        transient: list[TransientError] = []
        for number in self._config.to:
            if number in attempt.done or number in attempt.failed:
                continue
            try:
                await self._text_one(number, body)
            except TransientError as exc:
                transient.append(exc)
            except PermanentError as exc:
                attempt.failed[number] = str(exc)
                attempt.failed_reasons[number] = exc.reason
            else:
                attempt.done.add(number)
        if transient:
            waits = [e.retry_after for e in transient if e.retry_after is not None]
            raise TransientError(
                self._summary(attempt, transient), retry_after=max(waits) if waits else None,
                reason=self._summary(attempt, transient, reasons=True),
            )
        if attempt.failed:
            raise PermanentError(self._summary(attempt, []), reason=self._summary(attempt, [], reasons=True))

    def _summary(self, attempt: Attempt, transient: list[DeliveryError], *, reasons: bool = False) -> str:
        failed = attempt.failed_reasons if reasons else attempt.failed
        parts = [f"{mask_number(n)}: {error}" for n, error in failed.items()]
        parts += [e.reason if reasons else str(e) for e in transient]
        return f"{len(attempt.done)} of {len(self._config.to)} texted; " + "; ".join(parts)

    async def _text_one(self, number: str, body: str) -> None:
        form = {"To": number, "Body": body}
        if self._config.messaging_service_sid:
            form["MessagingServiceSid"] = self._config.messaging_service_sid
        else:
            form["From"] = self._config.from_number
        response = await self._post(self._http, self._url, data=form, auth=self._auth)
        if 200 <= response.status_code < 300:
            self._json(response)
            return
        code, message = None, self._excerpt(response)
        try:
            error = response.json()
            code, message = error.get("code"), self._redact(str(error.get("message", "")))[:200]
            message = message.replace(number, mask_number(number))
        except (ValueError, AttributeError):
            pass
        reason = f"{mask_number(number)}: HTTP {response.status_code}" + (f" code {code}" if isinstance(code, int) else "")
        detail = f"{mask_number(number)}: HTTP {response.status_code}" + (f" code {code}" if code else "") + f": {message}"
        if response.status_code in (408, 429) or response.status_code >= 500:
            raise TransientError(detail, retry_after=retry_after_seconds(response.headers.get("retry-after")), reason=reason)
        raise PermanentError(detail, reason=reason)
