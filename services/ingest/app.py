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
from libs.token_bucket import TokenBuckets
from reviewguard.events.v1 import events_pb2
from reviewguard.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from services.ingest.grpc_api import IngestServicer
from services.ingest.import_jobs import ImportService
from services.ingest.metrics import IngestMetrics
from services.ingest.models import Limits
from services.ingest.replies.service import ReplyPublisher
from services.ingest.requests.service import ReviewRequestSender
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
    own = settings.ingest
    service = IngestService(
        pool=pool,
        limits=Limits(max_title_chars=own.max_title_chars, max_body_chars=own.max_body_chars),
        max_batch=own.max_reviews_per_request,
        metrics=IngestMetrics(metrics.registry),
        history_age=timedelta(days=own.ingest_history_age_days),
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
        webhook_tolerance=timedelta(seconds=own.webhook_tolerance_seconds),
        webhook_retention=timedelta(days=own.webhook_replay_retention_days),
    )
    imports = ImportService(
        pool=pool, ingest=service, max_bytes=own.max_import_bytes, spool_dir=own.import_spool_dir,
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
    # NOTE: reply calls take tokens of the credential's bucket shared by every ingest replica (libs/token_bucket.py);
    # a wait longer than two minutes hands the request back to the bus (redelivered later) well inside its ack wait.
    publisher = ReplyPublisher(pool=pool, box=box, client=http, buckets=TokenBuckets(pool, max_wait_seconds=REPLY_BUCKET_MAX_WAIT_SECONDS))
    requests = ReviewRequestSender(pool=pool, box=box, client=http)
    replies_task = asyncio.create_task(_send_to_platforms(settings, metrics, stop, publisher=publisher, requests=requests), name="platform-senders")
    scheduler_task = asyncio.create_task(sources.run_scheduler(stop, tick_seconds=own.source_tick_seconds), name="source-scheduler")
    try:
        await stop.wait()
    finally:
        await server.stop(settings.grpc_grace_seconds)
        stop.set()
        await imports.close()
        for task in (scheduler_task, replies_task, relay_task):
            task.cancel()
        await asyncio.gather(scheduler_task, replies_task, relay_task, return_exceptions=True)
        await http.aclose()
        metrics.close()
        await pool.close()


async def _connect_bus(settings: Settings, metrics: Metrics) -> Bus:
    return await Bus.connect(
        settings.nats_url, name="ingest", duplicate_window_seconds=settings.bus_duplicate_window_seconds,
        connect_timeout=float("inf"), stream_replicas=settings.bus_stream_replicas,
        publish_retry_seconds=settings.bus_publish_retry_seconds, metrics=metrics,
    )


# NOTE: a reply (or review) request outlives a long platform outage: redelivered with the bus's
# growing delay (capped at a minute) for about an hour before the DLQ; and its ack wait covers the
# connector's own retries, Retry-After waits included (RetryPolicy: 5 tries, up to 120 s each).
REPLY_MAX_DELIVER = 60
REPLY_ACK_WAIT_SECONDS = 900.0
REPLY_BUCKET_MAX_WAIT_SECONDS = 120.0


async def _send_to_platforms(
    settings: Settings, metrics: Metrics, stop: asyncio.Event, *, publisher: ReplyPublisher, requests: ReviewRequestSender
) -> None:
    """Consumes `replies.publish_requested` and `review_requests.send_requested` once the bus is up
    (ingest serves without it meanwhile)."""
    bus = await _connect_bus(settings, metrics)
    try:
        await bus.ensure_streams_when_ready(stop)
        tasks = bus.start_consumer(
            stream=topology.REPLIES.name, durable="ingest-replies", subject=topology.REPLY_PUBLISH_REQUESTED,
            message_type=events_pb2.ReplyPublishRequested, handler=publisher.handle, stop=stop, batch=8,
            max_deliver=REPLY_MAX_DELIVER, ack_wait_seconds=REPLY_ACK_WAIT_SECONDS,
        )
        tasks += bus.start_consumer(
            stream=topology.REVIEW_REQUESTS.name, durable="ingest-review-requests", subject=topology.REVIEW_REQUEST_SEND_REQUESTED,
            message_type=events_pb2.ReviewRequestSendRequested, handler=requests.handle, stop=stop, batch=8,
            max_deliver=REPLY_MAX_DELIVER, ack_wait_seconds=REPLY_ACK_WAIT_SECONDS,
        )
        await asyncio.gather(*tasks)
    finally:
        await bus.close()
