"""Trustpilot service reviews of one business unit, from the public Business Units API.

Follows developers.trustpilot.com (Business Units API, "Get a business unit's reviews"):
`GET /v1/business-units/{businessUnitId}/reviews` with the `apikey` header, `perPage` (1-100),
`page` (1-based; past the end an empty list) and `orderBy=createdat.desc`. The body is
`{"reviews": [...], "links": [{"rel": "next-page", "href": ...}, ...]}`; each review has `id`, `stars`,
`title`, `text`, `language`, `createdAt`, `consumer {id, displayName}`, `isVerified` and, once the
business answered, `companyReply {text, createdAt}`.

Mapping: platform `trustpilot`; store_id and product_id are the business unit id (service reviews
are about the business, not a product); reply_state `replied` when `companyReply` is present.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, Field, SecretStr

from reviewguard.ingest.v1 import review_pb2
from services.ingest.connectors.base import Cursor, Page, PlatformConnector
from services.ingest.connectors.errors import BadResponse
from services.ingest.connectors.http import parse_timestamp, send

log = logging.getLogger(__name__)

SOURCE = "trustpilot"


class TrustpilotConfig(BaseModel):
    """One Trustpilot source. The API key is a SecretStr: it is sent in a header and never printed."""

    business_unit_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    api_key: SecretStr
    marketplace: str = "trustpilot.com"
    per_page: int = Field(default=100, ge=1, le=100)
    base_url: str = "https://api.trustpilot.com"


class TrustpilotConnector(PlatformConnector):
    """Pages a business unit's reviews newest first until they are older than `since`."""

    platform: ClassVar[str] = "trustpilot"
    _config: TrustpilotConfig

    async def fetch_page(self, cursor: Cursor | None, *, since: datetime) -> Page:
        page_number = int((cursor or {}).get("page", 1))
        config = self._config
        api_key = config.api_key.get_secret_value()
        response = await send(
            self._client,
            "GET",
            f"{config.base_url.rstrip('/')}/v1/business-units/{config.business_unit_id}/reviews",
            source=SOURCE,
            policy=self._retry,
            params={"perPage": config.per_page, "page": page_number, "orderBy": "createdat.desc"},
            headers={"apikey": api_key, "Accept": "application/json"},
            secrets=[api_key],
        )
        try:
            body = response.json()
            items = body["reviews"]
            links = body.get("links") or []
            if not isinstance(items, list) or not isinstance(links, list):
                raise TypeError("reviews and links must be lists")
        except (ValueError, KeyError, TypeError) as error:
            raise BadResponse(f"{SOURCE}: page {page_number} is not a reviews list ({error})", source=SOURCE) from None

        reviews, skipped, older = self._map(items, since=since)
        # NOTE: ordered createdat.desc, so once one review is older everything after it is too.
        reached_older = older > 0
        has_next = any(isinstance(link, dict) and link.get("rel") == "next-page" for link in links)
        next_cursor = {"page": page_number + 1} if has_next and items and not reached_older else None
        log.debug("%s: page %d gave %d reviews, %d skipped", SOURCE, page_number, len(reviews), len(skipped))
        return Page(reviews=reviews, next_cursor=next_cursor, skipped=skipped)

    def _record_id(self, item) -> str:
        return str(item.get("id", "?")) if isinstance(item, dict) else "?"

    def _to_review(self, item: dict) -> review_pb2.Review:
        stars = item["stars"]
        if not isinstance(stars, int) or not 1 <= stars <= 5:
            raise ValueError(f"stars must be 1 to 5, got {stars!r}")
        consumer = item.get("consumer") or {}
        review = review_pb2.Review(
            platform=self.platform,
            marketplace=self._config.marketplace,
            store_id=self._config.business_unit_id,
            external_id=str(item["id"]),
            product_id=self._config.business_unit_id,
            reviewer=review_pb2.Reviewer(id=str(consumer.get("id") or ""), name=str(consumer.get("displayName") or "")),
            rating=stars,
            title=str(item.get("title") or ""),
            body=str(item.get("text") or ""),
            language=str(item.get("language") or ""),
            verified_purchase=bool(item.get("isVerified", False)),
            reply_state="replied" if item.get("companyReply") else "none",
        )
        review.posted_at.FromDatetime(parse_timestamp(item["createdAt"]))
        return review
