"""Trustpilot service reviews of one business unit, from the public Business Units API.

Follows developers.trustpilot.com (Business Units API, "Get a business unit's reviews"):
`GET /v1/business-units/{businessUnitId}/reviews` with the `apikey` header, `perPage` (1-100),
`page` (1-based; past the end an empty list) and `orderBy=createdat.desc`. The body is
`{"reviews": [...], "links": [{"rel": "next-page", "href": ...}, ...]}`; each review has `id`, `stars`,
`title`, `text`, `language`, `createdAt`, `consumer {id, displayName}`, `isVerified` and, once the
business answered, `companyReply {text, createdAt}`.

Mapping: platform `trustpilot`; store_id and product_id are the business unit id (service reviews
are about the business, not a product); reply_state `replied` when `companyReply` is present.

Replies follow developers.trustpilot.com (Service Reviews API, private: "Reply to a review" and "Delete
reply"): `POST /v1/private/reviews/{reviewId}/reply` with `{"authorBusinessUserId", "message"}`
(201 Created, no body) and `DELETE /v1/private/reviews/{reviewId}/reply` (204), both with a business
user's OAuth bearer token. The token comes from the Authentication API ("Password grant" and "Refresh
access token"): `POST /v1/oauth/oauth-business-users-for-applications/accesstoken` with
`Authorization: Basic base64(api_key:api_secret)` and the form `grant_type=password&username&password`,
or `grant_type=refresh_token&refresh_token` at `.../refresh`; the answer carries `access_token`,
`refresh_token` and `expires_in`. A review holds one company reply: posting again replaces it.
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, Field, SecretStr

from reviewguard.ingest.v1 import review_pb2
from services.ingest.connectors.base import Cursor, Page, PlatformConnector, PublishedReply, RepliesTo, ReplyTarget, credential_digest
from services.ingest.connectors.errors import BadResponse, CredentialsRejected, RequestRejected
from services.ingest.connectors.http import grant_token, parse_timestamp, send

log = logging.getLogger(__name__)

SOURCE = "trustpilot"


class TrustpilotConfig(BaseModel):
    """One Trustpilot source. The API key is a SecretStr: it is sent in a header and never printed."""

    business_unit_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    api_key: SecretStr
    marketplace: str = "trustpilot.com"
    per_page: int = Field(default=100, ge=1, le=100)
    base_url: str = "https://api.trustpilot.com"
    # Business user OAuth, needed only to reply: the application's secret and a business user's login
    # (or a refresh token from an earlier login).
    api_secret: SecretStr | None = None
    username: str = ""
    password: SecretStr | None = None
    refresh_token: SecretStr | None = None
    business_user_id: str = ""


class TrustpilotConnector(PlatformConnector, RepliesTo):
    """Pages a business unit's reviews newest first until they are older than `since`."""

    platform: ClassVar[str] = "trustpilot"
    _config: TrustpilotConfig
    _access_token: str | None = None

    async def _token(self, *, renew: bool = False) -> str:
        """A business user's access token: kept for this connector's life, fetched again when refused."""
        if self._access_token and not renew:
            return self._access_token
        config = self._config
        if config.api_secret is None or not (config.refresh_token or (config.username and config.password)):
            raise CredentialsRejected(
                f"{SOURCE}: replying needs business OAuth: set api_secret and username/password (or refresh_token)", source=SOURCE
            )
        key, secret = config.api_key.get_secret_value(), config.api_secret.get_secret_value()
        basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
        url = f"{config.base_url.rstrip('/')}/v1/oauth/oauth-business-users-for-applications/accesstoken"
        if config.refresh_token is not None:
            form, url = {"grant_type": "refresh_token", "refresh_token": config.refresh_token.get_secret_value()}, url.removesuffix("accesstoken") + "refresh"
        else:
            form = {"grant_type": "password", "username": config.username, "password": config.password.get_secret_value()}
        secrets = [key, secret, basic, *(v for k, v in form.items() if k != "grant_type")]
        # NOTE: OAuth answers 400 invalid_grant for a revoked refresh token or a changed password.
        self._access_token = await grant_token(
            self._client, url, form, source=SOURCE, policy=self._retry, secrets=secrets,
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
            refused="the business login was refused", advice="sign in to Trustpilot again",
        )
        return self._access_token

    async def _private(self, method: str, path: str, body: bytes | None) -> None:
        """One call of the private API; a refused token (expired early) is renewed once."""
        url = f"{self._config.base_url.rstrip('/')}{path}"
        for renew in (False, True):
            token = await self._token(renew=renew)
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            try:
                await send(
                    self._client, method, url, source=SOURCE, policy=self._retry, headers=headers, content=body, secrets=[token],
                    limiter=self._limiter,
                )
                return
            except CredentialsRejected:
                if renew:
                    raise

    async def publish_reply(self, target: ReplyTarget, *, text: str, private: bool = False) -> PublishedReply:
        body = json.dumps({"authorBusinessUserId": self._config.business_user_id, "message": text}).encode()
        await self._private("POST", f"/v1/private/reviews/{_path_id(target.external_id)}/reply", body)
        return PublishedReply(platform_reply_id=target.external_id)

    async def delete_reply(self, target: ReplyTarget, *, private: bool = False) -> PublishedReply:
        await self._private("DELETE", f"/v1/private/reviews/{_path_id(target.external_id)}/reply", None)
        return PublishedReply(platform_reply_id=target.external_id)

    async def current_reply(self, target: ReplyTarget, *, private: bool = False) -> str | None:
        """`GET /v1/reviews/{reviewId}` (Service Reviews API, public, `apikey`): its `companyReply.text`."""
        api_key = self._config.api_key.get_secret_value()
        response = await send(
            self._client, "GET", f"{self._config.base_url.rstrip('/')}/v1/reviews/{_path_id(target.external_id)}", source=SOURCE,
            policy=self._retry, headers={"apikey": api_key, "Accept": "application/json"}, secrets=[api_key],
        )
        try:
            reply = response.json().get("companyReply") or {}
            return str(reply["text"]) if reply.get("text") is not None else None
        except (ValueError, AttributeError, TypeError):
            raise BadResponse(f"{SOURCE}: the review answer is not a review", source=SOURCE) from None

    def rate_key(self) -> str:
        # NOTE: Trustpilot counts calls per API key; its digest names the bucket, never the key.
        return credential_digest(self.platform, self._config.api_key.get_secret_value())

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


def _path_id(external_id: str) -> str:
    """A review id safe in a URL path (Trustpilot's are hex); anything else is refused, not sent."""
    if not external_id or not all(c.isalnum() or c in "-_" for c in external_id):
        raise RequestRejected(f"{SOURCE}: {external_id!r} is not a Trustpilot review id", source=SOURCE)
    return external_id
