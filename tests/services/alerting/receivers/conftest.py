"""Fixtures for the receiver tests: one local HTTP server per session, a client per test."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from libs.outbound import OutboundPolicy, outbound_client
from tests.helpers import local_server
from tests.services.alerting.receivers.fakes import FakeServer, Sleeps


@pytest.fixture(scope="session")
async def _fake_server() -> AsyncIterator[FakeServer]:
    fake = FakeServer()
    async with local_server(fake) as url:
        fake.url = url
        yield fake


@pytest.fixture
def server(_fake_server: FakeServer) -> FakeServer:
    _fake_server.reset()
    return _fake_server


@pytest.fixture
async def http(_fake_server: FakeServer) -> AsyncIterator[httpx.AsyncClient]:
    # NOTE: the fake provider is on loopback, which the outbound policy lets through only when allow-listed.
    async with outbound_client(OutboundPolicy([httpx.URL(_fake_server.url).netloc.decode()])) as client:
        yield client


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="services.alerting.receivers")
    return caplog


