"""gRPC client channels with trace propagation, created in a wiring root and closed there."""

from __future__ import annotations

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

# NOTE: reconnect quickly after a peer restarts (the default backoff grows to 2 minutes).
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.max_receive_message_length", 32 * 1024 * 1024),
    ("grpc.max_send_message_length", 32 * 1024 * 1024),
]


def open_channel(target: str) -> grpc.aio.Channel:
    """An insecure channel to a peer inside the cluster, carrying the trace context."""
    return grpc.aio.insecure_channel(target, options=_CHANNEL_OPTIONS, interceptors=aio_client_interceptors())
