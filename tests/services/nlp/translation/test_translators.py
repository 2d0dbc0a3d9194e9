"""The three translation clients against local servers speaking their documented APIs."""

from __future__ import annotations

import logging

import httpx
import pytest
from pydantic import ValidationError

from libs.outbound import OutboundPolicy, outbound_client
from services.nlp.translation import (
    DeepLConfig,
    GoogleConfig,
    LibreTranslateConfig,
    RetrySettings,
    Translation,
    TranslationAuthError,
    TranslationQuotaError,
    TranslationSettings,
    TranslationUnavailable,
    build_translator,
)
from tests.services.nlp.translation.fakes import DEEPL_KEY, GOOGLE_KEY, LIBRE_KEY, FakeProviders

# NOTE: retries without waiting, so a failing provider costs milliseconds.
FAST = RetrySettings(max_attempts=3, initial_wait_s=0, max_wait_s=0, jitter_s=0, max_retry_after_s=0)
TEXTS = ["Kam kaputt an.", "", "Sehr gut, schnelle Lieferung!"]
SECRETS = (DEEPL_KEY, GOOGLE_KEY, LIBRE_KEY)


def settings(provider, **kw) -> TranslationSettings:
    return TranslationSettings(enabled=True, provider=provider, retry=FAST, **kw)


def configs(url: str, *, good: bool = True) -> dict[str, object]:
    return {
        "deepl": DeepLConfig(api_key=DEEPL_KEY if good else "wrong:fx", base_url=url),
        "google": GoogleConfig(api_key=GOOGLE_KEY if good else "wrong", base_url=url),
        "libretranslate": LibreTranslateConfig(base_url=url, api_key=LIBRE_KEY if good else "wrong"),
    }


PROVIDERS = ["deepl", "google", "libretranslate"]


def test_off_by_default_and_nothing_is_built() -> None:
    assert TranslationSettings().enabled is False
    assert build_translator(TranslationSettings(), http=httpx.AsyncClient()) is None
    with pytest.raises(ValueError):
        build_translator(TranslationSettings(enabled=True), http=httpx.AsyncClient())


def test_provider_is_chosen_by_config_and_secrets_are_hidden() -> None:
    parsed = TranslationSettings.model_validate(
        {"enabled": True, "target": "zh", "provider": {"provider": "google", "api_key": GOOGLE_KEY}}
    )
    assert isinstance(parsed.provider, GoogleConfig)
    assert GOOGLE_KEY not in repr(parsed) and GOOGLE_KEY not in parsed.model_dump_json()
    with pytest.raises(ValidationError):
        TranslationSettings.model_validate({"enabled": True, "provider": {"provider": "babelfish"}})


def test_deepl_plan_picks_the_base_url() -> None:
    assert DeepLConfig(api_key="abc:fx").url() == "https://api-free.deepl.com"
    assert DeepLConfig(api_key="abc").url() == "https://api.deepl.com"
    assert DeepLConfig(api_key="abc", plan="free").url() == "https://api-free.deepl.com"
    assert DeepLConfig(api_key="abc:fx", base_url="http://x/").url() == "http://x"


@pytest.mark.parametrize("name", PROVIDERS)
async def test_translates_a_batch_keeping_originals_and_order(
    name: str, providers: FakeProviders, http: httpx.AsyncClient
) -> None:
    translator = build_translator(settings(configs(providers.url)[name]), http=http)
    result = await translator.translate(TEXTS, "en")
    assert [r.original for r in result] == TEXTS
    assert result[0] == Translation(text="<en-us>Kam kaputt an." if name == "deepl" else "<en>Kam kaputt an.",
                                    original="Kam kaputt an.", detected_source="de", provider=name)
    assert result[1].text == "" and not result[1].translated
    assert result[2].text.endswith("Sehr gut, schnelle Lieferung!") and result[2].detected_source == "de"
    # NOTE: the blank text is never sent.
    sent = []
    for seen in providers.seen:
        value = seen.body.get("text", seen.body.get("q"))
        sent.extend(value if isinstance(value, list) else [value])
    assert sorted(sent) == sorted(t for t in TEXTS if t)


async def test_deepl_request_shape(providers: FakeProviders, http: httpx.AsyncClient) -> None:
    translator = build_translator(settings(configs(providers.url)["deepl"], target="zh"), http=http)
    await translator.translate(["Hallo"], "zh", source="de")
    seen = providers.seen[-1]
    assert seen.path == "/v2/translate" and seen.headers["authorization"] == f"DeepL-Auth-Key {DEEPL_KEY}"
    assert seen.body == {"text": ["Hallo"], "target_lang": "ZH-HANS", "source_lang": "DE"}


