"""The event changes socket: which resource lists of an event changed, live.

A client that shows an event (a schedule, an organizer's tab) connects to
``/ws/events/<id>/`` and receives ``{"type": "versions", "versions": {...},
"changed": [...]}`` on connect and after every committed write to the event,
with the same counters as ``GET /api/v1/events/<id>/versions/``; it then
refetches what changed with If-None-Match. Who may watch is asked of the
permission engine on connect and again before every message, so a role
removed while the socket is open closes it (code 4403).
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.versioning import event_group, event_versions
from permissions.engine import forget_permissions, permissions_for

FORBIDDEN = 4403


@database_sync_to_async
def _may_see(user, event_id):
    # The user object lives as long as the socket: ask afresh every time.
    forget_permissions(user)
    return permissions_for(user, event_id).can_see_event


@database_sync_to_async
def _versions(event_id):
    return event_versions(event_id)


class EventChangesConsumer(AsyncJsonWebsocketConsumer):
    """Tell a socket which resource lists of one event changed."""

    event_id = None

    async def connect(self):
        event_id = self.scope["url_route"]["kwargs"]["event_id"]
        if not await _may_see(self.scope["user"], event_id):
            # Closing before accept: the handshake is answered with 403.
            await self.close()
            return
        self.event_id = event_id
        await self.channel_layer.group_add(event_group(event_id), self.channel_name)
        await self.accept()
        await self.send_json({"type": "versions", "versions": await _versions(event_id), "changed": []})

    async def disconnect(self, code):
        if self.event_id is not None:
            await self.channel_layer.group_discard(event_group(self.event_id), self.channel_name)

    async def receive_json(self, content, **kwargs):
        await self.send_json({"type": "error", "error": "This socket only sends; refetch with the REST API."})

    async def versions_changed(self, message):
        if not await _may_see(self.scope["user"], self.event_id):
            await self.close(code=FORBIDDEN)
            return
        versions = await _versions(self.event_id)
        await self.send_json({"type": "versions", "versions": versions, "changed": message["resources"]})
