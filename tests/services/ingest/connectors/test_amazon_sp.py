"""Amazon Solicitations client against a local server speaking Login with Amazon's token endpoint and
the SP-API Solicitations API (actions per order, productReviewAndSellerFeedback, errors, 429)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.ingest.connectors import CredentialsRejected, RequestRejected
from services.ingest.connectors.amazon_sp import AmazonSolicitations, AmazonSpConfig
from services.ingest.connectors.pacing import Pacer
from tests.services.ingest.connectors.conftest import FAST_RETRY, secret_in_logs, serve

CLIENT_ID, CLIENT_SECRET, REFRESH = "amzn1.application-oa2-client.4f1e", "amzn-secret-5c7d9e1f", "Atzr|IwEB-refresh-77aa"
DE = "A1PA6795UKMFR9"
ORDER = "302-1234567-7654321"
DELIVERED = datetime(2026, 11, 10, 12, 0, tzinfo=timezone.utc)


def error(code: str, message: str, status: int, **headers: str) -> Response:
    return JSONResponse({"errors": [{"code": code, "message": message, "details": ""}]}, status_code=status, headers=headers)


@dataclass
class Amazon:
    """The local Amazon: issued tokens, orders still open to a request, solicitations it took, every call."""

    eligible: set[str] = field(default_factory=lambda: {ORDER})
    faults: list[Response] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)
    revoked: bool = False
    solicited: list[str] = field(default_factory=list)
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def routes(self) -> list[Route]:
        async def token(request: Request) -> Response:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            good = form == {"grant_type": "refresh_token", "refresh_token": REFRESH, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
            if self.revoked or not good:
                return JSONResponse({"error": "invalid_grant", "error_description": "The request has an invalid grant parameter : refresh_token"}, status_code=400)
            self.tokens.append(f"Atza|access-{len(self.tokens)}")
            return JSONResponse({"access_token": self.tokens[-1], "refresh_token": REFRESH, "token_type": "bearer", "expires_in": 3600})

        def refused(request: Request) -> Response | None:
            self.calls.append((request.method, request.url.path, request.query_params.get("marketplaceIds", "")))
            if self.faults:
                return self.faults.pop(0)
            access = request.headers.get("x-amz-access-token", "")
            if access not in self.tokens or access in self.expired:
                return error("Unauthorized", "Access to requested resource is denied.", 403)
            return None

        async def actions(request: Request) -> Response:
            order = request.path_params["order"]
            answer = refused(request)
            if answer is not None:
                return answer
            links = [{"href": f"/solicitations/v1/orders/{order}/solicitations/productReviewAndSellerFeedback?marketplaceIds={DE}", "name": "productReviewAndSellerFeedback"}]
            return JSONResponse({"_links": {"actions": links if order in self.eligible else [], "self": {"href": f"/solicitations/v1/orders/{order}?marketplaceIds={DE}"}},
                                 "_embedded": {"actions": []}})  # fmt: skip

        async def solicit(request: Request) -> Response:
            order = request.path_params["order"]
            answer = refused(request)
            if answer is not None:
                return answer
            if order not in self.eligible:
                return error("InvalidInput", "The requested solicitation is not available for this order.", 400)
            self.eligible.discard(order)
            self.solicited.append(order)
            return JSONResponse({}, status_code=201)

        return [
            Route("/auth/o2/token", token, methods=["POST"]),
            Route("/solicitations/v1/orders/{order}", actions),
            Route("/solicitations/v1/orders/{order}/solicitations/productReviewAndSellerFeedback", solicit, methods=["POST"]),
        ]


def settings(base_url: str) -> dict:
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": REFRESH, "base_url": base_url, "token_url": f"{base_url}/auth/o2/token"}


def solicitations(base_url: str, client) -> AmazonSolicitations:
    return AmazonSolicitations(AmazonSpConfig(**settings(base_url)), client=client, retry=FAST_RETRY, pacer=Pacer(rate=1000, burst=10))


async def test_asks_once_inside_the_window_through_a_429_and_a_503(client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    amazon = Amazon(faults=[error("QuotaExceeded", "You exceeded your quota for the requested resource.", 429, **{"Retry-After": "0"}),
                            error("ServiceUnavailable", "Service temporarily unavailable.", 503)])  # fmt: skip
    async with serve(amazon.routes()) as base_url:
        sp = solicitations(base_url, client)
        answer = await sp.request_review(ORDER, marketplace="DE", delivered_at=DELIVERED, now=DELIVERED + timedelta(days=6))
        again = await sp.request_review(ORDER, marketplace="de", delivered_at=DELIVERED, now=DELIVERED + timedelta(days=7))
    assert (answer.sent, answer.platform_request_id) == (True, f"{ORDER}/productReviewAndSellerFeedback")
    assert amazon.solicited == [ORDER], "one solicitation, though two calls failed on the way"
    assert (again.sent, again.not_before) == (False, None) and "already requested" in again.reason
    assert {c[2] for c in amazon.calls} == {DE} and len(amazon.tokens) == 1
    assert [c[0] for c in amazon.calls] == ["GET", "GET", "GET", "POST", "GET"]
    for secret in (CLIENT_SECRET, REFRESH, amazon.tokens[0]):
        assert secret_in_logs(caplog, secret) == []


async def test_outside_the_window_or_with_a_bad_order_nothing_is_sent(client) -> None:
    amazon = Amazon()
    async with serve(amazon.routes()) as base_url:
        sp = solicitations(base_url, client)
        early = await sp.request_review(ORDER, marketplace="DE", delivered_at=DELIVERED, now=DELIVERED + timedelta(days=4, hours=23))
        late = await sp.request_review(ORDER, marketplace="DE", delivered_at=DELIVERED, now=DELIVERED + timedelta(days=30, minutes=1))
        bad = await sp.request_review("302-123", marketplace="DE", delivered_at=DELIVERED, now=DELIVERED + timedelta(days=6))
        nowhere = await sp.request_review(ORDER, marketplace="ZZ", delivered_at=DELIVERED, now=DELIVERED + timedelta(days=6))
    assert (early.sent, early.not_before) == (False, DELIVERED + timedelta(days=5)) and "from 5 days after delivery" in early.reason
    assert (late.sent, late.not_before) == (False, None) and "more than 30 days" in late.reason
    assert "not an Amazon order id" in bad.reason and "no Amazon marketplace id" in nowhere.reason
    assert amazon.calls == [] and amazon.tokens == [], "refused locally: Amazon was never asked"


async def test_an_expired_token_is_renewed_once_and_a_revoked_grant_is_permanent(client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    amazon = Amazon()
    async with serve(amazon.routes()) as base_url:
        sp = solicitations(base_url, client)
        await sp._token()
        amazon.expired.add(amazon.tokens[0])
        answer = await sp.request_review(ORDER, marketplace="DE", delivered_at=DELIVERED, now=DELIVERED + timedelta(days=10))
        assert answer.sent and len(amazon.tokens) == 2

        amazon.revoked = True
        with pytest.raises(CredentialsRejected) as raised:
            await solicitations(base_url, client).request_review(ORDER, marketplace="DE", delivered_at=DELIVERED, now=DELIVERED + timedelta(days=10))
    assert raised.value.permanent and "authorise the app in Seller Central again" in raised.value.message
    for secret in (CLIENT_SECRET, REFRESH):
        assert secret not in repr(raised.value) and secret_in_logs(caplog, secret) == []


async def test_a_refused_solicitation_is_a_clear_error_not_retried(client) -> None:
    amazon = Amazon()
    async with serve(amazon.routes()) as base_url:
        sp = solicitations(base_url, client)
        amazon.faults = [Response(status_code=200, content=b'{"_links": {"actions": [{"name": "productReviewAndSellerFeedback"}]}}', media_type="application/json"),
                         error("InvalidInput", "The requested solicitation is not available for this order.", 400)]  # fmt: skip
        with pytest.raises(RequestRejected, match="HTTP 400"):
            await sp.request_review(ORDER, marketplace="DE", delivered_at=DELIVERED, now=DELIVERED + timedelta(days=6))
    assert [c[0] for c in amazon.calls] == ["GET", "POST"] and amazon.solicited == []


def test_an_authorisation_serves_the_marketplaces_of_its_region() -> None:
    from services.ingest.connectors.amazon_sp import serves

    eu = AmazonSpConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH)
    na = eu.model_copy(update={"base_url": "https://sellingpartnerapi-na.amazon.com"})
    assert [serves(eu, m) for m in ("DE", "uk", "JP", "US", "ZZ")] == [True, True, False, False, False]
    assert [serves(na, m) for m in ("US", "CA", "DE")] == [True, True, False]
