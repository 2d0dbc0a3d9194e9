"""Wiring root of the NLP service: pool, analyser, bus consumer, gRPC server; closed in reverse."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from libs import db, topology
from libs.bus import Bus
from libs.grpc_server import GrpcServer
from libs.runtime import wait_until_stopped
from libs.settings import Settings
from reviewguard.events.v1 import events_pb2
from reviewguard.nlp.v1 import nlp_pb2, nlp_pb2_grpc
from services.nlp.analyzer import Analyzer
from services.nlp.grpc_api import NlpServicer
from services.nlp.language import LanguageDetector
from services.nlp.lexicon import RiskLexicon
from services.nlp.service import NlpService

log = logging.getLogger(__name__)

SCHEMA = "nlp"
MIGRATIONS = Path(__file__).parent / "migrations"
CONSUMER = "nlp"


def build_analyzer(settings: Settings) -> Analyzer:
    """Loads the models; slow (seconds), so it runs in the executor at start."""
    return Analyzer(
        detector=LanguageDetector(settings.nlp_languages.split(",")),
        lexicon=RiskLexicon.load(),
    )


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    dsn = settings.database_dsn()
    await db.migrate(dsn, schema=SCHEMA, directory=MIGRATIONS)
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nlp-cpu")
    loop = asyncio.get_running_loop()
    server = GrpcServer(
        bind=f"{settings.host}:{settings.nlp_port}",
        service_names=[nlp_pb2.DESCRIPTOR.services_by_name["NlpService"].full_name],
    )
    analyzer = await loop.run_in_executor(executor, build_analyzer, settings)
    pool = await db.create_pool(dsn, schema=SCHEMA, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    bus = await Bus.connect(settings.nats_url, name="nlp", duplicate_window_seconds=settings.bus_duplicate_window_seconds)
    await bus.ensure_streams()
    service = NlpService(pool=pool, analyzer=analyzer, executor=executor, bus=bus)
    nlp_pb2_grpc.add_NlpServiceServicer_to_server(NlpServicer(service), server.server)
    await server.start()
    tasks = bus.start_consumer(
        stream=topology.REVIEWS.name,
        durable=CONSUMER,
        subject=topology.REVIEW_INGESTED,
        message_type=events_pb2.ReviewIngested,
        handler=service.handle_ingested,
        stop=stop,
        batch=settings.bus_fetch_batch,
        max_deliver=settings.bus_max_deliver,
        ack_wait_seconds=settings.bus_ack_wait_seconds,
    )
    await server.set_serving()
    try:
        await wait_until_stopped(stop, tasks)
    finally:
        await server.stop(settings.grpc_grace_seconds)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bus.close()
        await pool.close()
        executor.shutdown(wait=True, cancel_futures=True)

