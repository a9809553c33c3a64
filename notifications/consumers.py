"""The notifications socket: one per browser tab, all of a user's tabs in one group.

Server to client messages:

- ``{"type": "snapshot", "unread_count": N, "notifications": [...]}`` on connect
  (the latest unread ones), so a reconnect resynchronises the badge;
- ``{"type": "notification", "unread_count": N, "notification": {...}}`` for each
  new notification;
- ``{"type": "unread_count", "unread_count": N}`` after any mark as read, in any
  tab, page or API call;
- ``{"type": "error", "error": "..."}`` for a message the server cannot act on.

Client to server: ``{"type": "mark_read", "id": N}`` and ``{"type": "mark_all_read"}``.
"""

from channels.db import database_sync_to_async
from django.conf import settings

from core.sockets import LiveConsumer

from . import services
from .models import Notification
from .payloads import notification_payload
from .queries import unread_of


@database_sync_to_async
def _unread_count(user):
    return unread_of(user).count()


@database_sync_to_async
def _snapshot(user):
    latest = [notification_payload(n) for n in unread_of(user)[: settings.NOTIFICATIONS_LATEST]]
    return {"type": "snapshot", "unread_count": unread_of(user).count(), "notifications": latest}


@database_sync_to_async
def _mark_read(user, notification_id):
    """Return how many rows changed (0 when already read), or None when it is not the user's notification."""
    if not Notification.objects.filter(user=user, pk=notification_id).exists():
        return None
    return services.mark_read(user=user, ids=[notification_id])


@database_sync_to_async
def _mark_all_read(user):
    return services.mark_all_read(user=user)


class NotificationConsumer(LiveConsumer):
    """Push a signed-in user's notifications and unread count; accept mark-as-read requests.

    Pushes carry the unread count, so a new notification costs the socket no
    database work; only its own requests (mark as read) and snapshots do.
    """

    user = None
    expected = 'Expected {"type": "mark_read", "id": <id>} or {"type": "mark_all_read"}.'

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Closing before accept makes the server answer the handshake with 403.
            await self.close()
            return
        if not await self.admit():
            return
        self.user = user
        # Join before reading the snapshot, so nothing created in between is missed.
        await self.join(services.user_group(user.pk))
        await self.accept()
        await self.resync()

    async def resync(self):
        await self.send_json(await _snapshot(self.user))

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        if kind == "mark_read":
            await self.mark_read(content.get("id"))
        elif kind == "mark_all_read":
            if not await _mark_all_read(self.user):
                await self.send_unread_count()
        else:
            await self.send_error(self.expected)

    async def mark_read(self, notification_id):
        # bool is an int subclass; an id beyond 64 bits cannot exist and some databases reject it.
        if type(notification_id) is not int or not 0 < notification_id < 2**63:
            await self.send_error("mark_read needs the integer id of one of your notifications.")
            return
        changed = await _mark_read(self.user, notification_id)
        if changed is None:
            await self.send_error("No such notification.")
        elif not changed:
            # Already read: nothing was pushed to the group, so answer this tab alone.
            await self.send_unread_count()

    async def send_unread_count(self, count=None):
        count = await _unread_count(self.user) if count is None else count
        await self.send_json({"type": "unread_count", "unread_count": count})

    # Channel-layer events, sent to the group by notifications.services.

    async def notification_created(self, event):
        await self.send_json(
            {"type": "notification", "unread_count": event["unread_count"], "notification": event["notification"]}
        )

    async def unread_changed(self, event):
        await self.send_unread_count(event.get("unread_count"))
