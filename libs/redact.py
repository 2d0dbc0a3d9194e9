"""Secrets out of URLs, headers and error texts meant for logs, API answers and stored records."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

MASK = "***"

# NOTE: compared case-insensitively with '-' and '_' ignored, so X-Api-Key, api_key and APIKEY match.
SECRET_PARAMS = frozenset(
    {"token", "key", "secret", "signature", "sig", "accesstoken", "apikey", "password", "pass", "pwd",
     "clientsecret", "auth", "authorization", "code", "refreshtoken", "idtoken", "sign", "credential", "credentials"}
)
SECRET_HEADERS = frozenset(
    {"authorization", "proxyauthorization", "cookie", "setcookie", "xapikey", "apikey", "xauthtoken",
     "xaccesstoken", "xsignature", "xhubsignature", "xhubsignature256", "xreviewguardsignature", "xsecret", "xtoken"}
)


def _squash(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def secret_name(name: str) -> bool:
    """True for a query parameter or field whose name says it holds a credential."""
    squashed = _squash(name)
    return squashed in SECRET_PARAMS or squashed.endswith(("token", "secret", "password", "signature", "apikey"))


def redact_url(url: str) -> str:
    """`url` with userinfo and the values of credential-like query parameters replaced by ***."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        netloc = f"{MASK}@{host}" + (f":{port}" if port else "")
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(secret_name(k) for k, _ in pairs):
            query = urlencode([(k, MASK if secret_name(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of `headers` with Authorization-like values replaced by ***."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k: MASK if _squash(k) in SECRET_HEADERS or secret_name(k) else v for k, v in items}


_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every URL in it redacted and the given secret values (raw or URL-encoded) masked."""
    text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    forms: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= 3:
            forms |= {secret, quote(secret, safe=""), quote(secret)}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text
