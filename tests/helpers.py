"""Small helpers shared by tests."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from datetime import datetime, timedelta, timezone

import uvicorn

from reviewguard.ingest.v1 import review_pb2


def recent(hours: float = 2.0) -> str:
    """An ISO time `hours` ago: e2e reviews must be news, and a review posted more than ingest's
    history age (14 days) before capture is history, which pages no one."""
    return (datetime.now(timezone.utc) - timedelta(hours=hours)).isoformat(timespec="seconds")


async def eventually(check, *, timeout: float = 15.0, interval: float = 0.05):
    """Polls an async `check` until it returns a truthy value; fails with the last value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    while loop.time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")


# Realistic reviews in several languages, written for these tests.
REVIEW_TEXTS = {
    "de": ("Kaputt angekommen", "Der Wasserkocher kam mit einem Riss im Gehäuse an und ist nach zwei Tagen ausgefallen. Sehr enttäuscht."),
    "en": ("Stopped working", "The kettle leaked from the base after a week and the lid does not close properly anymore."),
    "fr": ("Très déçu", "La bouilloire est arrivée avec le couvercle cassé, et le service client ne répond pas à mes messages."),
    "es": ("Muy mala calidad", "El hervidor llegó con una grieta y el asa se soltó al segundo día de uso. No lo recomiendo."),
    "ja": ("残念です", "届いた時には蓋が割れていて、二日目から電源が入らなくなりました。とても残念です。"),
    "zh": ("质量太差", "收到的时候外壳就有裂缝，用了两天就不能加热了，客服也不回复消息，非常失望。"),
}


MARKETPLACE_OF = {"de": "DE", "en": "US", "fr": "FR", "es": "ES", "it": "IT", "ja": "JP", "zh": "CN"}


def make_review(
    *,
    external_id: str = "R1",
    rating: int = 1,
    text_in: str = "de",
    platform: str = "amazon",
    marketplace: str | None = None,
    product_id: str = "B0KETTLE01",
    posted_at: datetime | None = None,
    **overrides,
) -> review_pb2.Review:
    title, body = REVIEW_TEXTS[text_in]
    review = review_pb2.Review(
        platform=platform,
        # NOTE: by default a review comes from the marketplace where its language is spoken.
        marketplace=MARKETPLACE_OF.get(text_in, "DE") if marketplace is None else marketplace,
        external_id=external_id,
        product_id=product_id,
        rating=rating,
        title=overrides.pop("title", title),
        body=overrides.pop("body", body),
        **overrides,
    )
    review.posted_at.FromDatetime(posted_at or datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc))
    return review


@contextlib.asynccontextmanager
async def local_server(app):
    """Serves an ASGI app on a free loopback port for the block; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()
