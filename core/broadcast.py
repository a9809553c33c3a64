"""Messages to channel-layer groups: the one way server code talks to open sockets.

The database is the truth and the channel layer a fast path: a layer that is
down (Redis stopped) is logged once per call and otherwise ignored; clients
catch up from the database when they reconnect.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def push_to_groups(messages):
    """Send (group, message) pairs on the channel layer now; log one warning and carry on if it fails."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    try:
        async_to_sync(_send_all)(layer, messages)
    except Exception as error:  # the layer is an optional fast path; the rows are the truth
        logger.warning("Could not push %d message(s) to the channel layer: %s", len(messages), error)


def push_after_commit(messages, *, using=None):
    """Send (group, message) pairs once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: push_to_groups(messages), using=using)


async def _send_all(layer, messages):
    for group, message in messages:
        await layer.group_send(group, message)
