"""The one policy for HTTP requests this system sends to addresses that tenants configure.

Receiver webhooks, pull-source base URLs and translation endpoints are typed in by tenants, so a
request to them must not reach this system's own network: every connection goes through
`OutboundBackend`, which resolves the host once, refuses it when any resolved address is not a
public unicast one (loopback, private, link-local incl. cloud metadata, multicast, unspecified,
reserved, shared, or an IPv4-mapped/6to4/Teredo form of one), and connects to the address it
checked. The Host header and TLS SNI still carry the name, so certificates are verified as usual,
and there is no second lookup for a DNS-rebinding answer to slip through. Redirects, when a caller
follows them, open new connections through the same check. Only hosts the operator lists in
`Settings.outbound_allow_hosts` (exact host, or host:port) skip the address check.

Callers get their client from `outbound_client`; `check_url` validates a URL when it is saved so
a bad one is refused with a field-named error instead of failing at send time.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import typing
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

SCHEMES = ("http", "https")
# NOTE: a name that does not resolve when a URL is saved is not refused then (it may be created
# later); each connection checks again.
SAVE_TIME_RESOLVE_TIMEOUT_S = 3.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(Exception):
    """A destination the outbound policy does not allow; `reason` is short and holds no secret."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _normalise_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _parse_allow_entry(entry: str) -> tuple[str, int | None]:
    entry = entry.strip().lower()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif entry.count(":") == 1:
        host, _, port = entry.partition(":")
    else:
        host, port = entry, ""  # a bare name, IPv4 address or unbracketed IPv6 address
    if port and not port.isdigit():
        raise ValueError(f"outbound allow-list entry {entry!r} is not host or host:port")
    return _normalise_host(host), int(port) if port else None


def address_problem(address: IPAddress) -> str | None:
    """Why `address` may not be dialled, or None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            problem = address_problem(embedded)
            return f"{problem} (embedded in IPv6)" if problem else None
    for name, bad in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not globally routable", not address.is_global),
    ):
        if bad:
            return f"{name} address"
    return None


class OutboundPolicy:
    """Which destinations outbound requests may reach; immutable, shared by every client."""

    def __init__(self, allow_hosts: Iterable[str] = ()) -> None:
        self._allowed = frozenset(_parse_allow_entry(e) for e in allow_hosts if e.strip())

    @classmethod
    def from_settings(cls, settings) -> OutboundPolicy:
        return cls(settings.outbound_allow_hosts)

    def allowed(self, host: str, port: int | None) -> bool:
        host = _normalise_host(host)
        return (host, None) in self._allowed or (host, port) in self._allowed

    def check_scheme(self, url: str | httpx.URL) -> tuple[str, str, int]:
        """(scheme, host, port) of an absolute http(s) URL; OutboundRefused else."""
        parts = urlsplit(str(url))
        scheme = parts.scheme.lower()
        if scheme not in SCHEMES:
            raise OutboundRefused(f"scheme {scheme or '(none)'!r} is not allowed (only http and https)")
        try:
            port = parts.port
        except ValueError:
            raise OutboundRefused("the port is not a number") from None
        if not parts.hostname:
            raise OutboundRefused("the URL has no host")
        return scheme, _normalise_host(parts.hostname), port or (443 if scheme == "https" else 80)

    async def resolve(self, host: str, port: int) -> list[str]:
        """The addresses to dial for host:port, every one checked; OutboundRefused when any is bad.

        Allow-listed hosts are resolved but not checked. Raises OSError when the name does not resolve.
        """
        host = _normalise_host(host)
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [literal]
        else:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos))
        if not self.allowed(host, port):
            for address in addresses:
                problem = address_problem(address)
                if problem:
                    shown = host if literal is not None else f"{host} (resolves to {address})"
                    raise OutboundRefused(f"destination {shown} is a {problem}; allow-list it in REVIEWGUARD_OUTBOUND_ALLOW_HOSTS to permit it")
        return [str(a) for a in addresses]

    async def check_url(self, url: str, *, resolve_timeout_s: float = SAVE_TIME_RESOLVE_TIMEOUT_S) -> None:
        """Validates a URL when it is saved: scheme, literal address, and what its name resolves
        to now. A name that does not resolve (yet) passes; the connection checks it again."""
        _, host, port = self.check_scheme(url)
        try:
            await asyncio.wait_for(self.resolve(host, port), timeout=resolve_timeout_s)
        except (OSError, TimeoutError, UnicodeError):
            return


class OutboundBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that dials only addresses the policy checked."""

    def __init__(self, policy: OutboundPolicy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._policy = policy
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await asyncio.wait_for(self._policy.resolve(host, port), timeout=timeout)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve the host ({type(exc).__name__})") from None
        except TimeoutError:
            raise httpcore.ConnectTimeout("timed out resolving the host") from None
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):  # pragma: no cover
        raise OutboundRefused("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class OutboundTransport(httpx.AsyncHTTPTransport):
    """httpx transport: refuses non-http(s) URLs, dials through OutboundBackend, no proxies."""

    def __init__(self, policy: OutboundPolicy, *, verify: typing.Any = True, limits: httpx.Limits = httpx.Limits()) -> None:
        super().__init__(verify=verify, trust_env=False, limits=limits)
        self._policy = policy
        # NOTE: the pool httpx built, rebuilt with the checking backend (httpx has no parameter for it).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=OutboundBackend(policy),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._policy.check_scheme(request.url)
        return await super().handle_async_request(request)


def outbound_client(policy: OutboundPolicy, **kwargs) -> httpx.AsyncClient:
    """The httpx client for requests to configured destinations; kwargs go to httpx.AsyncClient
    (timeout, follow_redirects, ...) except transport, proxies and trust_env, which the policy owns."""
    for owned in ("transport", "proxy", "mounts", "trust_env"):
        if owned in kwargs:
            raise TypeError(f"outbound_client sets {owned} itself")
    kwargs.setdefault("follow_redirects", False)
    verify = kwargs.pop("verify", True)
    return httpx.AsyncClient(transport=OutboundTransport(policy, verify=verify), trust_env=False, **kwargs)
