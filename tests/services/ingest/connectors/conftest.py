"""A scripted platform: a local HTTP server on 127.0.0.1 that answers in a platform's format and can
be told to fail (429 with Retry-After, 5xx, 401) before answering a given page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from libs.embedded import free_port
from libs.outbound import OutboundPolicy, outbound_client
from services.ingest.connectors.http import RetryPolicy

# Fast backoff so retries cost milliseconds; Retry-After is still honoured in full.
FAST_RETRY = RetryPolicy(attempts=4, backoff_initial=0.01, backoff_max=0.05, retry_after_max=10)


@dataclass
class Script:
    """Faults queued per page number, served before the page's real answer, and every request seen."""

    faults: dict[int, list[Response]] = field(default_factory=dict)
    always: Response | None = None
    seen: list[Request] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    def fail(self, page: int, *responses: Response) -> None:
        self.faults.setdefault(page, []).extend(responses)

    def next_fault(self, page: int) -> Response | None:
        if self.always is not None:
            return self.always
        queued = self.faults.get(page)
        return queued.pop(0) if queued else None


@asynccontextmanager
async def serve(routes: list[Route]) -> AsyncIterator[str]:
    """Runs a Starlette app under uvicorn in this event loop; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(Starlette(routes=routes), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # NOTE: the scripted platforms listen on 127.0.0.1 (a port per test), allow-listed by host.
    async with outbound_client(OutboundPolicy(["127.0.0.1"]), timeout=5.0) as http:
        yield http


def secret_in_logs(caplog: pytest.LogCaptureFixture, secret: str) -> list[str]:
    """Every captured log line (message, args and traceback) that contains the secret."""
    found = []
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + (caplog.handler.formatter.formatException(record.exc_info) if record.exc_info else "")
        if secret in text:
            found.append(text)
    return found
