"""The Redis cache answers misses, not errors, while Redis cannot be reached; sessions fall back to the database."""

import logging

from core.cache import TolerantRedisCache
from core.tests.processes import free_port


def unreachable_cache():
    # A port nothing listens on: every call is refused at once.
    return TolerantRedisCache(
        f"redis://127.0.0.1:{free_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}},
    )


def test_unreachable_redis_is_an_empty_cache(caplog):
    cache = unreachable_cache()
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        assert cache.get("key", "default") == "default"
        assert cache.set("key", "value") is None
        assert cache.add("key", "value") is False
        assert cache.delete("key") is False
        assert cache.has_key("key") is False
        assert cache.get_many(["a", "b"]) == {}
        assert cache.set_many({"a": 1}) == []
        assert cache.delete_many(["a"]) is None
    # One warning for the outage, not one per call.
    assert [record.getMessage()[:48] for record in caplog.records] == [
        "Cache unreachable, answering from the database m"
    ]


def test_every_cache_object_of_the_process_shares_one_client():
    # Django makes a cache object per thread and per ASGI task; a client each would be a connection each.
    location, params = "redis://127.0.0.1:6379/0", {"OPTIONS": {"socket_timeout": 0.5}}
    first, second = TolerantRedisCache(location, params), TolerantRedisCache(location, params)
    other = TolerantRedisCache(location, {"OPTIONS": {"socket_timeout": 1.0}})
    assert first._cache is second._cache
    assert other._cache is not first._cache
