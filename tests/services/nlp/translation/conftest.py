"""One local provider server per session on 127.0.0.1, an HTTP client per test."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from tests.services.nlp.translation.fakes import FakeProviders


@pytest.fixture(scope="session")
async def _providers() -> AsyncIterator[FakeProviders]:
    fake = FakeProviders()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(fake.app(), lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    yield fake
    server.should_exit = True
    await task
    sock.close()


@pytest.fixture
def providers(_providers: FakeProviders) -> FakeProviders:
    _providers.reset()
    return _providers


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client
