"""The outbound policy against real local servers: refused addresses, redirects, the allow-list."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route

from libs.outbound import OutboundPolicy, OutboundRefused, address_problem, outbound_client
from libs.redact import redact_headers, redact_text, redact_url
from libs.settings import Settings
from tests.helpers import local_server


async def _ok(request):
    return PlainTextResponse(f"ok {request.headers['host']}")


async def _redirect(request):
    return RedirectResponse(request.query_params["to"], status_code=302)


APP = Starlette(routes=[Route("/ok", _ok), Route("/redirect", _redirect)])


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://127.8.9.10/",
        "http://[::1]:9/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://[fc00::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[2002:7f00:1::]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://100.64.0.1/",
        "http://localhost:9/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "ftp://example.com/",
    ],
)
async def test_refused_destinations(url: str) -> None:
    policy = OutboundPolicy()
    with pytest.raises(OutboundRefused):
        await policy.check_url(url)
    async with outbound_client(policy, timeout=2) as http:
        with pytest.raises(OutboundRefused) as refused:
            await http.get(url)
    assert "passwd" not in refused.value.reason


def test_public_addresses_pass() -> None:
    for text in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"):
        assert address_problem(ipaddress.ip_address(text)) is None


async def test_a_name_that_does_not_resolve_passes_at_save_time() -> None:
    await OutboundPolicy().check_url("https://hooks.example.invalid/x")


async def test_an_allow_listed_local_server_is_reached_with_its_host_header() -> None:
    async with local_server(APP) as url:
        port = httpx.URL(url).port
        for entry in ("127.0.0.1", f"127.0.0.1:{port}"):
            async with outbound_client(OutboundPolicy([entry])) as http:
                response = await http.get(f"{url}/ok")
            assert response.text == f"ok 127.0.0.1:{port}"
        # NOTE: a name that resolves to loopback, allow-listed by name; the Host header keeps the name.
        async with outbound_client(OutboundPolicy([f"localhost:{port}"])) as http:
            response = await http.get(f"http://localhost:{port}/ok")
        assert response.text == f"ok localhost:{port}"
        async with outbound_client(OutboundPolicy([f"127.0.0.1:{port + 1}"])) as http:
            with pytest.raises(OutboundRefused):
                await http.get(f"{url}/ok")


async def test_a_redirect_to_loopback_is_refused() -> None:
    async with local_server(APP) as url:
        port = httpx.URL(url).port
        # NOTE: `localhost` stands for the allowed outside host; the redirect points to 127.0.0.1.
        async with outbound_client(OutboundPolicy([f"localhost:{port}"]), follow_redirects=True) as http:
            assert (await http.get(f"http://localhost:{port}/redirect", params={"to": f"http://localhost:{port}/ok"})).status_code == 200
            with pytest.raises(OutboundRefused):
                await http.get(f"http://localhost:{port}/redirect", params={"to": f"http://127.0.0.1:{port}/ok"})
            with pytest.raises((OutboundRefused, httpx.UnsupportedProtocol)):
                await http.get(f"http://localhost:{port}/redirect", params={"to": "file:///etc/passwd"})


def test_the_allow_list_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REVIEWGUARD_OUTBOUND_ALLOW_HOSTS", "hooks.internal:8443, 10.0.4.7")
    policy = OutboundPolicy.from_settings(Settings())
    assert policy.allowed("hooks.internal", 8443) and not policy.allowed("hooks.internal", 443)
    assert policy.allowed("10.0.4.7", 80) and policy.allowed("10.0.4.7", 9)
    assert Settings(outbound_allow_hosts=[]).outbound_allow_hosts == []


def test_urls_are_redacted() -> None:
    assert redact_url("https://user:pw@api.example.com:8443/v1?token=abc&page=2&API_KEY=k&sig=s") == (
        "https://***@api.example.com:8443/v1?token=***&page=2&API_KEY=***&sig=***"
    )
    assert redact_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K123") == (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"
    )
    assert redact_url("https://example.com/plain?q=1") == "https://example.com/plain?q=1"
    text = redact_text("POST https://x.example.com/h?access_token=T0K3N failed: secret s3cr3t echoed", ["s3cr3t"])
    assert "T0K3N" not in text and "s3cr3t" not in text and "x.example.com" in text


def test_headers_are_redacted() -> None:
    headers = {"Authorization": "Bearer abc", "X-Api-Key": "k", "Content-Type": "application/json", "Cookie": "c=1"}
    assert redact_headers(headers) == {
        "Authorization": "***", "X-Api-Key": "***", "Content-Type": "application/json", "Cookie": "***",
    }
