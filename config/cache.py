"""The cache when Redis is there: shared by every process, and this process's
own memory to fall back on while Redis does not answer.

What the cache holds can be lost (rate-limit counts, import progress), so a
Redis outage must not turn sign-in, the survey or the API into error pages.
While it lasts, each process counts on its own: the limits still hold per
process, more loosely over several, rather than failing open or answering
500. The outage is logged once when it starts and once when Redis is back.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# After a failure, calls go straight to the fallback for this long before one
# tries Redis again, so that a dead Redis costs one timeout now and then, not
# one per request.
RETRY_SECONDS = 5.0
# Rate limits keep a key per client address; LocMemCache's default (300)
# would forget counts under the very flood they are there to stop.
FALLBACK_MAX_ENTRIES = 20_000

# Django makes one cache object per thread; an outage is the whole process's.
# Redis's address -> when to try it again, present while it is down.
_retry_at: dict[str, float] = {}
_lock = threading.Lock()


class RedisCacheWithFallback(RedisCache):
    """Django's Redis cache that carries on in local memory while Redis fails."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._address = server
        fallback_params = {key: value for key, value in params.items() if key != "OPTIONS"}
        fallback_params["OPTIONS"] = {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES}
        # Same key prefix and version, so a key means the same in both; one
        # store per process, whichever thread's cache object uses it.
        self._fallback = LocMemCache(f"fallback:{server}", fallback_params)

    def ping(self) -> None:
        """Ask Redis itself, never the fallback; raises when it does not answer."""
        self._cache.get_client(write=True).ping()

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if _retry_at.get(self._address, 0.0) > time.monotonic():
            return getattr(self._fallback, method)(*args, **kwargs)
        try:
            result = getattr(super(), method)(*args, **kwargs)
        except RedisError as error:
            self._failed(error)
            return getattr(self._fallback, method)(*args, **kwargs)
        if self._address in _retry_at:
            self._answered()
        return result

    def _failed(self, error: RedisError) -> None:
        with _lock:
            started = self._address not in _retry_at
            _retry_at[self._address] = time.monotonic() + RETRY_SECONDS
        if started:
            logger.warning(
                "cache unreachable: rate limits count in each process's memory until Redis answers",
                extra={"error": f"{error.__class__.__name__}: {error}"},
            )

    def _answered(self) -> None:
        with _lock:
            ended = _retry_at.pop(self._address, None) is not None
        if ended:
            logger.info("cache answers again: rate limits are shared between processes again")

    def add(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("add", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete_many", *args, **kwargs)

    def clear(self) -> Any:
        return self._call("clear")


def cache_ping() -> None:
    """Raise when the shared cache does not answer. The embedded setup's cache
    is a folder on this machine: nothing to ask."""
    cache = caches["default"]
    if isinstance(cache, RedisCacheWithFallback):
        cache.ping()
