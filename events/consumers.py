"""The event changes socket: which resource lists of an event changed, live.

A client that shows an event (a schedule, an organizer's tab) connects to
``/ws/events/<id>/`` and receives ``{"type": "versions", "versions": {...},
"changed": [...]}`` on connect and after every committed write to the event,
with the same counters as ``GET /api/v1/events/<id>/versions/``; it then
refetches what changed with If-None-Match.

Who may watch, and what they hear, is decided when the socket connects: the
event's team (and staff) hear every list (group ``event.<id>.members``), the
public of a published event only what the public sees (``event.<id>.public``;
a hidden ticket's edit is not heard there). Each push carries the new counter
values, so a broadcast to any number of sockets costs no query per socket. A
counter the socket hears but the versions endpoint does not show its audience
(the public's "availability", moved by every order) is named in "changed"
without its value: the public hears that tickets' availability changed, not
how many orders the event has had.
When the listener's access changes (a role granted, changed or removed, or
the event unpublished), a message tells the socket to decide again, once: it
moves to the other audience or closes with 4403.
"""

from channels.db import database_sync_to_async

from core.sockets import LiveConsumer
from core.versioning import event_group, event_versions
from permissions.engine import load_event, permissions_for

FORBIDDEN = 4403


@database_sync_to_async
def _audience_and_versions(user, event_id):
    """Return (the audience the user hears, the counters it hears); (None, None) if the event is not theirs to see."""
    event = load_event(user, event_id)
    perms = permissions_for(user, event) if event is not None else None
    if perms is None or not perms.can_see_event:
        return None, None
    return perms.audience, event_versions(event.pk, audience=perms.audience)


class EventChangesConsumer(LiveConsumer):
    """Tell a socket which resource lists of one event changed, with their new counters."""

    event_id = audience = None
    expected = "This socket only sends; refetch with the REST API."

    async def connect(self):
        event_id = self.scope["url_route"]["kwargs"]["event_id"]
        audience, versions = await _audience_and_versions(self.scope["user"], event_id)
        if audience is None:
            # Closing before accept: the handshake is answered with 403.
            await self.close()
            return
        if not await self.admit():
            return
        self.event_id, self.audience = event_id, audience
        self.remember(versions)
        await self.join(event_group(event_id, audience))
        await self.accept()
        await self.send_versions([])

    async def receive_json(self, content, **kwargs):
        await self.send_error(self.expected)

    async def send_versions(self, changed):
        shown = {name: value for name, value in self.versions.items() if name in self.shown}
        await self.send_json({"type": "versions", "versions": shown, "changed": changed})

    def remember(self, versions):
        """Keep the counters the versions endpoint gives this audience; their names are the values shown."""
        self.versions, self.shown = versions, frozenset(versions)

    async def resync(self):
        await self.decide_again()

    async def decide_again(self):
        """Ask the engine again (one query): keep, move to the other audience, or close with 4403."""
        audience, versions = await _audience_and_versions(self.scope["user"], self.event_id)
        if audience is None:
            await self.close(code=FORBIDDEN)
            return
        if audience != self.audience:
            await self.leave(event_group(self.event_id, self.audience))
            await self.join(event_group(self.event_id, audience))
            self.audience = audience
        changed = sorted(name for name, value in versions.items() if self.versions.get(name) != value)
        self.remember(versions)
        await self.send_versions(changed)

    # Channel-layer events.

    async def versions_changed(self, message):
        changed = []
        for name, value in message["versions"].items():
            # Two commits can arrive in either order: counters only grow.
            if value > self.versions.get(name, 0):
                self.versions[name] = value
                changed.append(name)
        if changed:
            await self.send_versions(sorted(changed))

    async def access_changed(self, message):
        if str(message.get("event")) == str(self.event_id):
            await self.decide_again()
