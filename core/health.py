"""GET /healthz: 200 when the database and the channel layer answer, 503 otherwise."""

import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)
CHECK_TIMEOUT = 3  # seconds per dependency


def _check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


async def _check_channel_layer():
    layer = get_channel_layer()
    # A group send reaches the broker (Redis) without needing a listener.
    await layer.group_send("healthz", {"type": "healthz.ping"})


@never_cache
@require_GET
async def healthz(request):
    """Report each dependency as "ok" or the error it raised; 503 if any failed."""
    checks = {
        "database": sync_to_async(_check_database, thread_sensitive=False)(),
        "channel_layer": _check_channel_layer(),
    }
    results = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, CHECK_TIMEOUT)
            results[name] = "ok"
        except Exception as error:  # a health check reports failures, it does not raise them
            logger.warning("Health check %s failed: %r", name, error)
            results[name] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **results}, status=200 if healthy else 503)
