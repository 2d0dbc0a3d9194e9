"""Wiring root of the ingest service: pool, gRPC server, outbox relay, source scheduler, import
jobs and the metrics endpoint; closed in reverse order."""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import timedelta
from pathlib import Path

import httpx

from libs import db, grpc_auth, outbox, topology
from libs.bus import Bus
from libs.crypto import SecretBox
from libs.grpc_server import GrpcServer
from libs.metrics import Metrics
from libs.outbound import OutboundPolicy, outbound_client
from libs.settings import Settings
from reviewguard.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from services.ingest.grpc_api import IngestServicer
from services.ingest.import_jobs import ImportService
from services.ingest.metrics import IngestMetrics
from services.ingest.models import Limits
from services.ingest.reviews import repository as reviews_repository
from services.ingest.service import IngestService
from services.ingest.sources.service import SourceService

log = logging.getLogger(__name__)

SCHEMA = "ingest"
MIGRATIONS = Path(__file__).parent / "migrations"


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    dsn = settings.database_dsn()
    await db.migrate(dsn, schema=SCHEMA, directory=MIGRATIONS)
    await grpc_auth.migrate(dsn)
    pool = await db.create_pool(dsn, schema=SCHEMA, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    metrics = Metrics("ingest")
    metrics.serve(host=settings.host, port=settings.ingest_metrics_port)
    service = IngestService(
        pool=pool,
        limits=Limits(max_title_chars=settings.max_title_chars, max_body_chars=settings.max_body_chars),
        max_batch=settings.max_reviews_per_request,
        metrics=IngestMetrics(metrics.registry),
        history_age=timedelta(days=settings.ingest_history_age_days),
    )
    keys = settings.secret_key_list()
    # NOTE: without keys the service still ingests; only sources (sealed credentials) are refused.
    box = SecretBox(keys) if keys else None
    # NOTE: pull sources reach only destinations the outbound policy allows (libs/outbound.py).
    outbound = OutboundPolicy.from_settings(settings)
    http = outbound_client(outbound, timeout=httpx.Timeout(30.0, connect=10.0), follow_redirects=False)
    sources = SourceService(
        pool=pool,
        ingest=service,
        box=box,
        client=http,
        outbound=outbound,
        webhook_tolerance=timedelta(seconds=settings.webhook_tolerance_seconds),
        webhook_retention=timedelta(days=settings.webhook_replay_retention_days),
    )
    imports = ImportService(
        pool=pool, ingest=service, max_bytes=settings.max_import_bytes, spool_dir=settings.import_spool_dir,
    )  # fmt: skip
    await imports.fail_stale()
    server = GrpcServer.for_service(
        settings,
        port=settings.ingest_port,
        service_names=[ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name],
        auth=grpc_auth.GrpcAuth.from_settings(settings, pool),
        metrics=metrics,
    )
    ingest_pb2_grpc.add_IngestServiceServicer_to_server(IngestServicer(service, imports=imports, sources=sources), server.server)
    await server.start()
    # NOTE: reviews are accepted as soon as the database is ready; the bus may come later and
    # the outbox holds their events until it does.
    await server.set_serving()
    relay_task = asyncio.create_task(
        outbox.relay_when_bus_ready(
            pool=pool, connect=functools.partial(_connect_bus, settings, metrics), channel=reviews_repository.OUTBOX_CHANNEL,
            batch=settings.outbox_batch, poll_seconds=settings.outbox_poll_seconds, stop=stop,
            metrics=metrics, sample_seconds=settings.metrics_sample_seconds, history_suffix=topology.HISTORY_SUFFIX,
        ),
        name="outbox-relay",
    )
    scheduler_task = asyncio.create_task(sources.run_scheduler(stop, tick_seconds=settings.source_tick_seconds), name="source-scheduler")
    try:
        await stop.wait()
    finally:
        await server.stop(settings.grpc_grace_seconds)
        stop.set()
        await imports.close()
        for task in (scheduler_task, relay_task):
            task.cancel()
        await asyncio.gather(scheduler_task, relay_task, return_exceptions=True)
        await http.aclose()
        metrics.close()
        await pool.close()


async def _connect_bus(settings: Settings, metrics: Metrics) -> Bus:
    return await Bus.connect(
        settings.nats_url, name="ingest", duplicate_window_seconds=settings.bus_duplicate_window_seconds,
        connect_timeout=float("inf"), stream_replicas=settings.bus_stream_replicas,
        publish_retry_seconds=settings.bus_publish_retry_seconds, metrics=metrics,
    )
