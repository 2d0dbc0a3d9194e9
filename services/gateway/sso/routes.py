"""SSO routes: the tenant's configuration (`/v1/sso`, API key) and the browser's sign-in
(`/auth/sso/{tenant}/start` -> provider -> `/auth/sso/callback` -> `on_identity`).

State, nonce and PKCE verifier travel in one signed, HttpOnly cookie that lives
`sso_state_max_age_seconds` and is scoped to /auth/sso: no server-side store to share between
gateway replicas, and a callback whose `state` does not match the cookie's is refused.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from libs.crypto import SecretBox
from libs.errors import NotFound, Unavailable
from libs.outbound import OutboundPolicy
from libs.settings import Settings
from services.gateway.dependencies import TenantDep
from services.gateway.schemas import ERROR_RESPONSES
from services.gateway.sso import config as sso_config
from services.gateway.sso.config import SsoConfigIn, SsoConfigOut
from services.gateway.sso.provider import Identity, OidcClient, ProviderUnavailable, SignInRefused

log = logging.getLogger(__name__)

OnIdentity = Callable[[Request, Identity], Awaitable[Response]]
COOKIE = "rg_sso"
CALLBACK_PATH = "/auth/sso/callback"


async def identity_not_wired(request: Request, identity: Identity) -> Response:
    """The wiring root's default until users and sessions exist: the identity is verified, but
    there is no account to sign it in to."""
    return JSONResponse({"detail": "single sign-on verified the person, but signing in to the console is not available yet"},
                        status_code=501)  # fmt: skip


@dataclass(frozen=True)
class SingleSignOn:
    """What the SSO routes need, built once by the wiring root and kept on app.state.sso."""

    box: SecretBox
    client: OidcClient
    states: URLSafeTimedSerializer
    on_identity: OnIdentity
    max_age: int
    public_url: str


def build(settings: Settings, on_identity: OnIdentity | None = None) -> SingleSignOn | None:
    """None without REVIEWGUARD_SECRET_KEYS (nothing to seal a client secret or sign a state with)."""
    keys = settings.secret_key_list()
    if not keys:
        return None
    public_url = settings.public_url()
    return SingleSignOn(
        box=SecretBox(keys),
        client=OidcClient(OutboundPolicy.from_settings(settings), redirect_uri=public_url + CALLBACK_PATH,
                          ttl=settings.gateway.sso_discovery_ttl_seconds, timeout=settings.gateway.sso_http_timeout_seconds),
        # NOTE: itsdangerous signs with the last key and accepts any, so the first Fernet key signs
        # and rotating REVIEWGUARD_SECRET_KEYS does not break sign-ins under way.
        states=URLSafeTimedSerializer(list(reversed(keys)), salt="reviewguard.sso.state"),
        on_identity=on_identity or identity_not_wired, max_age=settings.gateway.sso_state_max_age_seconds,
        public_url=public_url,
    )  # fmt: skip


def _sso(request: Request) -> SingleSignOn:
    sso = request.app.state.sso
    if sso is None:
        raise Unavailable("single sign-on is not configured on this server (REVIEWGUARD_SECRET_KEYS is unset)")
    return sso


router = APIRouter(prefix="/v1/sso", tags=["single sign-on"], responses=ERROR_RESPONSES)


def _out(sso: SingleSignOn, tenant: uuid.UUID, issuer: str, client_id: str, domains, role: str) -> SsoConfigOut:
    return SsoConfigOut(issuer=issuer, client_id=client_id, allowed_email_domains=list(domains), default_role=role,
                        redirect_uri=sso.public_url + CALLBACK_PATH, start_url=f"{sso.public_url}/auth/sso/{tenant}/start")  # fmt: skip


@router.put("", summary="Set the tenant's OIDC provider")
async def put_sso(request: Request, tenant: TenantDep, body: SsoConfigIn) -> SsoConfigOut:
    sso = _sso(request)
    async with request.app.state.pool.acquire() as conn:
        await sso_config.save(conn, sso.box, tenant, body)
    return _out(sso, tenant, body.issuer, body.client_id, body.allowed_email_domains, body.default_role)


@router.get("", summary="The tenant's OIDC provider (never its client secret)")
async def get_sso(request: Request, tenant: TenantDep) -> SsoConfigOut:
    sso = _sso(request)
    async with request.app.state.pool.acquire() as conn:
        found = await sso_config.load(conn, sso.box, tenant)
    if found is None:
        raise NotFound("this tenant has no single sign-on configured")
    return _out(sso, tenant, found.issuer, found.client_id, found.allowed_domains, found.default_role)


@router.delete("", status_code=204, summary="Turn the tenant's single sign-on off")
async def delete_sso(request: Request, tenant: TenantDep) -> Response:
    async with request.app.state.pool.acquire() as conn:
        if not await sso_config.delete(conn, tenant):
            raise NotFound("this tenant has no single sign-on configured")
    return Response(status_code=204)


# The browser's side: answers are redirects, or JSON errors a person can read; not API routes.
browser = APIRouter(prefix="/auth/sso", include_in_schema=False)


def _refused(status: int, reason: str) -> JSONResponse:
    answer = JSONResponse({"detail": reason}, status_code=status)
    answer.delete_cookie(COOKIE, path="/auth/sso")
    return answer


def _unavailable(reason: str) -> JSONResponse:
    answer = _refused(503, reason)
    answer.headers["Retry-After"] = "5"
    return answer


@browser.get("/callback")
async def callback(request: Request, code: str | None = None, state: str | None = None, error: str | None = None) -> Response:
    sso = _sso(request)
    try:
        flow = sso.states.loads(request.cookies.get(COOKIE, ""), max_age=sso.max_age)
    except SignatureExpired:
        return _refused(400, "the sign-in took too long; start again")
    except BadSignature:
        return _refused(400, "no sign-in is under way in this browser; start again")
    if not state or not hmac.compare_digest(state, flow["state"]):
        return _refused(400, "the state does not match this browser's sign-in; start again")
    if error:
        # NOTE: the OAuth error code only; error_description is the provider's free text.
        return _refused(403 if error == "access_denied" else 400, f"the identity provider refused the sign-in: {error[:64]}")
    if not code:
        return _refused(400, "the provider's answer lacks the code")
    async with request.app.state.pool.acquire() as conn:
        config = await sso_config.load(conn, sso.box, uuid.UUID(flow["tenant"]))
    if config is None:
        return _refused(404, "this tenant has no single sign-on configured")
    try:
        identity = await sso.client.complete(config, code=code, nonce=flow["nonce"], code_verifier=flow["verifier"])
    except ProviderUnavailable as down:
        return _unavailable(str(down))
    except SignInRefused as refused:
        return _refused(refused.status, refused.reason)
    problem = _domain_problem(config.allowed_domains, identity)
    if problem:
        return _refused(403, problem)
    log.info("sso identity verified", extra={"fields": {"tenant": str(identity.tenant_id), "subject": identity.subject}})
    answer = await sso.on_identity(request, identity)
    answer.delete_cookie(COOKIE, path="/auth/sso")
    return answer


def _domain_problem(allowed: tuple[str, ...], identity: Identity) -> str | None:
    if not allowed:
        return None
    if not identity.email or not identity.email_verified:
        return "the provider did not vouch for a verified email, which this tenant requires"
    if identity.email.rsplit("@", 1)[-1].lower() not in allowed:
        return "this email's domain may not sign in to this tenant"
    return None


@browser.get("/{tenant}/start")
async def start(request: Request, tenant: str) -> Response:
    sso = _sso(request)
    async with request.app.state.pool.acquire() as conn:
        tenant_id = await sso_config.find_tenant(conn, tenant)
        config = await sso_config.load(conn, sso.box, tenant_id) if tenant_id else None
    if config is None:
        return _refused(404, "no single sign-on is configured for that tenant")
    try:
        flow = await sso.client.authorization(config)
    except ProviderUnavailable as down:
        return _unavailable(str(down))
    answer = RedirectResponse(flow.url, status_code=303)
    cookie = sso.states.dumps({"tenant": str(config.tenant_id), "state": flow.state, "nonce": flow.nonce, "verifier": flow.code_verifier})
    answer.set_cookie(COOKIE, cookie, max_age=sso.max_age, path="/auth/sso", httponly=True, samesite="lax",
                      secure=sso.public_url.startswith("https://"))  # fmt: skip
    return answer
