"""Every socket refuses handshakes from origins outside ALLOWED_HOSTS (cross-site WebSocket hijacking).

The user is signed in and, on the event socket, organizes the event: only the
Origin header decides.
"""

import pytest
from channels.db import database_sync_to_async
from channels.routing import get_default_application
from channels.testing import WebsocketCommunicator

from events.tests.factories import EventFactory

from .sockets import ORIGIN, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.security]

FOREIGN_ORIGINS = [
    "https://evil.example",
    "http://localhost.evil.example",
    "http://evil.example:80",
    "http://127.0.0.1.evil.example",
    "null",
    "file://",
]
SOCKETS = ["/ws/notifications/", "/ws/events/{event}/"]


async def handshake(path, *, origin):
    """Connect as an event's organizer with the given Origin (None: no Origin header); return accepted."""
    # The project's ASGI application, as settings name it (apps do not import the project package).
    application = get_default_application()

    event = await database_sync_to_async(EventFactory)()
    headers = [(b"host", b"localhost"), (b"cookie", (await session_cookie(event.created_by)).encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(application, path.format(event=event.pk), headers=headers)
    connected, _ = await communicator.connect()
    if connected:
        await communicator.disconnect()
    return connected


@pytest.mark.parametrize("path", SOCKETS)
@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
async def test_signed_in_socket_from_foreign_origin_is_refused(path, origin):
    assert await handshake(path, origin=origin) is False


@pytest.mark.parametrize("path", SOCKETS)
async def test_signed_in_socket_without_origin_is_refused(path):
    assert await handshake(path, origin=None) is False


@pytest.mark.parametrize("path", SOCKETS)
async def test_signed_in_socket_from_own_origin_is_accepted(path):
    assert await handshake(path, origin=ORIGIN) is True
