"""Fixtures of the notifications tests: a fresh channel layer for every test."""

import uuid

import pytest


@pytest.fixture(autouse=True)
def fresh_channel_layer(settings):
    """Give every test a new channel layer; on Redis, with a prefix of its own.

    The prefix keeps concurrent runs on one Redis (CI, a colleague's run)
    from delivering to each other's ``user.<id>`` groups, whose ids repeat.
    """
    layer = dict(settings.CHANNEL_LAYERS["default"])
    if layer["BACKEND"].startswith("channels_redis."):
        layer["CONFIG"] = {**layer.get("CONFIG", {}), "prefix": f"test-{uuid.uuid4().hex[:12]}"}
    # Assigning the setting resets channels' layer cache (setting_changed).
    settings.CHANNEL_LAYERS = {"default": layer}
    return layer
