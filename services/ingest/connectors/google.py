"""Google reviews of one Business Profile location, and the owner's replies to them.

Follows developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews:
- `list`: `GET https://mybusiness.googleapis.com/v4/accounts/{accountId}/locations/{locationId}/reviews`
  with `pageSize` (at most 50), `pageToken` and `orderBy` (`updateTime desc`, the default). The body is
  `{"reviews": [...], "averageRating", "totalReviewCount", "nextPageToken"}`; each review has `name`,
  `reviewId`, `reviewer {displayName, profilePhotoUrl, isAnonymous}`, `starRating`
  (`STAR_RATING_UNSPECIFIED`, `ONE` .. `FIVE`), `comment`, `createTime`, `updateTime` and, once the
  owner answered, `reviewReply {comment, updateTime}`.
- `updateReply`: `PUT .../reviews/{reviewId}/reply` with `{"comment": ...}`, answering the ReviewReply;
  `deleteReply`: `DELETE .../reviews/{reviewId}/reply`, an empty answer. Verified locations only.
- Errors are `{"error": {"code", "message", "status"}}`; quota is 300 requests a minute per project.

OAuth 2.0 follows developers.google.com/identity/protocols/oauth2/web-server ("Refreshing an access
token"): `POST https://oauth2.googleapis.com/token` with the form `client_id`, `client_secret`,
`refresh_token` and `grant_type=refresh_token`; the answer carries `access_token` and `expires_in`,
a revoked or expired grant answers 400 `{"error": "invalid_grant"}`. Scope `business.manage`.

Mapping: platform `google`; store_id and product_id are the location (reviews are about the place);
the review carries no language, so `language` comes from the source's settings when given (else the
NLP service detects it). A comment Google translated reads "(Translated by Google) ... (Original) ...":
the original is kept.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, Field, SecretStr

from reviewguard.ingest.v1 import review_pb2
from services.ingest.connectors.base import Cursor, Page, PlatformConnector, PublishedReply, RepliesTo, ReplyTarget, Skipped, credential_digest
from services.ingest.connectors.errors import BadResponse, CredentialsRejected, RequestRejected
from services.ingest.connectors.http import Limiter, RetryPolicy, grant_token, parse_timestamp, send
from services.ingest.connectors.pacing import Pacer

log = logging.getLogger(__name__)

SOURCE = "google"
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
_TRANSLATED, _ORIGINAL = "(Translated by Google)", "(Original)"
# NOTE: 300 requests a minute is Google's per-project quota; 5 a second keeps one client under it.
RATE_PER_SECOND, BURST = 5.0, 5


class GoogleConfig(BaseModel):
    """One Business Profile location. The OAuth client secret and refresh token are SecretStr."""

    account_id: str = Field(min_length=1, pattern=r"^[0-9]+$")
    location_id: str = Field(min_length=1, pattern=r"^[0-9]+$")
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    refresh_token: SecretStr
    marketplace: str = "google"
    language: str = Field(default="", pattern=r"^([a-z]{2,3}(-[A-Za-z0-9]+)?)?$")
    page_size: int = Field(default=50, ge=1, le=50)
    base_url: str = "https://mybusiness.googleapis.com"
    token_url: str = "https://oauth2.googleapis.com/token"


class GoogleConnector(PlatformConnector, RepliesTo):
    """Pages a location's reviews, most recently updated first, until they are older than `since`."""

    platform: ClassVar[str] = "google"
    _config: GoogleConfig

    def __init__(
        self, config: GoogleConfig, *, client: httpx.AsyncClient, retry: RetryPolicy = RetryPolicy(),
        limiter: Limiter | None = None, pacer: Pacer | None = None,
    ) -> None:  # fmt: skip
        super().__init__(config, client=client, retry=retry, limiter=limiter)
        self._pacer = pacer or Pacer(rate=RATE_PER_SECOND, burst=BURST)
        self._access_token: str | None = None

    def rate_key(self) -> str:
        # NOTE: Google counts queries per OAuth client (project); its digest names the bucket, never the secret.
        return credential_digest(self.platform, self._config.client_id)

    @property
    def _location(self) -> str:
        return f"accounts/{self._config.account_id}/locations/{self._config.location_id}"

    async def _token(self, *, renew: bool = False) -> str:
        """An access token from the refresh token: kept for this connector's life, fetched again when refused."""
        if self._access_token and not renew:
            return self._access_token
        config = self._config
        form = {
            "client_id": config.client_id, "client_secret": config.client_secret.get_secret_value(),
            "refresh_token": config.refresh_token.get_secret_value(), "grant_type": "refresh_token",
        }
        self._access_token = await grant_token(
            self._client, config.token_url, form, source=SOURCE, policy=self._retry,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            secrets=[form["client_secret"], form["refresh_token"]],
            # NOTE: 400 invalid_grant: the owner revoked access or the grant expired; only a new consent helps.
            refused="the refresh token was refused", advice="connect the Google account again",
        )
        return self._access_token

    async def _call(self, method: str, path: str, *, params: dict | None = None, body: dict | None = None) -> httpx.Response:
        """One API call, paced; an access token refused before its time is renewed once."""
        url = f"{self._config.base_url.rstrip('/')}/v4/{path}"
        for renew in (False, True):
            token = await self._token(renew=renew)
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            await self._pacer.wait()
            try:
                return await send(
                    self._client, method, url, source=SOURCE, policy=self._retry, params=params, headers=headers,
                    content=json.dumps(body).encode() if body is not None else None, secrets=[token],
                    limiter=self._limiter,
                )
            except CredentialsRejected:
                if renew:
                    raise
        raise AssertionError("unreachable")

    async def fetch_page(self, cursor: Cursor | None, *, since: datetime) -> Page:
        params: dict[str, str | int] = {"pageSize": self._config.page_size, "orderBy": "updateTime desc"}
        if cursor and cursor.get("page_token"):
            params["pageToken"] = str(cursor["page_token"])
        response = await self._call("GET", f"{self._location}/reviews", params=params)
        try:
            body = response.json()
            items = body.get("reviews") or []
            token = body.get("nextPageToken") or ""
            if not isinstance(items, list) or not isinstance(token, str):
                raise TypeError("reviews must be a list and nextPageToken a string")
        except (ValueError, AttributeError, TypeError) as error:
            raise BadResponse(f"{SOURCE}: a page of {self._location} is not a reviews list ({error})", source=SOURCE) from None

        reviews: list[review_pb2.Review] = []
        skipped: list[Skipped] = []
        reached_older = False
        for item in items:
            try:
                # NOTE: ordered by updateTime, so an edited old review comes again (ingest keeps its
                # history); once one was last touched before `since`, so were all after it.
                if parse_timestamp(item.get("updateTime") or item["createTime"]) < since:
                    reached_older = True
                    break
                reviews.append(self._to_review(item))
            except self.mapping_errors as error:
                skipped.append(Skipped(self._record_id(item), str(error)))
        next_cursor = {"page_token": token} if token and items and not reached_older else None
        log.debug("%s: %s gave %d reviews, %d skipped", SOURCE, self._location, len(reviews), len(skipped))
        return Page(reviews=reviews, next_cursor=next_cursor, skipped=skipped)

    def _record_id(self, item: Any) -> str:
        return str(item.get("reviewId", "?")) if isinstance(item, dict) else "?"

    def _to_review(self, item: dict) -> review_pb2.Review:
        rating = STARS.get(item["starRating"])
        if rating is None:
            raise ValueError(f"starRating must be ONE to FIVE, got {item['starRating']!r}")
        reviewer = item.get("reviewer") or {}
        review = review_pb2.Review(
            platform=self.platform,
            marketplace=self._config.marketplace,
            store_id=self._config.location_id,
            external_id=str(item["reviewId"]),
            product_id=self._config.location_id,
            reviewer=review_pb2.Reviewer(name="" if reviewer.get("isAnonymous") else str(reviewer.get("displayName") or "")),
            rating=rating,
            body=original_comment(str(item.get("comment") or "")),
            language=self._config.language,
            reply_state="replied" if item.get("reviewReply") else "none",
        )
        review.posted_at.FromDatetime(parse_timestamp(item["createTime"]))
        return review

    def _review_path(self, target: ReplyTarget) -> str:
        review_id = target.external_id
        if not review_id or not all(c.isalnum() or c in "-_" for c in review_id):
            raise RequestRejected(f"{SOURCE}: {review_id!r} is not a Google review id", source=SOURCE)
        return f"{self._location}/reviews/{review_id}"

    async def publish_reply(self, target: ReplyTarget, *, text: str, private: bool = False) -> PublishedReply:
        if private:
            raise RequestRejected(f"{SOURCE}: Google takes public replies only", source=SOURCE)
        path = self._review_path(target)
        await self._call("PUT", f"{path}/reply", body={"comment": text})
        return PublishedReply(platform_reply_id=path)

    async def delete_reply(self, target: ReplyTarget, *, private: bool = False) -> PublishedReply:
        path = self._review_path(target)
        await self._call("DELETE", f"{path}/reply")
        return PublishedReply(platform_reply_id=path)


def original_comment(comment: str) -> str:
    """The reviewer's own words of a comment Google may have machine-translated."""
    if _ORIGINAL in comment:
        return comment.split(_ORIGINAL, 1)[1].strip()
    if comment.startswith(_TRANSLATED):
        return comment.removeprefix(_TRANSLATED).strip()
    return comment.strip()
