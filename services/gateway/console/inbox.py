"""The inbox (every review, with the reviews list API's filters, live) and one review's page."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from services.gateway.console.access import Viewer, acting_viewer, current_viewer, teams_of
from services.gateway.console.errors import ConsoleRoute
from services.gateway.dependencies import Backends, get_backends
from services.gateway.routes import alerts as alert_routes
from services.gateway.routes import cases as case_routes
from services.gateway.routes import ingest as ingest_routes
from services.gateway.routes import inbox as inbox_routes
from services.gateway.routes import reviews as review_routes
from services.gateway.routes.inbox import Many, Risk, Sentiment, Sort

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
BackendsDep = Annotated[Backends, Depends(get_backends)]
ViewerDep = Annotated[Viewer, Depends(current_viewer)]

SORTS = ("-posted_at", "posted_at", "rating", "-rating", "-negative_score", "negative_score")


async def _filtered(
    viewer: Viewer, backends: Backends, *, platform: list[str], marketplace: list[str], language: list[str], rating_gte: int | None,
    rating_lte: int | None, sentiment: str | None, aspect: str, risk: str | None, malicious: bool | None, has_case: bool | None,
    q: str, sort: str, page_token: str,
):  # fmt: skip
    viewer.require("GET", "/v1/reviews")
    markets = viewer.team_markets(await teams_of(viewer, backends))
    if markets is not None:
        # NOTE: an agent's inbox is its team's markets, as its cases are (the review page refuses the others).
        marketplace = [m for m in marketplace if m.upper() in markets] if marketplace else sorted(markets)
        if not marketplace:
            return inbox_routes.InboxPage(items=[], next_page_token=None)
    page = await inbox_routes.search_reviews(
        tenant=viewer.tenant, backends=backends, platform=platform, marketplace=marketplace, store_id=[], product_id=[],
        product_line=[], language=language, rating_gte=rating_gte, rating_lte=rating_lte, sentiment=sentiment, aspect=aspect,
        risk=risk, malicious=malicious, competitor=None, has_case=has_case, case_status=None, posted_from=None, posted_to=None,
        q=q, sort=sort, page_size=50, page_token=page_token,
    )  # fmt: skip
    if isinstance(page, JSONResponse):
        # NOTE: the API's answer to a page token that fails its check: start from the first page.
        return await _filtered(viewer, backends, platform=platform, marketplace=marketplace, language=language, rating_gte=rating_gte,
                               rating_lte=rating_lte, sentiment=sentiment, aspect=aspect, risk=risk, malicious=malicious,
                               has_case=has_case, q=q, sort=sort, page_token="")  # fmt: skip
    return page


class InboxQuery:
    """The inbox's filters, typed as the reviews list API types them (so the same values are refused)."""

    def __init__(
        self, platform: Many = [], marketplace: Many = [], language: Many = [],  # noqa: B006 - FastAPI copies query defaults
        rating_gte: Annotated[int | None, Query(ge=1, le=5)] = None, rating_lte: Annotated[int | None, Query(ge=1, le=5)] = None,
        sentiment: Sentiment | None = None, aspect: Annotated[str, Query(max_length=100)] = "", risk: Risk | None = None,
        malicious: bool | None = None, has_case: bool | None = None, q: Annotated[str, Query(max_length=200)] = "",
        sort: Sort = "-posted_at", page_token: str = "",
    ) -> None:  # fmt: skip
        def many(values: list[str]) -> list[str]:
            # NOTE: the page's one text box takes "DE, FR"; the API's repeated parameter, each value.
            return [v.strip() for value in values for v in value.split(",") if v.strip()]

        self.values = {
            "platform": many(platform), "marketplace": many(marketplace), "language": many(language),
            "rating_gte": rating_gte, "rating_lte": rating_lte, "sentiment": sentiment, "aspect": aspect, "risk": risk,
            "malicious": malicious, "has_case": has_case, "q": q, "sort": sort, "page_token": page_token,
        }  # fmt: skip

    def query_string(self) -> str:
        pairs = []
        for name, value in self.values.items():
            if name == "page_token" or value in (None, "", []):
                continue
            pairs += [(name, v) for v in value] if isinstance(value, list) else [(name, str(value).lower() if isinstance(value, bool) else value)]
        return urlencode(pairs)


FiltersDep = Annotated[InboxQuery, Depends()]


@router.get("/inbox")
async def inbox(request: Request, viewer: ViewerDep, backends: BackendsDep, filters: FiltersDep) -> Response:
    page = await _filtered(viewer, backends, **filters.values)
    return request.app.state.console.render(
        request, "inbox.html", formats=viewer.formats, viewer=viewer, page=page, filters=filters.values, query=filters.query_string(),
        sorts=SORTS, may_assign=viewer.may("POST", "/v1/cases/{case_id}/assign"),
    )  # fmt: skip


@router.get("/inbox/rows")
async def inbox_rows(request: Request, viewer: ViewerDep, backends: BackendsDep, filters: FiltersDep) -> Response:
    """The first page's rows alone: what the inbox polls for, so new reviews appear without a reload."""
    filters.values["page_token"] = ""
    page = await _filtered(viewer, backends, **filters.values)
    return request.app.state.console.render(request, "_inbox_rows.html", formats=viewer.formats, viewer=viewer, page=page,
                                            may_assign=viewer.may("POST", "/v1/cases/{case_id}/assign"))  # fmt: skip


@router.post("/inbox/assign")
async def bulk_assign(
    request: Request, viewer: Annotated[Viewer, Depends(acting_viewer)], backends: BackendsDep,
    case_id: Annotated[list[uuid.UUID], Form()] = [],  # noqa: B006
    back: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Assigns each chosen case to the best available agent of its market (the API's assign, case by case)."""
    viewer.require("POST", "/v1/cases/{case_id}/assign")
    teams = await teams_of(viewer, backends)
    for cid in case_id:
        case = await case_routes.get_case(case_id=cid, tenant=viewer.tenant, backends=backends)
        viewer.require_market(teams, case.marketplace)
        await case_routes.assign_case(case_id=cid, tenant=viewer.tenant, backends=backends)
    return RedirectResponse("/inbox" + (f"?{back}" if back and not back.startswith(("/", "\\")) else ""), status_code=303)


@router.get("/reviews/{review_id}")
async def review_page(request: Request, review_id: uuid.UUID, viewer: ViewerDep, backends: BackendsDep) -> Response:
    viewer.require("GET", "/v1/reviews/{review_id}")
    review = await review_routes.get_review(review_id=review_id, tenant=viewer.tenant, backends=backends)
    teams = await teams_of(viewer, backends)
    viewer.require_market(teams, review.marketplace)
    history = await ingest_routes.review_history(review_id=review_id, tenant=viewer.tenant, backends=backends)
    alerts = cases = None
    if viewer.may("GET", "/v1/alerts"):
        alerts = (await alert_routes.list_alerts(
            tenant=viewer.tenant, backends=backends, review_id=review_id, rule="", status=None, label=[], page_size=50, page_token=""
        )).items  # fmt: skip
    if viewer.may("GET", "/v1/cases"):
        cases = (await case_routes.list_cases(tenant=viewer.tenant, backends=backends, markets=viewer.team_markets(teams),
                                              review_id=review_id, status=None, page_size=10, page_token="")).items  # fmt: skip
    return request.app.state.console.render(request, "review.html", formats=viewer.formats, viewer=viewer, review=review,
                                            history=history.versions, alerts=alerts, cases=cases)  # fmt: skip

