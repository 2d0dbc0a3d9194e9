"""Email over SMTP: a multipart/alternative message (plain text and HTML).

NOTE: the standard library's smtplib, run in a worker thread, instead of aiosmtplib: an alert
email is one short conversation, so a thread per send is cheap, and the service needs no extra
runtime dependency. SMTP replies 4xx are transient and 5xx permanent; connection errors and
timeouts are transient, a TLS certificate that does not verify is permanent.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from typing import Literal

from pydantic import Field, FilePath, SecretStr, field_validator, model_validator

from services.alerting.receivers.base import (
    Attempt,
    PermanentError,
    Receiver,
    ReceiverConfigBase,
    Sleep,
    TransientError,
)
from services.alerting.receivers.messages import to_html, to_text


def _address(value: str, *, field: str) -> str:
    name, addr = parseaddr(value)
    local, _, domain = addr.rpartition("@")
    if not local or "." not in domain or " " in addr:
        raise ValueError(f"{field} must be an email address such as ops@example.com or 'Ops <ops@example.com>'")
    return value.strip()


class EmailConfig(ReceiverConfigBase):
    kind: Literal["email"] = "email"
    host: str = Field(min_length=1)
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls: upgrade a plain connection (port 587); tls: implicit TLS (port 465)."
    )
    username: str | None = None
    password: SecretStr | None = None
    from_address: str
    to: list[str] = Field(min_length=1)
    ca_file: FilePath | None = Field(None, description="Extra CA bundle to trust, for a private mail relay.")

    @field_validator("from_address")
    @classmethod
    def _from(cls, value: str) -> str:
        return _address(value, field="from_address")

    @field_validator("to")
    @classmethod
    def _to(cls, value: list[str]) -> list[str]:
        return [_address(v, field=f"to[{i}]") for i, v in enumerate(value)]

    @model_validator(mode="after")
    def _credentials(self) -> EmailConfig:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password must be given together")
        return self


def build_message(config: EmailConfig, attempt: Attempt, recipients: list[str]) -> EmailMessage:
    message = attempt.message
    mail = EmailMessage()
    # NOTE: a header with a line break is refused by EmailMessage; titles carry untrusted text.
    mail["Subject"] = " ".join(message.title.split())
    mail["From"] = config.from_address
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = make_msgid(domain=parseaddr(config.from_address)[1].rpartition("@")[2])
    mail["X-ReviewGuard-Alert-Id"] = attempt.notification.alert_id
    mail["Content-Language"] = message.language
    mail.set_content(to_text(message))
    mail.add_alternative(to_html(message), subtype="html")
    return mail


def _raise_for_refused(refused: dict[str, tuple[int, bytes]], total: int) -> None:
    if refused:
        codes = {code for code, _ in refused.values()}
        detail = f"{len(refused)} of {total} recipient(s) refused with SMTP {sorted(codes)}"
        if any(400 <= c < 500 for c in codes):
            raise TransientError(detail)
        raise PermanentError(detail)


class EmailReceiver(Receiver):
    kind = "email"

    def __init__(self, config: EmailConfig, *, sleep: Sleep = asyncio.sleep) -> None:
        password = config.password.get_secret_value() if config.password else None
        super().__init__(
            name=config.name, target=f"smtp://{config.host}:{config.port}", secrets=[password],
            language=config.language, retry=config.retry, timeout_s=config.timeout_s, sleep=sleep,
        )
        self._config = config
        self._password = password
        self._tls = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)

    async def _send_once(self, attempt: Attempt) -> None:
        recipients = [r for r in self._config.to if r not in attempt.done]
        mail = build_message(self._config, attempt, recipients)
        refused = await asyncio.to_thread(self._deliver, mail, recipients)
        attempt.done.update(r for r in recipients if parseaddr(r)[1] not in refused)
        _raise_for_refused(refused, len(recipients))

    async def send_mail(self, mail: EmailMessage) -> None:
        """One try at sending a mail built elsewhere (a scheduled report with its attachments) from
        the configured sender to the configured recipients; the caller keeps what failed and retries.

        Raises:
            TransientError / PermanentError: as for alerts (4xx and connection trouble are transient).
        """
        del mail["From"], mail["To"]
        mail["From"] = self._config.from_address
        mail["To"] = ", ".join(self._config.to)
        refused = await asyncio.to_thread(self._deliver, mail, list(self._config.to))
        _raise_for_refused(refused, len(self._config.to))

    def _deliver(self, mail: EmailMessage, recipients: list[str]) -> dict[str, tuple[int, bytes]]:
        """Blocking: connects, secures, logs in, sends; returns the refused recipients."""
        config = self._config
        addresses = [addr for _, addr in getaddresses(recipients)]
        try:
            context = self._tls
            if config.security == "tls":
                client = smtplib.SMTP_SSL(config.host, config.port, timeout=self._timeout, context=context)
            else:
                client = smtplib.SMTP(config.host, config.port, timeout=self._timeout)
            with client:
                if config.security == "starttls":
                    client.starttls(context=context)
                if config.username is not None:
                    client.login(config.username, self._password or "")
                return client.send_message(mail, to_addrs=addresses)
        except smtplib.SMTPRecipientsRefused as exc:
            return exc.recipients
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentError(f"server does not support what the configuration asks: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            reply = exc.smtp_error
            text = self._redact(reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply))
            detail = f"{type(exc).__name__} {exc.smtp_code}: {text[:200]}"
            if 400 <= exc.smtp_code < 500 or exc.smtp_code == -1:
                raise TransientError(detail) from None
            raise PermanentError(detail) from None
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(f"TLS certificate of {config.host} does not verify: {exc.verify_message}") from None
        except (smtplib.SMTPException, OSError) as exc:
            # NOTE: disconnects, refused connections, timeouts and TLS handshake failures.
            raise TransientError(self._redact(f"{type(exc).__name__}: {exc}")) from None
