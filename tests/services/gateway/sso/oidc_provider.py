"""A local OpenID Provider on 127.0.0.1 for the SSO tests: a real HTTP server (http.server in a
thread) speaking the protocol the gateway's client uses: discovery, /authorize (auto-approves the
configured person, checks client and redirect URI, keeps the PKCE challenge), /token
(authorization_code: client_secret_basic or _post, single-use codes, PKCE S256 verifier, an
RS256-signed ID token with the nonce, by authlib.jose), /jwks (with key rotation) and /userinfo.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from authlib.jose import JsonWebKey, jwt


@dataclass
class Person:
    subject: str = "user-1"
    email: str = "li.wei@acme.example"
    email_verified: bool = True
    name: str = "Li Wei"


@dataclass
class Provider:
    """The provider's state; tests change it between steps (rotate keys, tamper with tokens)."""

    client_id: str
    client_secret: str
    redirect_uri: str
    person: Person = field(default_factory=Person)
    issuer: str = ""
    # What the next ID token is made with: overrides of claims, or a signing key not published.
    claim_overrides: dict = field(default_factory=dict)
    sign_with_unpublished_key: bool = False
    # The next ID token's payload is changed after signing (another subject), its signature kept.
    tamper_id_token: bool = False
    # Claims the ID token leaves out, so the client must ask /userinfo for them.
    id_token_omits: tuple[str, ...] = ()
    answer_error: str | None = None
    token_requests: int = 0
    jwks_requests: int = 0
    keys: list = field(default_factory=list)
    codes: dict = field(default_factory=dict)
    access_tokens: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rotate_keys()

    def rotate_keys(self) -> None:
        """A new signing key; the JWKS publishes only it from now on (the old one is retired)."""
        self.keys = [JsonWebKey.generate_key("RSA", 2048, {"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"}, is_private=True)]

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": self.person.subject, "aud": self.client_id, "iat": now, "exp": now + 300,
                  "email": self.person.email, "email_verified": self.person.email_verified, "name": self.person.name}
        if nonce is not None:
            claims["nonce"] = nonce
        for omitted in self.id_token_omits:
            claims.pop(omitted, None)
        claims.update(self.claim_overrides)
        key = self.keys[0]
        if self.sign_with_unpublished_key:
            key = JsonWebKey.generate_key("RSA", 2048, {"kid": "not-published"}, is_private=True)
        token = jwt.encode({"alg": "RS256", "kid": key.as_dict()["kid"]}, claims, key).decode()
        if self.tamper_id_token:
            head, _, signature = token.split(".")
            forged = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "admin"}).encode()).rstrip(b"=").decode()
            token = f"{head}.{forged}.{signature}"
        return token


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _handler(provider: Provider):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # the tests' output stays quiet
            pass

        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                base = provider.issuer
                return self._json(200, {
                    "issuer": base, "authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token",
                    "jwks_uri": f"{base}/jwks", "userinfo_endpoint": f"{base}/userinfo",
                    "response_types_supported": ["code"], "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                })  # fmt: skip
            if url.path == "/jwks":
                provider.jwks_requests += 1
                return self._json(200, {"keys": [k.as_dict(is_private=False) for k in provider.keys]})
            if url.path == "/authorize":
                return self._authorize(query)
            if url.path == "/userinfo":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if token not in provider.access_tokens:
                    return self._json(401, {"error": "invalid_token"})
                p = provider.person
                return self._json(200, {"sub": p.subject, "email": p.email, "email_verified": p.email_verified, "name": p.name})
            return self._json(404, {"error": "not_found"})

        def _authorize(self, query: dict) -> None:
            if query.get("client_id") != provider.client_id or query.get("redirect_uri") != provider.redirect_uri:
                return self._json(400, {"error": "invalid_request", "error_description": "unknown client or redirect_uri"})
            if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
                return self._json(400, {"error": "invalid_request"})
            if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                return self._json(400, {"error": "invalid_request", "error_description": "PKCE S256 required"})
            back = {"state": query.get("state", "")}
            if provider.answer_error:
                back["error"] = provider.answer_error
            else:
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {"challenge": query["code_challenge"], "nonce": query.get("nonce"),
                                        "redirect_uri": query["redirect_uri"]}  # fmt: skip
                back["code"] = code
            self.send_response(302)
            self.send_header("Location", f"{provider.redirect_uri}?{urlencode(back)}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/token":
                return self._json(404, {"error": "not_found"})
            provider.token_requests += 1
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()).items()}
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
            if client_id != provider.client_id or client_secret != provider.client_secret:
                return self._json(401, {"error": "invalid_client"})
            if form.get("grant_type") != "authorization_code":
                return self._json(400, {"error": "unsupported_grant_type"})
            grant = provider.codes.pop(form.get("code", ""), None)  # single use: gone once tried
            if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
                return self._json(400, {"error": "invalid_grant", "error_description": "code unknown, used or expired"})
            if _s256(form.get("code_verifier", "")) != grant["challenge"]:
                return self._json(400, {"error": "invalid_grant", "error_description": "PKCE verifier mismatch"})
            access = secrets.token_urlsafe(16)
            provider.access_tokens[access] = provider.person.subject
            return self._json(200, {"access_token": access, "token_type": "Bearer", "expires_in": 300,
                                    "id_token": provider.id_token(grant["nonce"])})  # fmt: skip

    return Handler


class ProviderServer:
    """Runs a Provider on 127.0.0.1 (a free port) until closed; stop() makes it unreachable."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
        self.port = self._server.server_address[1]
        provider.issuer = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
