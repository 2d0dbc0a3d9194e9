"""Errors on console routes answer as pages (or fragments), mapped by the same tables as the API's."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import quote

import asyncpg
import grpc
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from libs.errors import DomainError, domain_to_http, grpc_to_http
from services.gateway.console.access import CsrfRefused, Forbidden, NotSignedIn

log = logging.getLogger(__name__)

FRAGMENT_HEADER = "X-Console-Fragment"
_DB_DOWN = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.exceptions.OperatorInterventionError)


class ConsoleRoute(APIRoute):
    """An APIRoute whose failures render the error page with the status the API would answer."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except NotSignedIn:
                if request.headers.get(FRAGMENT_HEADER):
                    return Response(status_code=401)
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
            except Forbidden as error:
                return _page(request, 403, str(error))
            except CsrfRefused:
                return _page(request, 403, "this form has expired or did not come from the console; reload the page and try again")
            except RequestValidationError as error:
                fields = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in error.errors())
                return _page(request, 422, f"invalid input, nothing was changed ({fields})")
            except DomainError as error:
                code, body, _ = domain_to_http(error)
                return _page(request, code, body.get("detail", ""))
            except grpc.aio.AioRpcError as error:
                code, body, _ = grpc_to_http(error)
                if code >= 500:
                    log.error("backend call failed", extra={"fields": {"path": request.url.path, "grpc_code": error.code().name}})
                return _page(request, code, body.get("detail", ""))
            except _DB_DOWN as error:
                log.warning("database unavailable", extra={"fields": {"path": request.url.path, "error": type(error).__name__}})
                return _page(request, 503, "the database is unavailable; retry shortly")

        return handle


def _page(request: Request, status: int, detail: str) -> Response:
    renderer = request.app.state.console
    name = "_error.html" if request.headers.get(FRAGMENT_HEADER) else "error.html"
    return renderer.render(request, name, status_code=status, formats=getattr(request.state, "formats", None), status=status, detail=detail,
                           viewer=getattr(request.state, "viewer", None))
