"""Webhook calls from platforms: signature and freshness checks, then the reviews they carry.

Pure functions, no database: `verify` says whether a call is authentic and fresh and returns the
digest the caller records against replays; `parse` turns the verified body into reviews to store
and platform ids to mark removed.

Styles (HMAC-SHA256 with the source's secret, over the raw body, compared in constant time):
  shopify     `X-Shopify-Hmac-Sha256`: base64 of the HMAC of the body (Shopify's scheme). Shopify
              does not sign `X-Shopify-Triggered-At`, so freshness comes from the signed body's
              `updated_at` (as for Judge.me): a captured call replayed with a fresh header is still
              stale. The body is a Shopify review app's review (`{"review": {...}}` in Judge.me's
              format); `X-Shopify-Topic: reviews/delete` removes.
  judgeme     `JUDGEME-HMAC-SHA256`: the HMAC of the body, hex (base64 accepted too), as Judge.me signs
              with the OAuth app secret or private API token. Judge.me sends no timestamp header, so
              freshness comes from the signed body's `updated_at`. A `hidden` review is removed.
  trustpilot  Trustpilot's payload (`{"events": [{"eventName": "service-review-created" | -updated |
              -deleted, "eventData": {...}}]}`) with a timestamped signature
              `X-Trustpilot-Signature: t=<unix seconds>,v1=<hex HMAC of "<t>.<body>">`, so the time is
              signed too. NOTE: this header scheme is ours (Stripe-like); Trustpilot's subscription
              settings must be pointed at a relay that signs this way.
A call is refused when unsigned, wrongly signed, older or newer than the tolerance, or when its
signature was accepted before (a replay; the caller keeps accepted digests longer than the
tolerance). Every style's time is covered by its signature, so no replay passes: within the
tolerance its digest is known, past it the signed time is stale.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import grpc

from libs.errors import DomainError, FieldViolation, InvalidArgument
from reviewguard.ingest.v1 import review_pb2
from services.ingest.connectors.http import parse_timestamp
from services.ingest.connectors.judgeme import JudgeMeConfig, JudgeMeConnector
from services.ingest.connectors.trustpilot import TrustpilotConfig, TrustpilotConnector

KINDS = ("shopify", "judgeme", "trustpilot")


class Unauthenticated(DomainError):
    """A webhook call that is not provably from the platform, or not fresh: refused, nothing stored."""

    grpc_code = grpc.StatusCode.UNAUTHENTICATED
    http_status = 401


_SIGNATURE_HEADERS = {"shopify": "X-Shopify-Hmac-Sha256", "judgeme": "JUDGEME-HMAC-SHA256", "trustpilot": "X-Trustpilot-Signature"}


def not_authentic(kind: str) -> Unauthenticated:
    """The one answer for an unknown source and for a missing or wrong signature: until the signature
    proves the sender, the endpoint does not reveal which source ids exist (the header named comes
    from the URL's kind, not from the source)."""
    header = _SIGNATURE_HEADERS.get(kind, "signature")
    return Unauthenticated(f"unknown webhook source, or the {header} header is missing or does not match the source's secret")


@dataclass(frozen=True)
class Verified:
    """An authentic, fresh call; `digest` identifies it for replay detection."""

    digest: bytes
    sent_at: datetime


@dataclass
class Delivery:
    reviews: list[review_pb2.Review] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def sign(kind: str, secret: str, body: bytes, *, at: datetime | None = None) -> dict[str, str]:
    """The headers a platform of this style sends (tests, and relays that sign for Trustpilot)."""
    at = at or datetime.now(timezone.utc)
    key = secret.encode()
    if kind == "shopify":
        mac = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
        return {"x-shopify-hmac-sha256": mac, "x-shopify-triggered-at": at.isoformat()}
    if kind == "judgeme":
        return {"judgeme-hmac-sha256": hmac.new(key, body, hashlib.sha256).hexdigest()}
    if kind == "trustpilot":
        t = str(int(at.timestamp()))
        mac = hmac.new(key, t.encode() + b"." + body, hashlib.sha256).hexdigest()
        return {"x-trustpilot-signature": f"t={t},v1={mac}"}
    raise ValueError(f"no webhook style for {kind!r}")


def _decode_mac(value: str) -> bytes | None:
    value = value.strip()
    try:
        return bytes.fromhex(value) if len(value) == 64 else base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        return None


def verify(kind: str, secret: str, body: bytes, headers: dict[str, str], *, now: datetime, tolerance: timedelta) -> Verified:
    """Checks signature and freshness; Unauthenticated saying why (never echoing a secret)."""
    headers = {k.lower(): v for k, v in headers.items()}
    key = secret.encode()
    if kind == "shopify":
        given, signed, sent = headers.get("x-shopify-hmac-sha256"), body, None
    elif kind == "judgeme":
        given, signed, sent = headers.get("judgeme-hmac-sha256"), body, None
    elif kind == "trustpilot":
        parts = dict(p.split("=", 1) for p in headers.get("x-trustpilot-signature", "").split(",") if "=" in p)
        given, sent = parts.get("v1"), parts.get("t")
        signed = (sent or "").encode() + b"." + body
    else:
        raise Unauthenticated(f"{kind} sources take no webhooks")
    mac = _decode_mac(given) if given else None
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    if mac is None or not hmac.compare_digest(mac, expected):
        raise not_authentic(kind)
    if kind in ("judgeme", "shopify"):
        sent = _signed_body_time(body)
    sent_at = _parse_time(sent, kind)
    if abs(now - sent_at) > tolerance:
        raise Unauthenticated(
            f"the webhook was sent at {sent_at.isoformat()}, outside the {int(tolerance.total_seconds())}s tolerance: refused as a replay"
        )
    return Verified(digest=hashlib.sha256(expected).digest(), sent_at=sent_at)


def _signed_body_time(body: bytes) -> str | None:
    """The review's own time in a signed Judge.me-format body: the signature covers it."""
    try:
        data = json.loads(body)
        review = data.get("review", data) if isinstance(data, dict) else {}
        return review.get("updated_at") or review.get("created_at")
    except (ValueError, AttributeError):
        return None


def _parse_time(value: str | None, kind: str) -> datetime:
    if not value:
        raise Unauthenticated(f"the {kind} webhook carries no time, so its freshness cannot be checked")
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value), tz=timezone.utc)
        return parse_timestamp(value)
    except (ValueError, OverflowError):
        raise Unauthenticated(f"the {kind} webhook's time {value[:40]!r} is not a timestamp") from None


