"""Secrets never leak (issue 18): credentials planted in every place a tenant can give one (a
webhook URL's token, a signing secret, a chat webhook URL, a connector's API key, a translation
key, the API key itself) are grepped for in every response and every log and trace line of a
whole end-to-end run; only the servers the secrets are meant for may see them."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import httpx
from starlette.responses import JSONResponse

from services.launcher import LocalSystem
from tests.helpers import eventually, local_server
from tests.services.alerting.receivers.fakes import FakeServer

PLANTED = {
    "url_token": "pl4nted-url-token-7f3a91",
    "signing_secret": "pl4nted-signing-secret-9c1e44",
    "slack_path": "pl4ntedSlackToken5b27",
    "connector_key": "pl4nted-trustpilot-key-0d8e",
    "translation_key": "pl4nted-libre-key-a61f",
}


def leaks(text: str) -> list[str]:
    return [name for name, secret in PLANTED.items() if secret in text]


async def test_planted_secrets_appear_in_no_response_no_log_and_no_trace(system: LocalSystem, api_keys, base_url) -> None:
    api_key = api_keys["acme"]
    outside = FakeServer()
    outside.expect(lambda r: None, default=JSONResponse({"error": "bad key", "echo": "the remote may echo what it got"}, status_code=403))
    responses: list[str] = []
    async with local_server(outside) as url, httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=20
    ) as api:

        async def call(method: str, path: str, **kwargs) -> httpx.Response:
            answer = await api.request(method, path, **kwargs)
            responses.append(f"{method} {path} {answer.status_code} {dict(answer.headers)} {answer.text}")
            return answer

        hook = {"kind": "webhook", "url": f"{url}/hook?token={PLANTED['url_token']}", "secret": PLANTED["signing_secret"],
                "retry": {"max_attempts": 1, "initial_delay_s": 0, "max_delay_s": 0, "jitter_s": 0}}  # fmt: skip
        assert (await call("PUT", "/v1/alert-receivers/ops", json={"config": hook})).status_code == 200
        slack = {"kind": "slack", "webhook_url": f"https://hooks.slack.com/services/T0/B0/{PLANTED['slack_path']}"}
        assert (await call("PUT", "/v1/alert-receivers/chat", json={"config": slack})).status_code == 200
        routing = {"routing": {"route": {"receiver": "ops", "group_wait_seconds": 0}}}
        assert (await call("PUT", "/v1/alert-policies", json=routing)).status_code == 200
        source = {"kind": "trustpilot", "name": "acme-tp", "backfill_days": 1,
                  "settings": {"business_unit_id": "5d8b2c1e9f0a4b0001a2b3c4", "api_key": PLANTED["connector_key"], "base_url": url}}  # fmt: skip
        created = await call("POST", "/v1/sources", json=source)
        assert created.status_code in (200, 201), created.text
        translation = {"enabled": True, "target": "zh",
                       "provider": {"provider": "libretranslate", "base_url": url, "api_key": PLANTED["translation_key"]}}  # fmt: skip
        assert (await call("PUT", "/v1/translation-settings", json=translation)).status_code == 200

        review = {"platform": "amazon", "marketplace": "FR", "external_id": "leak-1", "product_id": "B0LEAK", "rating": 1,
                  "title": "Arnaque", "body": "Produit contrefait, cassé au premier usage.",
                  "posted_at": datetime.now(timezone.utc).isoformat()}  # fmt: skip
        review_id = (await call("POST", "/v1/reviews", json={"reviews": [review]})).json()["ids"][0]

        async def everything_happened():
            paths = {r.path for r in outside.requests}
            tried = {"/hook"} <= paths and any("translate" in p for p in paths) and any("business-units" in p for p in paths)
            return tried or None

        # The webhook delivery, the translation call and the connector's poll all reach the outside
        # server (which answers 403 and echoes), so every error path has run once.
        await eventually(everything_happened, timeout=90)
        for path in ("/v1/alert-receivers", "/v1/deliveries", "/v1/sources", f"/v1/sources/{created.json()['id']}",
                     "/v1/translation-settings", "/v1/alerts", f"/v1/reviews/{review_id}", "/v1/alert-policies",
                     "/v1/alert-policies/routing"):  # fmt: skip
            assert (await call("GET", path)).status_code == 200, path

    assert outside.requests, "the outside server is the one place the secrets may go"
    assert [r for r in responses if leaks(r)] == []
    files = [*Path(system.log_dir).rglob("*"), *Path(system.settings.trace_dir).rglob("*")]
    lines = [(f.name, line) for f in files if f.is_file() for line in f.read_text(errors="replace").splitlines()]
    assert len(lines) > 100, "the run logged and traced (else this test proves nothing)"
    found = [(name, leaks(line), line[:200]) for name, line in lines if leaks(line) or api_key in line]
    assert found == []
