"""notify(): the one way to tell users something."""

import logging

import nh3
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .models import Notification

logger = logging.getLogger(__name__)

ALLOWED_TAGS = {"a", "p", "br", "em", "strong", "b", "i", "ul", "ol", "li", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def sanitize(html):
    """Return the HTML with only links, emphasis, lists and paragraphs; links open safely in a new tab."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def user_group(user_id):
    """Return the channel-layer group of one user's sockets (all their tabs)."""
    return f"user.{user_id}"


def notify(users, *, action, title, message="", url=""):
    """Save one notification per user (one bulk INSERT), then push each to its user's group after commit.

    ``users`` is a user, a user id, or an iterable of either. A channel layer
    that is down is logged once and otherwise ignored: the notifications are
    saved and reach the user on their next connect or page load.
    """
    if isinstance(users, (int, str)) or hasattr(users, "pk"):
        users = [users]
    user_ids = list(dict.fromkeys(getattr(user, "pk", user) for user in users))
    if action not in dict(Notification.ACTIONS):
        raise ValueError(f"Unknown notification action {action!r}")
    clean_message = sanitize(message)
    notifications = [
        Notification(user_id=user_id, action=action, title=title[:200], message=clean_message, url=url)
        for user_id in user_ids
    ]
    with transaction.atomic():
        Notification.objects.bulk_create(notifications, batch_size=500)
        transaction.on_commit(lambda: push_notifications(notifications))
    return notifications


def push_notifications(notifications):
    """Send each saved notification to its user's group; log one warning if the layer fails."""
    from .payloads import notification_payload

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        send = async_to_sync(_send_all)
        send(layer, [(user_group(n.user_id), notification_payload(n)) for n in notifications])
    except Exception as error:  # the layer is an optional fast path; the row is the truth
        logger.warning("Could not push %d notification(s) to the channel layer: %s", len(notifications), error)


async def _send_all(layer, messages):
    for group, payload in messages:
        await layer.group_send(group, {"type": "notification.created", "notification": payload})


def mark_read(*, user, ids):
    """Mark the user's own notifications with these ids read; return how many changed (others' ids are ignored)."""
    from django.utils import timezone

    return Notification.objects.filter(user=user, pk__in=ids, has_read=False).update(
        has_read=True, read_at=timezone.now()
    )


def mark_all_read(*, user):
    """Mark every unread notification of the user read; return how many changed."""
    from django.utils import timezone

    return Notification.objects.filter(user=user, has_read=False).update(has_read=True, read_at=timezone.now())
