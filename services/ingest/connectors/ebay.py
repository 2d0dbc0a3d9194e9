"""Buyer feedback a seller received on eBay, from the Trading API call GetFeedback.

Follows developer.ebay.com (Trading API reference, GetFeedback): XML POSTed to `/ws/api.dll` with
the headers X-EBAY-API-CALL-NAME, X-EBAY-API-SITEID, X-EBAY-API-COMPATIBILITY-LEVEL and
X-EBAY-API-IAF-TOKEN (an OAuth user token). The request asks for `DetailLevel` ReturnAll (needed for
per-entry details and pagination), `FeedbackType` FeedbackReceivedAsSeller, and a `Pagination` of
`EntriesPerPage` (at most 200) and `PageNumber`. The response carries `Ack` (Success, Warning,
Failure, PartialFailure), `Errors`, `FeedbackDetailArray/FeedbackDetail` entries (CommentingUser,
CommentText, CommentTime, CommentType, FeedbackID, ItemID, ItemTitle, OrderLineItemID, TransactionID,
FeedbackResponse) newest first, and `PaginationResult/TotalNumberOfPages`.

Mapping: eBay feedback has no stars, so CommentType becomes a rating: Positive 5, Neutral 3,
Negative 1; Withdrawn feedback is skipped. Feedback only exists for a purchase, so
verified_purchase is always true. marketplace is the site's country (site 77 is DE, ...). The
response is parsed with defusedxml: no DTDs, no external entities, no entity expansion bombs.

Replies follow the Trading API reference, RespondToFeedback
(developer.ebay.com/devzone/xml/docs/reference/ebay/RespondToFeedback.html): the same endpoint and
headers (X-EBAY-API-CALL-NAME RespondToFeedback), a `RespondToFeedbackRequest` with `FeedbackID`,
`ItemID`, `OrderLineItemID` (or `TransactionID`), `TargetUserID` (the buyer who left it),
`ResponseType` Reply and `ResponseText` of at most 80 characters; the answer is a
`RespondToFeedbackResponse` with `Ack` and `Errors`, and no id of its own (the reply is the
feedback's: its FeedbackID names it). eBay keeps a seller's reply as first posted: it can be neither
replaced nor withdrawn through the API. GetFeedback with a `FeedbackID` reads one entry back, its
`FeedbackResponse` the reply it shows.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import ClassVar
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

import defusedxml.ElementTree as safe_xml
import httpx
from defusedxml import DefusedXmlException
from pydantic import BaseModel, Field, SecretStr

from reviewguard.ingest.v1 import review_pb2
from services.ingest.connectors.base import Cursor, Page, PlatformConnector, PublishedReply, RepliesTo, ReplyTarget, credential_digest
from services.ingest.connectors.errors import BadResponse, CredentialsRejected, RequestRejected, SourceUnavailable
from services.ingest.connectors.http import Limiter, RetryPolicy, parse_timestamp, send

log = logging.getLogger(__name__)

SOURCE = "ebay"
_NS = "{urn:ebay:apis:eBLBaseComponents}"

RATING_BY_COMMENT_TYPE = {"Positive": 5, "Neutral": 3, "Negative": 1}

# Site ids of the Trading API and the marketplace each stands for.
MARKETPLACE_BY_SITE = {
    0: "US", 2: "CA", 3: "GB", 15: "AU", 16: "AT", 23: "BE", 71: "FR", 77: "DE", 100: "US",
    101: "IT", 123: "BE", 146: "NL", 186: "ES", 193: "CH", 201: "HK", 203: "IN", 205: "IE",
    207: "MY", 210: "CA", 211: "PH", 212: "PL", 216: "SG",
}  # fmt: skip

# Trading API error codes that mean the token is bad, expired or revoked.
_AUTH_ERRORS = frozenset({"931", "932", "16110", "17470", "21916984", "21917053"})
# "Call usage limit reached" and internal errors: worth trying again later.
_TRANSIENT_ERRORS = frozenset({"518", "10007", "21919144"})
# RespondToFeedback's ResponseText: "Max length: 80".
MAX_RESPONSE_CHARS = 80


class EbayConfig(BaseModel):
    """One eBay seller account on one site. The token is a SecretStr, sent only in its header."""

    token: SecretStr
    site_id: int = Field(default=0, ge=0)
    marketplace: str | None = None
    seller_user_id: str = ""
    compatibility_level: int = 1451
    entries_per_page: int = Field(default=200, ge=1, le=200)
    base_url: str = "https://api.ebay.com"


class EbayFeedbackConnector(PlatformConnector, RepliesTo):
    """Pages a seller's received feedback newest first until a whole page is older than `since`."""

    platform: ClassVar[str] = "ebay"
    # NOTE: a feedback entry is XML already parsed: only a missing or malformed value can fail it.
    mapping_errors = (KeyError, ValueError)
    _config: EbayConfig

    def __init__(self, config: EbayConfig, *, client: httpx.AsyncClient, retry: RetryPolicy = RetryPolicy(), limiter: Limiter | None = None) -> None:
        super().__init__(config, client=client, retry=retry, limiter=limiter)
        self._marketplace = config.marketplace or MARKETPLACE_BY_SITE.get(config.site_id, f"EBAY-{config.site_id}")

    def request_xml(self, page_number: int) -> bytes:
        """The GetFeedback request body for one page."""
        user = f"<UserID>{escape(self._config.seller_user_id)}</UserID>" if self._config.seller_user_id else ""
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<GetFeedbackRequest xmlns="urn:ebay:apis:eBLBaseComponents">'
            f"{user}<DetailLevel>ReturnAll</DetailLevel><FeedbackType>FeedbackReceivedAsSeller</FeedbackType>"
            f"<Pagination><EntriesPerPage>{self._config.entries_per_page}</EntriesPerPage>"
            f"<PageNumber>{page_number}</PageNumber></Pagination>"
            "</GetFeedbackRequest>"
        ).encode()

    async def _call(self, call: str, body: bytes, *, what: str, limited: bool = False) -> Element:
        """One Trading API call: its response root, Ack checked."""
        config = self._config
        token = config.token.get_secret_value()
        response = await send(
            self._client,
            "POST",
            f"{config.base_url.rstrip('/')}/ws/api.dll",
            source=SOURCE,
            policy=self._retry,
            headers={
                "X-EBAY-API-CALL-NAME": call,
                "X-EBAY-API-SITEID": str(config.site_id),
                "X-EBAY-API-COMPATIBILITY-LEVEL": str(config.compatibility_level),
                "X-EBAY-API-IAF-TOKEN": token,
                "Content-Type": "text/xml; charset=utf-8",
            },
            content=body,
            secrets=[token],
            limiter=self._limiter if limited else None,
        )
        root = self._parse(response.content, what, call=call)
        self._check_ack(root, call=call)
        return root

    async def fetch_page(self, cursor: Cursor | None, *, since: datetime) -> Page:
        page_number = int((cursor or {}).get("page", 1))
        root = await self._call("GetFeedback", self.request_xml(page_number), what=f"page {page_number}")

        entries = root.findall(f"{_NS}FeedbackDetailArray/{_NS}FeedbackDetail")
        reviews, skipped, older = self._map(entries, since=since)
        total_pages = int(_text(root, "PaginationResult/TotalNumberOfPages") or "0")
        wholly_older = bool(entries) and older == len(entries) - len(skipped)
        last_page = not entries or page_number >= total_pages or wholly_older
        next_cursor = None if last_page else {"page": page_number + 1}
        log.debug("%s: page %d of %d gave %d reviews, %d skipped", SOURCE, page_number, total_pages, len(reviews), len(skipped))
        return Page(reviews=reviews, next_cursor=next_cursor, skipped=skipped)

    def _record_id(self, item: Element) -> str:
        return _text(item, "FeedbackID") or "?"

    async def publish_reply(self, target: ReplyTarget, *, text: str, private: bool = False) -> PublishedReply:
        if private:
            raise RequestRejected(f"{SOURCE}: eBay has no private reply to feedback", source=SOURCE)
        if not text.strip() or len(text) > MAX_RESPONSE_CHARS:
            # NOTE: resolution refuses these before queueing (a 422); this guards any other caller.
            raise RequestRejected(f"{SOURCE}: a reply to feedback is 1 to {MAX_RESPONSE_CHARS} characters (has {len(text)})", source=SOURCE)
        await self._call("RespondToFeedback", self.respond_xml(target, text), what="the reply", limited=True)
        return PublishedReply(platform_reply_id=target.external_id)

    def rate_key(self) -> str:
        return credential_digest(self.platform, self._config.token.get_secret_value())

    async def delete_reply(self, target: ReplyTarget, *, private: bool = False) -> PublishedReply:
        raise RequestRejected(f"{SOURCE}: eBay keeps a reply to feedback; it cannot be withdrawn through the API", source=SOURCE)

    async def current_reply(self, target: ReplyTarget, *, private: bool = False) -> str | None:
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<GetFeedbackRequest xmlns="urn:ebay:apis:eBLBaseComponents">'
            f"<FeedbackID>{escape(target.external_id)}</FeedbackID><DetailLevel>ReturnAll</DetailLevel>"
            "</GetFeedbackRequest>"
        ).encode()
        root = await self._call("GetFeedback", body, what=f"feedback {target.external_id}", limited=True)
        entry = root.find(f"{_NS}FeedbackDetailArray/{_NS}FeedbackDetail")
        return (_text(entry, "FeedbackResponse") or None) if entry is not None else None

    @staticmethod
    def respond_xml(target: ReplyTarget, text: str) -> bytes:
        """The RespondToFeedback request body: the feedback, its item and order line, the buyer, the reply."""
        # NOTE: OrderLineItemID is "<ItemID>-<TransactionID>"; a bare number is a TransactionID.
        order = target.order_id
        line = f"<OrderLineItemID>{escape(order)}</OrderLineItemID>" if "-" in order else (f"<TransactionID>{escape(order)}</TransactionID>" if order else "")
        return (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<RespondToFeedbackRequest xmlns="urn:ebay:apis:eBLBaseComponents">'
            f"<FeedbackID>{escape(target.external_id)}</FeedbackID><ItemID>{escape(target.product_id)}</ItemID>{line}"
            f"<TargetUserID>{escape(target.reviewer_id)}</TargetUserID><ResponseType>Reply</ResponseType>"
            f"<ResponseText>{escape(text)}</ResponseText>"
            "</RespondToFeedbackRequest>"
        ).encode()

    @staticmethod
    def _parse(content: bytes, what: str, *, call: str = "GetFeedback") -> Element:
        try:
            root = safe_xml.fromstring(content, forbid_dtd=True)
        except (safe_xml.ParseError, DefusedXmlException) as error:
            raise BadResponse(f"{SOURCE}: {what} is not safe, well-formed XML ({error})", source=SOURCE) from None
        if root.tag != f"{_NS}{call}Response":
            raise BadResponse(f"{SOURCE}: expected {call}Response, got {root.tag}", source=SOURCE)
        return root

    @staticmethod
    def _check_ack(root: Element, *, call: str = "GetFeedback") -> None:
        ack = _text(root, "Ack")
        if ack in ("Success", "Warning"):
            return
        errors = [
            (_text(e, "ErrorCode"), _text(e, "ShortMessage"), _text(e, "SeverityCode"))
            for e in root.findall(f"{_NS}Errors")
        ]
        failing = [(code, message) for code, message, severity in errors if severity != "Warning"] or [
            (code, message) for code, message, _ in errors
        ]
        described = "; ".join(f"{code} {message}".strip() for code, message in failing) or "no error given"
        codes = {code for code, _ in failing}
        if codes & _AUTH_ERRORS:
            raise CredentialsRejected(
                f"{SOURCE}: the token was rejected ({described}); renew the seller's eBay authorisation", source=SOURCE
            )
        if codes & _TRANSIENT_ERRORS:
            raise SourceUnavailable(f"{SOURCE}: {call} failed for now ({described})", source=SOURCE)
        raise RequestRejected(f"{SOURCE}: {call} answered Ack={ack or 'missing'} ({described})", source=SOURCE)

    def _to_review(self, entry: Element) -> review_pb2.Review:
        comment_type = _text(entry, "CommentType")
        if comment_type not in RATING_BY_COMMENT_TYPE:
            raise ValueError(f"CommentType {comment_type or 'missing'} has no rating (withdrawn feedback is skipped)")
        feedback_id = _text(entry, "FeedbackID")
        item_id = _text(entry, "ItemID")
        comment_time = _text(entry, "CommentTime")
        if not feedback_id or not item_id or not comment_time:
            raise ValueError("FeedbackID, ItemID and CommentTime are required")
        user = _text(entry, "CommentingUser")
        review = review_pb2.Review(
            platform=self.platform,
            marketplace=self._marketplace,
            store_id=self._config.seller_user_id,
            external_id=feedback_id,
            product_id=item_id,
            order_id=_text(entry, "OrderLineItemID") or _text(entry, "TransactionID"),
            reviewer=review_pb2.Reviewer(id=user, name=user),
            rating=RATING_BY_COMMENT_TYPE[comment_type],
            body=_text(entry, "CommentText"),
            verified_purchase=True,
            reply_state="replied" if _text(entry, "FeedbackResponse") else "none",
        )
        review.posted_at.FromDatetime(parse_timestamp(comment_time))
        return review


def _text(element: Element, path: str) -> str:
    """The stripped text at a path of un-namespaced tag names, '' when absent."""
    found = element.find("/".join(_NS + part for part in path.split("/")))
    return (found.text or "").strip() if found is not None else ""
