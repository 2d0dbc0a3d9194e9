"""Builds a connector from a stored source row: its kind and its (decrypted) settings dict."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from libs.errors import FieldViolation, InvalidArgument, violations_of
from services.ingest.connectors.amazon_sp import AmazonSpConfig
from services.ingest.connectors.base import Connector
from services.ingest.connectors.ebay import EbayConfig, EbayFeedbackConnector
from services.ingest.connectors.google import GoogleConfig, GoogleConnector
from services.ingest.connectors.http import Limiter, RetryPolicy
from services.ingest.connectors.judgeme import JudgeMeConfig, JudgeMeConnector
from services.ingest.connectors.trustpilot import TrustpilotConfig, TrustpilotConnector

# kind -> (settings model, connector class)
KINDS: dict[str, tuple[type[BaseModel], type]] = {
    "trustpilot": (TrustpilotConfig, TrustpilotConnector),
    "judgeme": (JudgeMeConfig, JudgeMeConnector),
    "ebay": (EbayConfig, EbayFeedbackConnector),
    "google": (GoogleConfig, GoogleConnector),
}

# kind -> settings model of sources that only send (review requests), with no reviews to pull.
SEND_KINDS: dict[str, type[BaseModel]] = {"amazon_sp": AmazonSpConfig}


def parse_config(kind: str, settings: dict[str, Any]) -> BaseModel:
    """The validated settings of a source kind; InvalidArgument naming each bad field (never its value)."""
    if kind not in KINDS and kind not in SEND_KINDS:
        raise InvalidArgument(f"unknown source kind {kind!r}", [FieldViolation("kind", f"one of {sorted({*KINDS, *SEND_KINDS})}")])
    model = KINDS[kind][0] if kind in KINDS else SEND_KINDS[kind]
    try:
        return model.model_validate(settings)
    except ValidationError as error:
        raise InvalidArgument(f"invalid settings for a {kind} source", violations_of(error)) from None


def build_connector(
    kind: str, settings: dict[str, Any], *, client: httpx.AsyncClient, retry: RetryPolicy = RetryPolicy(), limiter: Limiter | None = None
) -> Connector:
    """A ready connector for one source row (with `limiter`, its reply calls share the credential's bucket)."""
    config = parse_config(kind, settings)
    if limiter is None:
        return KINDS[kind][1](config, client=client, retry=retry)
    return KINDS[kind][1](config, client=client, retry=retry, limiter=limiter)
