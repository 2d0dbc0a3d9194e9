"""eBay GetFeedback connector against a local server answering in the Trading API's XML format."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

import defusedxml.ElementTree as safe_xml
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.ingest.connectors import BadResponse, CredentialsRejected, ReplyTarget, RequestRejected, SourceUnavailable, sync
from services.ingest.connectors.ebay import EbayConfig, EbayFeedbackConnector
from tests.services.ingest.connectors.conftest import FAST_RETRY, Script, secret_in_logs, serve

TOKEN = "v^1.1#i^1#f^0#r^1#I^3#p^3#t^Ul4xMF8yOkE3RkY="
NS = "urn:ebay:apis:eBLBaseComponents"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)

# Written for these tests, newest first.
FEEDBACK = [
    ("Negative", "Artikel defekt angekommen, Verkäufer antwortet nicht.", "kaeufer_berlin"),
    ("Positive", "Schneller Versand, alles bestens. Gerne wieder!", "mueller-hh"),
    ("Neutral", "Ware ok, aber Verpackung war beschädigt.", "anna.k"),
    ("Withdrawn", "", "someone"),
    ("Positive", "Great seller, item exactly as described. A+++", "us_buyer_77"),
]
PER_PAGE = 2


def entry_xml(i: int) -> str:
    comment_type, text, user = FEEDBACK[i]
    response = "<FeedbackResponse>Danke für Ihr Feedback!</FeedbackResponse>" if i == 0 else ""
    return (
        f"<FeedbackDetail><CommentingUser>{escape(user)}</CommentingUser><CommentingUserScore>{40 + i}</CommentingUserScore>"
        f"<CommentText>{escape(text)}</CommentText>"
        f"<CommentTime>{(NOW - timedelta(days=i * 2)).strftime('%Y-%m-%dT%H:%M:%S.000Z')}</CommentTime>"
        f"<CommentType>{comment_type}</CommentType>{response}"
        f"<ItemID>1102345678{i}</ItemID><Role>Seller</Role><ItemTitle>Glas Wasserkocher 1,7 l</ItemTitle>"
        f"<FeedbackID>{1900000000 + i}</FeedbackID><TransactionID>{2700000 + i}</TransactionID>"
        f"<OrderLineItemID>1102345678{i}-{2700000 + i}</OrderLineItemID></FeedbackDetail>"
    )


def page_xml(page: int) -> str:
    start = (page - 1) * PER_PAGE
    entries = "".join(entry_xml(i) for i in range(start, min(start + PER_PAGE, len(FEEDBACK))))
    total_pages = -(-len(FEEDBACK) // PER_PAGE)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><GetFeedbackResponse xmlns="{NS}">'
        f"<Timestamp>2026-11-23T12:00:00.000Z</Timestamp><Ack>Success</Ack><Version>1451</Version>"
        f"<FeedbackDetailArray>{entries}</FeedbackDetailArray><FeedbackDetailItemTotal>{len(entries and FEEDBACK)}</FeedbackDetailItemTotal>"
        f"<FeedbackScore>1234</FeedbackScore>"
        f"<PaginationResult><TotalNumberOfPages>{total_pages}</TotalNumberOfPages>"
        f"<TotalNumberOfEntries>{len(FEEDBACK)}</TotalNumberOfEntries></PaginationResult>"
        f"<EntriesPerPage>{PER_PAGE}</EntriesPerPage><PageNumber>{page}</PageNumber></GetFeedbackResponse>"
    )


def failure_xml(code: str, message: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><GetFeedbackResponse xmlns="{NS}"><Ack>Failure</Ack>'
        f"<Errors><ShortMessage>{message}</ShortMessage><LongMessage>{message}</LongMessage>"
        f"<ErrorCode>{code}</ErrorCode><SeverityCode>Error</SeverityCode><ErrorClassification>RequestError</ErrorClassification></Errors>"
        f"<Version>1451</Version></GetFeedbackResponse>"
    )


def platform(script: Script) -> list[Route]:
    async def api(request: Request) -> Response:
        body = await request.body()
        script.seen.append(request)
        script.bodies.append(body)
        request_xml = safe_xml.fromstring(body)
        page = int(request_xml.find(f"{{{NS}}}Pagination/{{{NS}}}PageNumber").text)
        fault = script.next_fault(page)
        if fault is not None:
            return fault
        if request.headers.get("X-EBAY-API-IAF-TOKEN") != TOKEN:
            return Response(failure_xml("931", "Auth token is invalid."), media_type="text/xml")
        return Response(page_xml(page), media_type="text/xml")

    return [Route("/ws/api.dll", api, methods=["POST"])]


def connector(base_url: str, client, *, token: str = TOKEN) -> EbayFeedbackConnector:
    config = EbayConfig(token=token, site_id=77, seller_user_id="acme_kettles_de", entries_per_page=PER_PAGE, base_url=base_url)
    return EbayFeedbackConnector(config, client=client, retry=FAST_RETRY)


async def test_reads_every_page_through_a_429_and_a_500_and_maps_comment_types(client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    script = Script()
    script.fail(2, Response(status_code=429, headers={"Retry-After": "1"}), Response(status_code=500))
    async with serve(platform(script)) as base_url:
        started = time.monotonic()
        pages = [p async for p in sync(connector(base_url, client), None, NOW - timedelta(days=60))]
        elapsed = time.monotonic() - started

    assert elapsed >= 1.0
    assert len(script.seen) == 5 and len(pages) == 3 and pages[-1].next_cursor is None
    first = script.seen[0].headers
    assert (first["X-EBAY-API-CALL-NAME"], first["X-EBAY-API-SITEID"], first["X-EBAY-API-COMPATIBILITY-LEVEL"]) == ("GetFeedback", "77", "1451")
    request = safe_xml.fromstring(script.bodies[0])
    assert request.tag == f"{{{NS}}}GetFeedbackRequest"
    assert request.find(f"{{{NS}}}DetailLevel").text == "ReturnAll"
    assert request.find(f"{{{NS}}}Pagination/{{{NS}}}EntriesPerPage").text == str(PER_PAGE)

    reviews = [r for p in pages for r in p.reviews]
    assert [r.rating for r in reviews] == [1, 5, 3, 5], "Negative 1, Positive 5, Neutral 3"
    assert [s.external_id for p in pages for s in p.skipped] == ["1900000003"], "withdrawn feedback is skipped"
    first_review = reviews[0]
    assert (first_review.platform, first_review.marketplace, first_review.store_id) == ("ebay", "DE", "acme_kettles_de")
    assert (first_review.external_id, first_review.product_id, first_review.order_id) == ("1900000000", "11023456780", "11023456780-2700000")
    assert (first_review.reviewer.id, first_review.body) == ("kaeufer_berlin", "Artikel defekt angekommen, Verkäufer antwortet nicht.")
    assert first_review.verified_purchase and first_review.reply_state == "replied" and reviews[1].reply_state == "none"
    assert first_review.posted_at.ToDatetime(tzinfo=timezone.utc) == NOW
    assert secret_in_logs(caplog, TOKEN) == []


async def test_http_401_is_a_clear_error(client) -> None:
    script = Script(always=Response("Unauthorized", status_code=401))
    async with serve(platform(script)) as base_url:
        with pytest.raises(CredentialsRejected, match=r"ebay: the platform rejected the credentials \(HTTP 401\)") as raised:
            await connector(base_url, client).fetch_page(None, since=NOW - timedelta(days=1))
    assert TOKEN not in str(raised.value) and len(script.seen) == 1


async def test_ack_failure_with_an_auth_code_is_a_credentials_error(client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "v^1.1#WRONG#token"
    async with serve(platform(Script())) as base_url:
        with pytest.raises(CredentialsRejected, match="931 Auth token is invalid") as raised:
            await connector(base_url, client, token=wrong).fetch_page(None, since=NOW - timedelta(days=1))
    assert wrong not in str(raised.value)
    assert secret_in_logs(caplog, wrong) == []


async def test_call_limit_is_transient(client) -> None:
    script = Script(always=Response(failure_xml("518", "Call usage limit has been reached."), media_type="text/xml"))
    async with serve(platform(script)) as base_url:
        with pytest.raises(SourceUnavailable, match="518"):
            await connector(base_url, client).fetch_page(None, since=NOW - timedelta(days=1))


async def test_xml_with_entities_is_refused(client) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f'<GetFeedbackResponse xmlns="{NS}"><Ack>&b;</Ack></GetFeedbackResponse>'
    )
    script = Script(always=Response(bomb, media_type="text/xml"))
    async with serve(platform(script)) as base_url:
        with pytest.raises(BadResponse, match="not safe, well-formed XML"):
            await connector(base_url, client).fetch_page(None, since=NOW - timedelta(days=1))


# --- RespondToFeedback -------------------------------------------------------------------------------


def ack_xml(call: str, body: str = "", *, code: str = "", message: str = "") -> str:
    errors = (
        f"<Errors><ShortMessage>{message}</ShortMessage><ErrorCode>{code}</ErrorCode><SeverityCode>Error</SeverityCode></Errors>"
        if code else ""
    )  # fmt: skip
    return f'<?xml version="1.0" encoding="UTF-8"?><{call}Response xmlns="{NS}"><Ack>{"Failure" if code else "Success"}</Ack>{errors}{body}</{call}Response>'


def replying_platform(responses: dict[str, str], script: Script) -> list[Route]:
    """RespondToFeedback and GetFeedback by FeedbackID, over one feedback entry (entry_xml(0) without its reply)."""

    async def api(request: Request) -> Response:
        body = await request.body()
        script.seen.append(request)
        script.bodies.append(body)
        fault = script.next_fault(1)
        if fault is not None:
            return fault
        call = request.headers.get("X-EBAY-API-CALL-NAME")
        if request.headers.get("X-EBAY-API-IAF-TOKEN") != TOKEN:
            return Response(ack_xml(call, code="931", message="Auth token is invalid."), media_type="text/xml")
        xml = safe_xml.fromstring(body)
        field = lambda name: (xml.find(f"{{{NS}}}{name}").text if xml.find(f"{{{NS}}}{name}") is not None else None)  # noqa: E731
        if call == "GetFeedback":
            reply = responses.get(field("FeedbackID"))
            detail = f"<FeedbackDetail><FeedbackID>{field('FeedbackID')}</FeedbackID>" + (
                f"<FeedbackResponse>{escape(reply)}</FeedbackResponse>" if reply else "") + "</FeedbackDetail>"
            return Response(ack_xml(call, f"<FeedbackDetailArray>{detail}</FeedbackDetailArray>"), media_type="text/xml")
        assert call == "RespondToFeedback" and xml.tag == f"{{{NS}}}RespondToFeedbackRequest"
        if (field("ItemID"), field("OrderLineItemID"), field("TargetUserID"), field("ResponseType")) != (
            "11023456780", "11023456780-2700000", "kaeufer_berlin", "Reply"
        ):
            return Response(ack_xml(call, code="55", message="Invalid feedback."), media_type="text/xml")
        if len(field("ResponseText") or "") > 80:
            return Response(ack_xml(call, code="1001", message="ResponseText is too long."), media_type="text/xml")
        if field("FeedbackID") in responses:
            return Response(ack_xml(call, code="21917", message="You have already replied to this feedback."), media_type="text/xml")
        responses[field("FeedbackID")] = field("ResponseText")
        return Response(ack_xml(call), media_type="text/xml")

    return [Route("/ws/api.dll", api, methods=["POST"])]


TARGET = ReplyTarget(external_id="1900000000", product_id="11023456780", reviewer_id="kaeufer_berlin", order_id="11023456780-2700000")


async def test_a_reply_to_feedback_is_sent_once_read_back_and_never_replaced_or_withdrawn(client) -> None:
    responses: dict[str, str] = {}
    script = Script()
    script.fail(1, Response(status_code=503))
    async with serve(replying_platform(responses, script)) as base_url:
        ebay = connector(base_url, client)
        assert await ebay.current_reply(TARGET) is None
        answer = await ebay.publish_reply(TARGET, text="Sorry! A replacement ships today & tracking follows.")
        assert answer.platform_reply_id == "1900000000"
        assert responses == {"1900000000": "Sorry! A replacement ships today & tracking follows."}
        assert script.seen[-1].headers["X-EBAY-API-CALL-NAME"] == "RespondToFeedback"
        assert await ebay.current_reply(TARGET) == "Sorry! A replacement ships today & tracking follows."
        with pytest.raises(RequestRejected, match="already replied"):
            await ebay.publish_reply(TARGET, text="Second thoughts.")
        sent = len(script.seen)
        with pytest.raises(RequestRejected, match="cannot be withdrawn"):
            await ebay.delete_reply(TARGET)
        with pytest.raises(RequestRejected, match="1 to 80 characters"):
            await ebay.publish_reply(TARGET, text="x" * 81)
        assert len(script.seen) == sent  # refused here, nothing sent
    assert responses["1900000000"] == "Sorry! A replacement ships today & tracking follows."


async def test_a_revoked_token_on_a_reply_is_a_credentials_error(client) -> None:
    async with serve(replying_platform({}, Script())) as base_url:
        with pytest.raises(CredentialsRejected, match="931"):
            await connector(base_url, client, token="v^1.1#REVOKED").publish_reply(TARGET, text="Thanks!")
