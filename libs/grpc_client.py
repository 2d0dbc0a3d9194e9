"""gRPC client channels with trace propagation, created in a wiring root and closed there."""

from __future__ import annotations

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

# The default message limit (Settings.grpc_max_message_bytes); wiring roots pass
# Settings.grpc_message_limit(), which also covers the gateway's HTTP body limit.
DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024

# NOTE: reconnect quickly after a peer restarts (the default backoff grows to 2 minutes).
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
]


def message_size_options(max_bytes: int) -> list[tuple[str, int]]:
    """gRPC options for the largest message sent and received (the same for channels and servers)."""
    return [("grpc.max_receive_message_length", max_bytes), ("grpc.max_send_message_length", max_bytes)]


def open_channel(target: str, *, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> grpc.aio.Channel:
    """An insecure channel to a peer inside the cluster, carrying the trace context."""
    return grpc.aio.insecure_channel(
        target, options=[*_CHANNEL_OPTIONS, *message_size_options(max_message_bytes)], interceptors=aio_client_interceptors()
    )
