"""Fixtures for the receiver tests: one local HTTP server per session, a client per test."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

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
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="services.alerting.receivers")
    return caplog


