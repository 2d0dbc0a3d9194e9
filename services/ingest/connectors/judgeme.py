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

Replies follow judge.me/api/docs ("Replies" and "Private Replies"), with the same `api_token` and
`shop_domain` query parameters (an OAuth token needs the `write_replies` / `write_private_replies`
scopes): `POST /api/v1/replies` with `{"review_id", "send_reply_email", "reply": {"content"}}` puts
the shop's public reply on a review (shown on the widgets; one per review, a new one replaces it), and
`POST /api/v1/private_replies` with `{"review_id", "send_private_email", "private_reply":
{"email_subject", "email_body"}}` a private one (emailed to the reviewer, never shown). A review reads
back with `GET /api/v1/reviews/{id}`, its public `reply` included. Neither kind can be withdrawn through
the API, and a private reply cannot be read back.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import ClassVar

import httpx
from pydantic import BaseModel, Field, SecretStr

from reviewguard.ingest.v1 import review_pb2
from services.ingest.connectors.base import Cursor, Page, PlatformConnector, PublishedReply, RepliesTo, ReplyTarget, credential_digest
from services.ingest.connectors.errors import BadResponse, RequestRejected
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
    # Replies: whether Judge.me emails the reviewer, and the subject of a private reply's email.
    send_reply_email: bool = True
    private_reply_subject: str = Field(default="About your review", min_length=1, max_length=200)


class JudgeMeConnector(PlatformConnector, RepliesTo):
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

    async def _request(self, method: str, path: str, body: dict | None = None) -> httpx.Response:
        config = self._config
        token = config.api_token.get_secret_value()
        return await send(
            self._client, method, f"{config.base_url.rstrip('/')}{path}", source=SOURCE, policy=self._retry,
            params={"api_token": token, "shop_domain": config.shop_domain},
            headers={"Accept": "application/json", **({"Content-Type": "application/json"} if body is not None else {})},
            content=json.dumps(body).encode() if body is not None else None, secrets=[token], limiter=self._limiter,
        )

    async def publish_reply(self, target: ReplyTarget, *, text: str, private: bool = False) -> PublishedReply:
        review_id = _review_number(target.external_id)
        config = self._config
        if private:
            body = {"review_id": review_id, "send_private_email": True,
                    "private_reply": {"email_subject": config.private_reply_subject, "email_body": text}}  # fmt: skip
            await self._request("POST", "/api/v1/private_replies", body)
        else:
            body = {"review_id": review_id, "send_reply_email": config.send_reply_email, "reply": {"content": text}}
            await self._request("POST", "/api/v1/replies", body)
        return PublishedReply(platform_reply_id=target.external_id)

    def rate_key(self) -> str:
        return credential_digest(self.platform, self._config.api_token.get_secret_value())

    async def delete_reply(self, target: ReplyTarget, *, private: bool = False) -> PublishedReply:
        raise RequestRejected(f"{SOURCE}: Judge.me's API cannot withdraw a reply; hide it in the Judge.me admin", source=SOURCE)

    async def current_reply(self, target: ReplyTarget, *, private: bool = False) -> str | None:
        if private:
            # NOTE: an email may have gone out; sending it again would be a second email: a person decides.
            raise RequestRejected(
                f"{SOURCE}: an earlier try of this private reply may have been emailed and Judge.me cannot show it; "
                "check with the reviewer, then edit the reply to send it again", source=SOURCE,
            )  # fmt: skip
        response = await self._request("GET", f"/api/v1/reviews/{_review_number(target.external_id)}")
        try:
            body = response.json()
            review = body.get("review", body)
            reply = review.get("reply")
        except (ValueError, AttributeError):
            raise BadResponse(f"{SOURCE}: the review answer is not a review", source=SOURCE) from None
        if isinstance(reply, dict):
            reply = reply.get("content")
        return str(reply) if reply else None

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


def _review_number(external_id: str) -> int:
    """Judge.me's id of a review stored as `judgeme:<id>`; anything else is refused, not sent."""
    number = external_id.removeprefix("judgeme:")
    if not number.isdigit():
        raise RequestRejected(f"{SOURCE}: {external_id!r} is not a Judge.me review id", source=SOURCE)
    return int(number)
