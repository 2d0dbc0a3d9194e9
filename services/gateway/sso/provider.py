"""The OIDC relying party: discovery, the authorization-code flow with PKCE (S256), and ID-token
verification against the provider's JWKS.

The protocol is authlib's (grant URI and token request, client authentication, PKCE challenge,
JOSE and OIDC claim validation); the HTTP is the outbound policy's client (libs/outbound.py), as
for every address a tenant configures. NOTE: not authlib's AsyncOAuth2Client, which in 1.9 runs on
httpx2, whose transports libs/outbound.py does not provide.

Discovery documents and JWKS are cached per issuer for `sso_discovery_ttl_seconds`. An ID token
signed with a `kid` the cached JWKS lacks makes one refetch (the provider rotated its keys); a kid
still unknown after it is refused.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import warnings

import httpx

# NOTE: authlib 1.9 warns on importing authlib.jose (moving to joserfc); its OIDC claim classes
# (CodeIDToken) still sit on it. The warning would print a plain-text line into the services'
# JSON logs at start, so it is silenced here, for these imports only.
with warnings.catch_warnings():
    import authlib.deprecate  # noqa: F401 - it sets its own "always" filter on import; ours goes above it

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.jose.errors import JoseError
    from authlib.oauth2.auth import ClientAuth
    from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
    from authlib.oauth2.rfc7636 import create_s256_code_challenge
    from authlib.oidc.core import CodeIDToken
from joserfc.errors import JoseError as ClaimError

from libs.outbound import OutboundPolicy, OutboundRefused, outbound_client
from services.gateway.sso.config import SsoConfig

log = logging.getLogger(__name__)

# NOTE: asymmetric algorithms only: an HS256 token "signed" with a public key or `none` is refused.
_JWT = JsonWebToken(["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"])
CLOCK_SKEW_SECONDS = 60
SCOPE = "openid email profile"


class ProviderUnavailable(Exception):
    """The provider cannot be reached or answered out of protocol: the person may retry (503)."""


class SignInRefused(Exception):
    """The sign-in cannot be completed as asked; `status` is the HTTP answer, `reason` safe to show."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """A person the tenant's provider vouched for, verified; what `on_identity` receives."""

    tenant_id: uuid.UUID
    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    # The role a person provisioned by this sign-in gets (the tenant's SSO configuration).
    default_role: str


@dataclass(frozen=True)
class Authorization:
    url: str
    state: str
    nonce: str
    code_verifier: str


