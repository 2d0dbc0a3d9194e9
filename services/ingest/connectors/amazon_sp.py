"""Amazon's own "Request a Review" for one order, through the Selling Partner API's Solicitations API.

Follows developer-docs.amazon.com/sp-api/docs/solicitations-api-v1-reference:
- `GET /solicitations/v1/orders/{amazonOrderId}?marketplaceIds=...` (getSolicitationActionsForOrder)
  answers `{"_links": {"actions": [{"href", "name"}], "self"}, "_embedded": {"actions": [...]}}`; an
  action named `productReviewAndSellerFeedback` is listed only while Amazon would take the request
  (once per order, between 5 and 30 days after delivery);
- `POST /solicitations/v1/orders/{amazonOrderId}/solicitations/productReviewAndSellerFeedback?marketplaceIds=...`
  (createProductReviewAndSellerFeedbackSolicitation) answers 201 with `{}`; errors carry
  `{"errors": [{"code", "message", "details"}]}` (403 Unauthorized, 429 QuotaExceeded, ...).
- Both are limited to 1 request a second with a burst of 5 per selling partner and application.
Calls carry `x-amz-access-token`, a Login with Amazon token (developer-docs.amazon.com/sp-api/docs/
connecting-to-the-selling-partner-api): `POST https://api.amazon.com/auth/o2/token` with the form
`grant_type=refresh_token&refresh_token&client_id&client_secret`, answering `access_token` and
`expires_in`; a revoked authorisation answers 400 `{"error": "invalid_grant"}`.
Marketplace ids follow developer-docs.amazon.com/sp-api/docs/marketplace-ids.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from pydantic import BaseModel, Field, SecretStr

from services.ingest.connectors.errors import BadResponse, CredentialsRejected, RequestRejected
from services.ingest.connectors.http import RetryPolicy, grant_token, send
from services.ingest.connectors.pacing import Pacer

log = logging.getLogger(__name__)

SOURCE = "amazon_sp"
ACTION = "productReviewAndSellerFeedback"
# Amazon takes the request from the 5th to the 30th day after delivery.
WINDOW = (timedelta(days=5), timedelta(days=30))
# NOTE: the documented rate of both Solicitations operations; one pacer per credential holds it.
RATE_PER_SECOND, BURST = 1.0, 5
MARKETPLACE_IDS = {
    "US": "ATVPDKIKX0DER", "CA": "A2EUQ1WTGCTBG2", "MX": "A1AM78C64UM0Y8", "BR": "A2Q3Y263D00KWC",
    "UK": "A1F83G8C2ARO7P", "GB": "A1F83G8C2ARO7P", "DE": "A1PA6795UKMFR9", "FR": "A13V1IB3VIYZZH", "IT": "APJ6JRA9NG5V4",
    "ES": "A1RKKUPIHCS9HS", "NL": "A1805IZSGTT6HS", "SE": "A2NODRKZP88ZB9", "PL": "A1C3SOZRARQ6R3", "BE": "AMEN7PMS3EDWL",
    "TR": "A33AVAJ2PDY3EV", "EG": "ARBP9OOSHTCHU", "SA": "A17E79C6D8DWNP", "AE": "A2VIGQ35RCS4UG", "IN": "A21TJRUUN4KGV",
    "JP": "A1VC38T7YXB528", "AU": "A39IBJ37TRP1C6", "SG": "A19VAU5U5O7RUS",
}  # fmt: skip
# The regional endpoint serving each marketplace (developer-docs.amazon.com/sp-api/docs/sp-api-endpoints).
REGIONS = {
    **dict.fromkeys(("US", "CA", "MX", "BR"), "na"),
    **dict.fromkeys(("UK", "GB", "DE", "FR", "IT", "ES", "NL", "SE", "PL", "BE", "TR", "EG", "SA", "AE", "IN"), "eu"),
    **dict.fromkeys(("JP", "AU", "SG"), "fe"),
}
_ORDER_ID = re.compile(r"^[0-9]{3}-[0-9]{7}-[0-9]{7}$")


class AmazonSpConfig(BaseModel):
    """One seller's SP-API authorisation. The LWA client secret and refresh token are SecretStr."""

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    refresh_token: SecretStr
    # The regional endpoint of the seller's marketplaces (-na, -eu or -fe).
    base_url: str = "https://sellingpartnerapi-eu.amazon.com"
    token_url: str = "https://api.amazon.com/auth/o2/token"