@pytest.mark.parametrize("in_query", [False, True])
async def test_google_request_shape(in_query: bool, providers: FakeProviders, http: httpx.AsyncClient) -> None:
    config = GoogleConfig(api_key=GOOGLE_KEY, base_url=providers.url, key_in_query=in_query)
    translator = build_translator(settings(config), http=http)
    await translator.translate(["Hallo", "Welt"], "en")
    seen = providers.seen[-1]
    assert seen.path == "/language/translate/v2"
    assert seen.body == {"q": ["Hallo", "Welt"], "target": "en", "format": "text"}
    assert (seen.query.get("key") == GOOGLE_KEY) is in_query
    assert (seen.headers.get("x-goog-api-key") == GOOGLE_KEY) is not in_query


async def test_libretranslate_request_shape(providers: FakeProviders, http: httpx.AsyncClient) -> None:
    translator = build_translator(settings(configs(providers.url)["libretranslate"]), http=http)
    result = await translator.translate(["Bonjour"], "en")
    seen = providers.seen[-1]
    assert seen.path == "/translate"
    assert seen.body == {"q": "Bonjour", "source": "auto", "target": "en", "format": "text", "api_key": LIBRE_KEY}
    assert result[0].detected_source == "de"


async def test_same_source_and_target_sends_nothing(providers: FakeProviders, http: httpx.AsyncClient) -> None:
    translator = build_translator(settings(configs(providers.url)["google"]), http=http)
    result = await translator.translate(["Already English"], "en", source="en")
    assert result[0].text == "Already English" and providers.seen == []


@pytest.mark.parametrize("name", PROVIDERS)
async def test_retries_on_429_and_5xx_then_succeeds(name: str, providers: FakeProviders, http: httpx.AsyncClient) -> None:
    providers.fail = [(429, {"Retry-After": "0"}), (503, {})]
    translator = build_translator(settings(configs(providers.url)[name]), http=http)
    result = await translator.translate(["Hallo"], "en")
    assert result[0].text.endswith("Hallo") and len(providers.seen) == 3


@pytest.mark.parametrize("name", PROVIDERS)
async def test_gives_up_after_the_last_attempt(name: str, providers: FakeProviders, http: httpx.AsyncClient) -> None:
    providers.fail = [(500, {})] * 5
    translator = build_translator(settings(configs(providers.url)[name]), http=http)
    with pytest.raises(TranslationUnavailable) as info:
        await translator.translate(["Hallo"], "en")
    assert info.value.status == 500 and len(providers.seen) == FAST.max_attempts


@pytest.mark.parametrize("name", PROVIDERS)
async def test_a_wrong_key_is_an_auth_error_without_retries_and_no_secret_is_logged(
    name: str, providers: FakeProviders, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    translator = build_translator(settings(configs(providers.url, good=False)[name]), http=http)
    with pytest.raises(TranslationAuthError) as info:
        await translator.translate(["Hallo"], "en")
    assert len(providers.seen) == 1
    good = build_translator(settings(configs(providers.url)[name]), http=http)
    providers.fail = [(429, {})]
    await good.translate(["Hallo"], "en")
    for secret in (*SECRETS, "wrong"):
        assert secret not in str(info.value)
    for secret in SECRETS:
        assert secret not in caplog.text


async def test_deepl_quota_exceeded_is_not_retried(providers: FakeProviders, http: httpx.AsyncClient) -> None:
    providers.fail = [(456, {})]
    translator = build_translator(settings(configs(providers.url)["deepl"]), http=http)
    with pytest.raises(TranslationQuotaError):
        await translator.translate(["Hallo"], "en")
    assert len(providers.seen) == 1


async def test_network_errors_are_retried_then_reported_without_the_url() -> None:
    config = GoogleConfig(api_key=GOOGLE_KEY, base_url="http://127.0.0.1:9", key_in_query=True)
    async with outbound_client(OutboundPolicy(["127.0.0.1:9"])) as http:
        translator = build_translator(settings(config, timeout_s=1), http=http)
        with pytest.raises(TranslationUnavailable) as info:
            await translator.translate(["Hallo"], "en")
    assert GOOGLE_KEY not in str(info.value) and "127.0.0.1" not in str(info.value)
