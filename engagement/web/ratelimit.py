"""The client's address, and a fixed-window rate limit per address kept in
the cache.

``client_address`` is the one reading of who is asking: allauth's sign-in
limits (through the adapter), the survey limiter below, the API's throttles
and the access log all use it. The limiter is for the pages that open
without signing in (the customer survey); sign-in limits are allauth's own.
Counting uses ``cache.add`` then ``cache.incr``, which are atomic on Redis,
the production cache.
"""

from __future__ import annotations

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.http.request import split_domain_port


def client_address(request: HttpRequest) -> str:
    """The address of the device that made the request: the connection's,
    or, behind ``TRUSTED_PROXY_COUNT`` proxies, the one the outermost proxy
    was reached from."""
    peer = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies < 1:
        # Without trusted proxies X-Forwarded-For is whatever the client
        # wrote: believing it would let anyone buy a fresh count per request.
        return peer
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(hops) < proxies:
        # It did not come through every proxy (or one of them dropped the
        # header): only the connection is known for sure.
        return peer
    # Each proxy appends the address it was reached from, so the Nth entry
    # from the right is the outermost proxy's; anything left of it came from
    # the client and is never read.
    return _ip_address(hops[-proxies]) or peer


def _ip_address(text: str) -> str | None:
    """``text`` as an IP address, without the port some proxies add; None
    when it is not one."""
    text = text.strip()
    for candidate in (text, split_domain_port(text)[0].strip("[]")):
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def rate_limited(request: HttpRequest, *, scope: str, limit: int, per_seconds: int) -> bool:
    """Count this request against ``limit`` per ``per_seconds`` for its client
    address in ``scope``; True once the limit is passed."""
    window = int(time.time() // per_seconds)
    key = f"ratelimit:{scope}:{client_address(request)}:{window}"
    if cache.add(key, 1, timeout=per_seconds + 1):
        return limit < 1
    try:
        return cache.incr(key) > limit
    except ValueError:
        # Expired between add and incr: this request starts the next window.
        cache.add(key, 1, timeout=per_seconds + 1)
        return False
