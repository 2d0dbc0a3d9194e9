"""One local provider server per session on 127.0.0.1, an HTTP client per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from libs.outbound import OutboundPolicy, outbound_client
from tests.helpers import local_server

from tests.services.nlp.translation.fakes import FakeProviders


@pytest.fixture(scope="session")
async def _providers() -> AsyncIterator[FakeProviders]:
    fake = FakeProviders()
    async with local_server(fake.app()) as url:
        fake.url = url
        yield fake


@pytest.fixture
def providers(_providers: FakeProviders) -> FakeProviders:
    _providers.reset()
    return _providers


@pytest.fixture
async def http(_providers: FakeProviders) -> AsyncIterator[httpx.AsyncClient]:
    # NOTE: the fake providers listen on loopback, which the outbound policy lets through only when allow-listed.
    async with outbound_client(OutboundPolicy([httpx.URL(_providers.url).netloc.decode()])) as client:
        yield client
