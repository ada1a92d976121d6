"""The one HTTP client calendars are read with, for private iCal addresses
and CalDAV servers alike: requests, with one timeout, one size cap kept as
the answer streams in, redirects followed by hand up to ``MAX_REDIRECTS``
(to http and https addresses only), and no reading of internal addresses.

Internal addresses: a calendar's address is typed by a person, so it could
name the servers beside Groundwork (a database's admin page, a cloud's
metadata service at 169.254.169.254). Every connection this client opens,
for the first request and for each redirect, resolves the host, refuses it
if any of its addresses is private, loopback, link-local, multicast,
reserved or unspecified (IPv4 or IPv6, an IPv4-mapped IPv6 address judged
as the IPv4 address it carries), and then connects to one of the addresses
it checked. The check sits where urllib3 opens the socket
(``_CheckedConnection._new_conn``), rather than before the request by a
look-up of our own, because:

- the address checked is the address connected to: a host whose name
  resolves to a public address when checked and to 127.0.0.1 a moment later
  (DNS rebinding) cannot slip between a check and a second look-up;
- every socket goes through it, whoever asked for it: a redirect, a new
  connection after a dropped keep-alive, a retry;
- only the socket changes: urllib3 still sends the Host header, sends the
  host name in TLS SNI and checks the certificate against the host name.

Proxies from the environment are not used (``trust_env`` off): through a
proxy, the address connected to would be the proxy's, and the check would
judge the wrong host. ``CALENDAR_ALLOW_PRIVATE_ADDRESSES`` turns the check
off, for the tests and the benchmark, which serve calendars on 127.0.0.1.

Failures are ``WebFailure`` with a ``reason``; each caller words them for
the person who gave the address.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from visits.calendars import reading

MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

# Why a request failed; the callers word each one.
BAD_ADDRESS = "bad address"
PRIVATE = "private"
REDIRECTED_ELSEWHERE = "redirected elsewhere"
REDIRECTS = "redirects"
REFUSED = "refused"
TIMEOUT = "timeout"
TLS = "tls"
TOO_LARGE = "too large"
UNKNOWN_HOST = "unknown host"
UNREACHABLE = "unreachable"

PRIVATE_MESSAGE = "This address points inside a private network, which Groundwork does not read."


class WebFailure(Exception):
    """A request that got no usable answer, and why (one of the reasons above)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class PrivateAddress(Exception):
    """A host that resolves to an internal address. Not an OSError, so that
    urllib3 neither retries it nor wraps it: it reaches ``Client`` as it is."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def address_is_private(address: str) -> bool:
    """Whether ``address`` (an IP address, v4 or v6) is one Groundwork does not read."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is not part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def checked_addresses(host: str, port: int) -> list[tuple[int, str]]:
    """Every address ``host`` resolves to (family, IP), refused as a whole
    when any of them is private: a name with one public and one private
    address could be connected to the private one on another try."""
    found = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    addresses: list[tuple[int, str]] = list(
        dict.fromkeys((int(family), str(sockaddr[0])) for family, _, _, _, sockaddr in found)
    )
    if not settings.CALENDAR_ALLOW_PRIVATE_ADDRESSES and any(address_is_private(ip) for _, ip in addresses):
        raise PrivateAddress(host)
    return addresses


def _connect(address: str, port: int, timeout: object, source_address: object, options: object) -> socket.socket:
    """A socket to an address already checked (an IP, so no look-up happens here)."""
    return urllib3_connection.create_connection(
        (address, port),
        timeout,  # type: ignore[arg-type]
        source_address=source_address,  # type: ignore[arg-type]
        socket_options=options,  # type: ignore[arg-type]
    )


class _CheckedConnection(HTTPConnection):
    """urllib3's connection, opened to a checked address of its host."""

    def _new_conn(self) -> socket.socket:
        try:
            addresses = checked_addresses(self._dns_host, self.port)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        last: OSError | None = None
        for _family, address in addresses:
            try:
                return _connect(address, self.port, self.timeout, self.source_address, self.socket_options)
            except TimeoutError as error:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from error
            except OSError as error:
                last = error
        raise NewConnectionError(self, f"Failed to establish a new connection: {last}") from last


class _CheckedHTTPSConnection(_CheckedConnection, HTTPSConnection):
    """The same for https: only the socket changes; SNI and the certificate
    check still use the host name."""


