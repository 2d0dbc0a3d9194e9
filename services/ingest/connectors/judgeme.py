"""Shopify product reviews collected by Judge.me, from its REST API.

Follows judge.me/api/docs ("Reviews: list reviews"): `GET /api/v1/reviews` with `api_token` and
`shop_domain` as query parameters, `page` (1-based) and `per_page`. The body is
`{"current_page", "per_page", "reviews": [...]}` with no total; a short or empty page is the last.
Each review has `id`, `title`, `body`, `rating`, `product_external_id`, `product_handle`,
`reviewer {id, name, email}`, `source`, `curated`, `published`, `hidden`, `verified` ("buyer" for a
verified purchase), `created_at`, `updated_at` and `pictures [{urls: {original, ...}, hidden}]`.
Reviews come newest first.

The token travels in the query string because that is the documented way; `send` redacts it from
every message and `guard_http_logs` from httpx's request log.

Mapping: platform `shopify`, store_id the shop domain, external_id `judgeme:<id>` (so another
Shopify review app's ids can never collide), product_id the Shopify product id (else the handle).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import ClassVar

import httpx
from pydantic import BaseModel, Field, SecretStr

from reviewguard.ingest.v1 import review_pb2
from services.ingest.connectors.base import Cursor, Page, PlatformConnector
from services.ingest.connectors.errors import BadResponse
from services.ingest.connectors.http import parse_timestamp, send

log = logging.getLogger(__name__)

SOURCE = "judgeme"


class JudgeMeConfig(BaseModel):
    """One Judge.me shop. The token is a SecretStr and is redacted wherever a URL is printed."""

    shop_domain: str = Field(min_length=3, pattern=r"^[A-Za-z0-9.-]+$")
    api_token: SecretStr
    marketplace: str = Field(min_length=1)
    per_page: int = Field(default=100, ge=1, le=100)
    base_url: str = "https://judge.me"


class JudgeMeConnector(PlatformConnector):
    """Pages a shop's reviews newest first until a whole page is older than `since`."""

    platform: ClassVar[str] = "shopify"
    _config: JudgeMeConfig

    async def fetch_page(self, cursor: Cursor | None, *, since: datetime) -> Page:
        page_number = int((cursor or {}).get("page", 1))
        config = self._config
        token = config.api_token.get_secret_value()
        response = await send(
            self._client,
            "GET",
            f"{config.base_url.rstrip('/')}/api/v1/reviews",
            source=SOURCE,
            policy=self._retry,
            params={"api_token": token, "shop_domain": config.shop_domain, "page": page_number, "per_page": config.per_page},
            headers={"Accept": "application/json"},
            secrets=[token],
        )
        try:
            items = response.json()["reviews"]
            if not isinstance(items, list):
                raise TypeError("reviews must be a list")
        except (ValueError, KeyError, TypeError) as error:
            raise BadResponse(f"{SOURCE}: page {page_number} is not a reviews list ({error})", source=SOURCE) from None

        reviews, skipped, older = self._map(items, since=since)
        # NOTE: stop only when the page is short or wholly older than `since`, so a slightly
        # out-of-order page (an edited review re-sorted) cannot end the run early.
        last_page = len(items) < config.per_page or (items and older == len(items) - len(skipped))
        next_cursor = None if last_page or not items else {"page": page_number + 1}
        log.debug("%s: page %d gave %d reviews, %d skipped", SOURCE, page_number, len(reviews), len(skipped))
        return Page(reviews=reviews, next_cursor=next_cursor, skipped=skipped)

    def _record_id(self, item) -> str:
        return f"judgeme:{item.get('id', '?')}" if isinstance(item, dict) else "?"

    def _to_review(self, item: dict) -> review_pb2.Review:
        rating = item["rating"]
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            raise ValueError(f"rating must be 1 to 5, got {rating!r}")
        reviewer = item.get("reviewer") or {}
        product = item.get("product_external_id") or item.get("product_handle")
        if not product:
            raise ValueError("no product_external_id or product_handle")
        media = [
            p["urls"]["original"]
            for p in item.get("pictures") or []
            if isinstance(p, dict) and not p.get("hidden") and (p.get("urls") or {}).get("original")
        ]
        review = review_pb2.Review(
            platform=self.platform,
            marketplace=self._config.marketplace,
            store_id=self._config.shop_domain,
            external_id=f"judgeme:{item['id']}",
            product_id=str(product),
            reviewer=review_pb2.Reviewer(id=str(reviewer.get("id") or ""), name=str(reviewer.get("name") or "")),
            rating=rating,
            title=str(item.get("title") or ""),
            body=str(item.get("body") or ""),
            verified_purchase=item.get("verified") == "buyer",
            media_urls=media,
            reply_state="replied" if item.get("reply") else "none",
        )
        review.posted_at.FromDatetime(parse_timestamp(item["created_at"]))
        return review