def serves(config: AmazonSpConfig, marketplace: str) -> bool:
    """Whether the authorisation's endpoint is the region of `marketplace` (sellingpartnerapi-na/-eu/-fe)."""
    region = REGIONS.get(marketplace.upper())
    return region is not None and f"sellingpartnerapi-{region}." in config.base_url


@dataclass(frozen=True)
class Solicitation:
    """What became of one order's request: sent, or refused with the reason (not_before: not yet)."""

    sent: bool
    reason: str = ""
    platform_request_id: str = ""
    not_before: datetime | None = None


class AmazonSolicitations:
    """The Solicitations client of one seller's authorisation."""

    platform = "amazon"

    def __init__(self, config: AmazonSpConfig, *, client: httpx.AsyncClient, retry: RetryPolicy = RetryPolicy(), pacer: Pacer | None = None) -> None:
        self._config = config
        self._client = client
        self._retry = retry
        self._pacer = pacer or Pacer(rate=RATE_PER_SECOND, burst=BURST)
        self._access_token: str | None = None

    async def _token(self, *, renew: bool = False) -> str:
        if self._access_token and not renew:
            return self._access_token
        config = self._config
        form = {
            "grant_type": "refresh_token", "refresh_token": config.refresh_token.get_secret_value(),
            "client_id": config.client_id, "client_secret": config.client_secret.get_secret_value(),
        }
        self._access_token = await grant_token(
            self._client, config.token_url, form, source=SOURCE, policy=self._retry,
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8", "Accept": "application/json"},
            secrets=[form["refresh_token"], form["client_secret"]],
            refused="Login with Amazon refused the refresh token", advice="authorise the app in Seller Central again",
        )
        return self._access_token

    async def _call(self, method: str, path: str, marketplace_id: str) -> httpx.Response:
        """One paced call; an access token refused before its hour is up is renewed once."""
        url = f"{self._config.base_url.rstrip('/')}{path}"
        for renew in (False, True):
            token = await self._token(renew=renew)
            await self._pacer.wait()
            try:
                return await send(
                    self._client, method, url, source=SOURCE, policy=self._retry, params={"marketplaceIds": marketplace_id},
                    headers={"x-amz-access-token": token, "Accept": "application/json"}, secrets=[token],
                )
            except CredentialsRejected:
                if renew:
                    raise
        raise AssertionError("unreachable")

    async def request_review(self, order_id: str, *, marketplace: str, delivered_at: datetime, now: datetime) -> Solicitation:
        """Asks Amazon to send its review request for one order, unless the order is outside the window.

        Outside 5–30 days after delivery nothing is sent: too early answers `not_before`, too late a
        refusal. Amazon not offering the action (requested already, or not eligible) is a refusal too.
        Raises CredentialsRejected, RequestRejected (a refused request) or SourceUnavailable.
        """
        if not _ORDER_ID.match(order_id):
            return Solicitation(sent=False, reason=f"{order_id!r} is not an Amazon order id (3-7-7 digits)")
        marketplace_id = MARKETPLACE_IDS.get(marketplace.upper())
        if marketplace_id is None:
            return Solicitation(sent=False, reason=f"marketplace {marketplace!r} has no Amazon marketplace id")
        opens, closes = delivered_at + WINDOW[0], delivered_at + WINDOW[1]
        if now < opens:
            return Solicitation(sent=False, reason=f"Amazon takes review requests from 5 days after delivery ({opens:%Y-%m-%d %H:%M} UTC)", not_before=opens)
        if now > closes:
            return Solicitation(sent=False, reason=f"more than 30 days after delivery (the window closed {closes:%Y-%m-%d %H:%M} UTC)")
        actions = await self._call("GET", f"/solicitations/v1/orders/{order_id}", marketplace_id)
        try:
            links = actions.json()["_links"].get("actions") or []
            names = {link.get("name") for link in links if isinstance(link, dict)}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise BadResponse(f"{SOURCE}: the actions of order {order_id} are not in the documented format", source=SOURCE) from None
        if ACTION not in names:
            return Solicitation(sent=False, reason="Amazon offers no review request for this order (already requested, or not eligible)")
        await self._call("POST", f"/solicitations/v1/orders/{order_id}/solicitations/{ACTION}", marketplace_id)
        log.info("%s: review requested for order %s", SOURCE, order_id)
        return Solicitation(sent=True, platform_request_id=f"{order_id}/{ACTION}")