class _CheckedPool(HTTPConnectionPool):
    ConnectionCls = _CheckedConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class CheckedAdapter(HTTPAdapter):
    """requests' adapter whose connections go to checked addresses only."""

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedPool, "https": _CheckedHTTPSPool}


def checked_url(url: str) -> str:
    """``url`` if it is an http or https address with a host, else BAD_ADDRESS."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise WebFailure(BAD_ADDRESS)
    return url.strip()


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class Client:
    """Requests with optional credentials: redirects followed by hand
    (requests would turn a redirected PROPFIND into a GET) up to
    ``MAX_REDIRECTS``, to http and https addresses only, the password never
    sent to another host over http, each answer read within ``timeout``
    seconds and ``max_bytes`` (by default ``reading.MAX_FEED_BYTES``)."""

    def __init__(self, timeout: float, *, auth: tuple[str, str] | None = None, max_bytes: int | None = None) -> None:
        self.auth = auth
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.session = requests.Session()
        self.session.trust_env = False
        adapter = CheckedAdapter(max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.session.close()

    def request(self, method: str, url: str, *, body: bytes | None = None, headers: dict[str, str]) -> Answer:
        url = checked_url(url)
        origin = _origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            # The password follows a redirect within the same origin, or to an
            # https address (providers move discovery to a host of their own,
            # whose certificate is checked); never to plain http elsewhere.
            auth = self.auth if self.auth and (_origin(url) == origin or url.lower().startswith("https:")) else None
            with self._send(method, url, body, headers, auth) as response:
                if response.status_code in _REDIRECTS and response.headers.get("Location"):
                    try:
                        url = checked_url(urljoin(url, response.headers["Location"]))
                    except WebFailure as error:
                        raise WebFailure(REDIRECTED_ELSEWHERE) from error
                    continue
                return Answer(response.status_code, url, self._read(response), dict(response.headers))
        raise WebFailure(REDIRECTS)

    def _send(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str], auth: tuple[str, str] | None
    ) -> requests.Response:
        try:
            return self.session.request(
                method,
                url,
                data=body,
                headers=headers,
                auth=auth,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
        except PrivateAddress as error:
            raise WebFailure(PRIVATE) from error
        except requests.Timeout as error:
            raise WebFailure(TIMEOUT) from error
        except requests.exceptions.SSLError as error:
            raise WebFailure(TLS, str(error)) from error
        except requests.ConnectionError as error:
            raise WebFailure(_connection_reason(error), str(error)) from error
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, ValueError) as error:
            raise WebFailure(BAD_ADDRESS) from error

    def _read(self, response: requests.Response) -> bytes:
        """The body, refused as soon as it passes the cap (announced or
        arrived) or takes longer than ``timeout`` in all."""
        cap = self.max_bytes if self.max_bytes is not None else reading.MAX_FEED_BYTES
        announced = response.headers.get("Content-Length", "")
        if announced.isdigit() and int(announced) > cap:
            raise WebFailure(TOO_LARGE)
        deadline = time.monotonic() + self.timeout
        body = bytearray()
        for chunk in self._chunks(response):
            body += chunk
            if len(body) > cap:
                raise WebFailure(TOO_LARGE)
            if time.monotonic() > deadline:
                raise WebFailure(TIMEOUT)
        return bytes(body)

    @staticmethod
    def _chunks(response: requests.Response) -> Iterator[bytes]:
        try:
            yield from response.iter_content(_CHUNK)
        except requests.Timeout as error:
            raise WebFailure(TIMEOUT) from error
        except requests.ConnectionError as error:
            # urllib3 reports a read that timed out mid-body as a connection error.
            if "timed out" in str(error).lower():
                raise WebFailure(TIMEOUT) from error
            raise WebFailure(UNREACHABLE, str(error)) from error


def _connection_reason(error: BaseException) -> str:
    """UNKNOWN_HOST, REFUSED or UNREACHABLE, from the causes requests wraps."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, NameResolutionError | socket.gaierror):
            return UNKNOWN_HOST
        if isinstance(seen, ConnectionRefusedError):
            return REFUSED
        reason = getattr(seen, "reason", None)
        if isinstance(reason, BaseException):
            inner = _connection_reason(reason)
            if inner != UNREACHABLE:
                return inner
        if isinstance(seen, NewConnectionError) and "refused" in str(seen).lower():
            return REFUSED
        seen = seen.__cause__ or seen.__context__
    return UNREACHABLE
