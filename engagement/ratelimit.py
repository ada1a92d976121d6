"""A fixed-window rate limit per client address, kept in the cache.

For the pages that open without signing in (the customer survey). Sign-in
limits are allauth's own. Counting uses ``cache.add`` then ``cache.incr``,
which are atomic on Redis, the production cache.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    # Behind a proxy this is the proxy's address, so that all clients share
    # one count: the limits are generous enough for that, and a forged
    # X-Forwarded-For cannot buy anyone a fresh one.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


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
