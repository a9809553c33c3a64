"""Django's Redis cache, except that a Redis that does not answer is an empty cache, not an error.

What the cache holds (sessions, through the cached_db engine) is also in the
database, so an outage of Redis costs a query per request, never a failed
request: pages and the API keep working while Redis is down, as the channel
layer already does. Failures are logged once a minute while they last.

One hazard is named here rather than hidden: a log-out during an outage
deletes the session's row but cannot delete its cached copy; if Redis comes
back with its data (a network cut rather than a restart, or persistence on),
that copy stays valid until it expires. A password change still ends it
(Django checks the session's hash against the user on every request).
"""

import functools
import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
WARN_EVERY = 60  # seconds between two warnings of the same outage


def _tolerant(fallback):
    """Answer ``fallback(*args)`` when Redis cannot be reached; log the outage, not every call."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                result = method(self, *args, **kwargs)
            except UNREACHABLE as error:
                now = time.monotonic()
                if now - self.warned_at > WARN_EVERY:
                    self.warned_at = now
                    logger.warning("Cache unreachable, answering from the database meanwhile: %r", error)
                return fallback(*args, **kwargs)
            self.warned_at = float("-inf")
            return result

        return wrapper

    return decorate


class TolerantRedisCacheClient(RedisCacheClient):
    warned_at = float("-inf")

    @_tolerant(lambda key, value, timeout: False)
    def add(self, key, value, timeout):
        return super().add(key, value, timeout)

    @_tolerant(lambda key, default: default)
    def get(self, key, default):
        return super().get(key, default)

    @_tolerant(lambda key, value, timeout: None)
    def set(self, key, value, timeout):
        return super().set(key, value, timeout)

    @_tolerant(lambda key, timeout: False)
    def touch(self, key, timeout):
        return super().touch(key, timeout)

    @_tolerant(lambda key: False)
    def delete(self, key):
        return super().delete(key)

    @_tolerant(lambda keys: {})
    def get_many(self, keys):
        return super().get_many(keys)

    @_tolerant(lambda key: False)
    def has_key(self, key):
        return super().has_key(key)

    @_tolerant(lambda data, timeout: None)
    def set_many(self, data, timeout):
        return super().set_many(data, timeout)

    @_tolerant(lambda keys: None)
    def delete_many(self, keys):
        return super().delete_many(keys)


_clients = {}
_clients_lock = threading.Lock()


class TolerantRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that degrades to misses while Redis is unreachable.

    Every cache object of the process shares one client (and so one pool of
    connections) per location and options. Django makes a cache object per
    thread and, under ASGI, per task: each WebSocket handshake reads its
    session in a task of its own, and Django's own client would open a
    connection for it that nothing closes (one Redis connection leaked per
    authenticated socket).
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = TolerantRedisCacheClient

    @functools.cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _clients_lock:
            if key not in _clients:
                _clients[key] = self._class(self._servers, **self._options)
            return _clients[key]