class OidcClient:
    """Speaks OIDC to tenants' providers; holds the discovery and JWKS caches (per instance)."""

    def __init__(self, policy: OutboundPolicy, *, redirect_uri: str, ttl: float, timeout: float,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self._policy = policy
        self.redirect_uri = redirect_uri
        self._ttl = ttl
        self._timeout = timeout
        self._clock = clock
        self._cache: dict[str, tuple[float, dict]] = {}

    def _http(self) -> httpx.AsyncClient:
        return outbound_client(self._policy, timeout=self._timeout)

    async def _get_json(self, url: str, *, fresh: bool = False) -> dict:
        cached = self._cache.get(url)
        if cached is not None and not fresh and self._clock() - cached[0] < self._ttl:
            return cached[1]
        try:
            async with self._http() as http:
                answer = await http.get(url, headers={"Accept": "application/json"})
            answer.raise_for_status()
            document = answer.json()
        except (httpx.HTTPError, OutboundRefused, ValueError) as error:
            log.warning("identity provider unreachable", extra={"fields": {"url": url, "error": type(error).__name__}})
            raise ProviderUnavailable("the identity provider is unavailable; retry shortly") from None
        if not isinstance(document, dict):
            raise ProviderUnavailable("the identity provider answered something other than a JSON object")
        self._cache[url] = (self._clock(), document)
        return document

    async def discover(self, config: SsoConfig) -> dict:
        document = await self._get_json(f"{config.issuer}/.well-known/openid-configuration")
        # NOTE: OIDC Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
        if document.get("issuer") != config.issuer:
            raise ProviderUnavailable("the provider's discovery document names another issuer")
        for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(endpoint), str):
                raise ProviderUnavailable(f"the provider's discovery document lacks {endpoint}")
        return document

    async def authorization(self, config: SsoConfig) -> Authorization:
        document = await self.discover(config)
        state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        url = prepare_grant_uri(
            document["authorization_endpoint"], config.client_id, "code", redirect_uri=self.redirect_uri, scope=SCOPE,
            state=state, nonce=nonce, code_challenge=create_s256_code_challenge(verifier), code_challenge_method="S256",
        )  # fmt: skip
        return Authorization(url=url, state=state, nonce=nonce, code_verifier=verifier)

    async def complete(self, config: SsoConfig, *, code: str, nonce: str, code_verifier: str) -> Identity:
        """Exchanges the code, verifies the ID token and returns who signed in."""
        document = await self.discover(config)
        token = await self._redeem(config, document["token_endpoint"], code, code_verifier)
        if not isinstance(token.get("id_token"), str):
            raise SignInRefused(401, "the provider's token answer holds no ID token")
        claims = await self._verify(config, document, token["id_token"], nonce)
        if "email" not in claims or "email_verified" not in claims:
            claims = {**await self._userinfo(document, token, claims["sub"]), **claims}
        return Identity(
            tenant_id=config.tenant_id, issuer=config.issuer, subject=str(claims["sub"]),
            email=claims.get("email"), email_verified=claims.get("email_verified") is True,
            name=claims.get("name"), default_role=config.default_role,
        )  # fmt: skip

    async def _redeem(self, config: SsoConfig, endpoint: str, code: str, code_verifier: str) -> dict:
        body = prepare_token_request("authorization_code", code=code, redirect_uri=self.redirect_uri, code_verifier=code_verifier)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        _, headers, body = ClientAuth(config.client_id, config.client_secret, "client_secret_basic").prepare("POST", endpoint, headers, body)
        try:
            async with self._http() as http:
                answer = await http.post(endpoint, content=body, headers=headers)
            token = answer.json()
        except (httpx.HTTPError, OutboundRefused, ValueError) as error:
            log.warning("token endpoint unreachable", extra={"fields": {"error": type(error).__name__}})
            raise ProviderUnavailable("the identity provider is unavailable; retry shortly") from None
        if not isinstance(token, dict):
            raise ProviderUnavailable("the identity provider's token endpoint answered out of protocol")
        if answer.status_code >= 500:
            raise ProviderUnavailable("the identity provider is unavailable; retry shortly")
        if answer.status_code != 200 or "error" in token:
            # NOTE: the OAuth error code only (invalid_grant: a code used, expired, not this
            # client's, or a PKCE verifier that does not match); never the code or the secret.
            error_code = str(token.get("error", "invalid_response"))[:64]
            raise SignInRefused(401, f"the provider refused the code: {error_code}")
        return token

    async def _verify(self, config: SsoConfig, document: dict, id_token: str, nonce: str) -> dict:
        kid = _header(id_token).get("kid")
        jwks = await self._get_json(document["jwks_uri"])
        if kid not in {k.get("kid") for k in jwks.get("keys", [])}:
            jwks = await self._get_json(document["jwks_uri"], fresh=True)  # the provider rotated its keys
            if kid not in {k.get("kid") for k in jwks.get("keys", [])}:
                raise SignInRefused(401, "the ID token is signed with a key the provider does not publish")
        try:
            claims = _JWT.decode(
                id_token, JsonWebKey.import_key_set(jwks), claims_cls=CodeIDToken,
                claims_options={"iss": {"essential": True, "value": config.issuer},
                                "aud": {"essential": True, "value": config.client_id}},
                claims_params={"nonce": nonce, "client_id": config.client_id},
            )  # fmt: skip
            claims.validate(leeway=CLOCK_SKEW_SECONDS)
        # NOTE: authlib 1.9 validates claims with joserfc, whose errors are not authlib's JoseError.
        except (JoseError, ClaimError, ValueError) as error:
            raise SignInRefused(401, f"the ID token is not valid: {getattr(error, 'error', 'malformed')}") from None
        return dict(claims)

    async def _userinfo(self, document: dict, token: dict, subject: str) -> dict:
        endpoint = document.get("userinfo_endpoint")
        if not isinstance(endpoint, str) or not token.get("access_token"):
            return {}
        try:
            async with self._http() as http:
                answer = await http.get(endpoint, headers={"Authorization": f"Bearer {token['access_token']}"})
            answer.raise_for_status()
            info = answer.json()
        except (httpx.HTTPError, OutboundRefused, ValueError):
            raise ProviderUnavailable("the identity provider's userinfo endpoint is unavailable; retry shortly") from None
        # NOTE: OIDC Core §5.3.2: userinfo for another subject must not be used.
        return info if isinstance(info, dict) and info.get("sub") == subject else {}


def _header(token: str) -> dict:
    try:
        head = token.split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, IndexError):
        raise SignInRefused(401, "the ID token is not valid: malformed") from None
    if not isinstance(header, dict):
        raise SignInRefused(401, "the ID token is not valid: malformed")
    return header