def parse(kind: str, settings: dict[str, Any], body: bytes, headers: dict[str, str]) -> Delivery:
    """The reviews a verified call carries; InvalidArgument naming what is wrong with the body."""
    headers = {k.lower(): v for k, v in headers.items()}
    try:
        data = json.loads(body)
    except ValueError as error:
        raise InvalidArgument("the webhook body is not JSON", [FieldViolation("body", str(error))]) from None
    delivery = Delivery()
    try:
        if kind in ("shopify", "judgeme"):
            mapper = JudgeMeConnector(
                JudgeMeConfig(shop_domain=settings.get("shop_domain") or "shop.invalid", api_token="-", marketplace=settings["marketplace"]),
                client=None,
            )
            item = data.get("review", data) if isinstance(data, dict) else None
            if not isinstance(item, dict):
                raise ValueError("expected a review object")
            removed = headers.get("x-shopify-topic", "").endswith("delete") or bool(item.get("hidden"))
            if removed:
                delivery.removed.append(f"judgeme:{item['id']}")
            else:
                delivery.reviews.append(mapper.review_from(item))
        elif kind == "trustpilot":
            mapper = TrustpilotConnector(
                TrustpilotConfig(business_unit_id=settings["business_unit_id"], api_key="-", marketplace=settings.get("marketplace") or "trustpilot.com"),
                client=None,
            )
            events = data.get("events") if isinstance(data, dict) else None
            if not isinstance(events, list) or not events:
                raise ValueError("expected a non-empty events list")
            for i, event in enumerate(events):
                name, item = event.get("eventName", ""), event.get("eventData") or {}
                if name == "service-review-deleted":
                    delivery.removed.append(str(item["id"]))
                elif name in ("service-review-created", "service-review-updated"):
                    consumer = item.get("consumer") or {}
                    if "displayName" not in consumer and "name" in consumer:
                        item = {**item, "consumer": {**consumer, "displayName": consumer["name"]}}
                    delivery.reviews.append(mapper.review_from(item))
                else:
                    raise ValueError(f"events[{i}]: unknown eventName {name!r}")
        else:
            raise ValueError(f"{kind} sources take no webhooks")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InvalidArgument(f"the {kind} webhook body cannot be read: {error}", [FieldViolation("body", str(error))]) from None
    return delivery
