"""gRPC client channels with trace propagation, created in a wiring root and closed there."""

from __future__ import annotations

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from libs.settings import Settings

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


def channel_credentials(settings: Settings) -> grpc.ChannelCredentials | None:
    """mTLS credentials of an internal channel (the CA checks the server; the pair names us), or None."""
    if not settings.grpc_tls_enabled():
        return None
    return grpc.ssl_channel_credentials(
        root_certificates=settings.grpc_tls_ca_file.read_bytes(),
        private_key=settings.grpc_tls_key_file.read_bytes(),
        certificate_chain=settings.grpc_tls_cert_file.read_bytes(),
    )


def open_channel(
    target: str,
    *,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    token: str | None = None,
    credentials: grpc.ChannelCredentials | None = None,
    server_name: str = "",
) -> grpc.aio.Channel:
    """A channel to a peer inside the cluster, carrying the trace context and, given one, a bearer
    token on every call; TLS with `credentials`, else plaintext."""
    from libs.grpc_auth import bearer_interceptors

    options = [*_CHANNEL_OPTIONS, *message_size_options(max_message_bytes)]
    interceptors = [*aio_client_interceptors(), *(bearer_interceptors(token) if token else [])]
    if credentials is None:
        return grpc.aio.insecure_channel(target, options=options, interceptors=interceptors)
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    return grpc.aio.secure_channel(target, credentials, options=options, interceptors=interceptors)


def open_peer_channel(settings: Settings, service: str, *, token: str | None = None) -> grpc.aio.Channel:
    """The channel a wiring root opens to one backend: its target, message limit, mTLS when configured,
    and the service token (or `token`, e.g. the CLI's local one)."""
    if token is None and settings.grpc_service_token is not None:
        token = settings.grpc_service_token.get_secret_value()
    return open_channel(
        settings.grpc_target(service),
        max_message_bytes=settings.grpc_message_limit(),
        token=token,
        credentials=channel_credentials(settings),
        server_name=settings.grpc_tls_server_name,
    )
