"""Email over SMTP against a real local aiosmtpd server: content, auth, STARTTLS, failures."""

from __future__ import annotations

import email
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from libs.embedded import free_port
from services.alerting.receivers import DeliveryStatus, build_receiver, parse_receiver_config
from tests.services.alerting.receivers.fakes import EXPECTED, TINY_RETRY, assert_no_secrets, make_notification

# NOTE: AUTH without TLS is what a plain loopback test server can offer; the STARTTLS test covers TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

USER = "alerts@reviewguard.example"
PASSWORD = "smtpPASSWORD-c0ffee-42"


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and can be told to refuse."""

    messages: list = field(default_factory=list)
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    data_replies: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_replies:
            return self.data_replies.pop(0)
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def smtp_server(mailbox: Mailbox) -> Iterator[int]:
    """A plain SMTP server requiring AUTH (allowed without TLS on loopback for the test)."""
    port = free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, authenticator=authenticate, auth_required=True, auth_require_tls=False
    )
    controller.start()
    yield port
    controller.stop()


def email_config(port: int, **extra) -> dict:
    return {
        "kind": "email", "name": "email-brand", "host": "127.0.0.1", "port": port, "security": "none",
        "username": USER, "password": PASSWORD, "from_address": f"ReviewGuard <{USER}>",
        "to": ["Brand Owner <owner@seller.example>", "risk@seller.example"], "retry": TINY_RETRY,
        "timeout_s": 5, **extra,
    }


def receiver(config: dict, http, sleeps):
    return build_receiver(parse_receiver_config(config), http=http, sleep=sleeps)


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_sends_multipart_text_and_html_in_the_language(smtp_server, mailbox, http, sleeps, logs, language) -> None:
    result = await receiver(email_config(smtp_server), http, sleeps).send(make_notification(language=language))

    assert result.ok and result.attempts == 1
    [(mail_from, rcpt_tos, message)] = mailbox.messages
    assert mail_from == USER
    assert rcpt_tos == ["owner@seller.example", "risk@seller.example"]
    assert message["To"] == "Brand Owner <owner@seller.example>, risk@seller.example"
    assert EXPECTED[language][0] in message["Subject"] and "B0KETTLE01" in message["Subject"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for expected in EXPECTED[language]:
        assert expected in text and expected in html
    assert "https://app.example.com/cases/c-42" in text and 'href="https://app.example.com/cases/c-42"' in html
    assert message["X-ReviewGuard-Alert-Id"] == "5b7c9a3e-0000-4000-8000-000000000001"
    assert_no_secrets(logs, PASSWORD)


async def test_a_wrong_password_is_permanent_and_never_logged(smtp_server, mailbox, http, sleeps, logs) -> None:
    result = await receiver(email_config(smtp_server, password="wrong-password-77"), http, sleeps).send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and result.attempts == 1
    assert "535" in result.error and "wrong-password-77" not in result.error
    assert mailbox.messages == []
    assert_no_secrets(logs, "wrong-password-77")


async def test_a_4xx_reply_is_retried(smtp_server, mailbox, http, sleeps) -> None:
    mailbox.data_replies.append("451 4.3.0 Mail server temporarily rejected message")

    result = await receiver(email_config(smtp_server), http, sleeps).send(make_notification())

    assert result.ok and result.attempts == 2 and len(mailbox.messages) == 1


async def test_a_refused_recipient_fails_for_good_while_the_other_gets_the_mail(smtp_server, mailbox, http, sleeps) -> None:
    mailbox.refuse_rcpt["risk@seller.example"] = "550 5.1.1 No such user"

    result = await receiver(email_config(smtp_server), http, sleeps).send(make_notification())

    assert result.status is DeliveryStatus.PERMANENT_FAILURE and "550" in result.error
    assert [rcpt for _, rcpt, _ in mailbox.messages] == [["owner@seller.example"]]


async def test_a_temporarily_refused_recipient_is_retried_alone(smtp_server, mailbox, http, sleeps) -> None:
    mailbox.refuse_rcpt["risk@seller.example"] = "450 4.2.1 Mailbox busy"

    async def recover(seconds: float) -> None:
        mailbox.refuse_rcpt.clear()
        await sleeps(seconds)

    result = await build_receiver(parse_receiver_config(email_config(smtp_server)), http=http, sleep=recover).send(make_notification())

    assert result.ok and result.attempts == 2
    assert [rcpt for _, rcpt, _ in mailbox.messages] == [["owner@seller.example"], ["risk@seller.example"]]


async def test_a_server_that_is_down_is_a_transient_failure(http, sleeps, logs) -> None:
    result = await receiver(email_config(free_port()), http, sleeps).send(make_notification())

    assert result.status is DeliveryStatus.TRANSIENT_FAILURE
    assert result.attempts == TINY_RETRY["max_attempts"]
    assert len([r for r in logs.records if "failed on attempt" in r.getMessage()]) == TINY_RETRY["max_attempts"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


async def test_starttls_with_a_private_ca(certificate, mailbox, http, sleeps) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port = free_port()
    controller = Controller(
        mailbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
        authenticator=authenticate, auth_required=True,
    )
    controller.start()
    try:
        trusted = await receiver(email_config(port, security="starttls", ca_file=str(cert)), http, sleeps).send(make_notification())
        untrusted = await receiver(email_config(port, security="starttls"), http, sleeps).send(make_notification())
    finally:
        controller.stop()

    assert trusted.ok and len(mailbox.messages) == 1
    assert untrusted.status is DeliveryStatus.PERMANENT_FAILURE and "does not verify" in untrusted.error
