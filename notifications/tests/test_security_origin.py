"""The notifications socket refuses handshakes from origins outside ALLOWED_HOSTS (cross-site WebSocket hijacking)."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from eventsite.tests.factories import UserFactory

from .sockets import PATH, communicator_for, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.security]


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://localhost.evil.example",
        "http://evil.example:80",
        "http://127.0.0.1.evil.example",
        "null",
        "file://",
    ],
)
async def test_signed_in_socket_from_foreign_origin_is_refused(origin):
    user = await database_sync_to_async(UserFactory)()
    communicator = await communicator_for(user, origin=origin)
    connected, _ = await communicator.connect()
    assert connected is False


async def test_signed_in_socket_without_origin_is_refused():
    from eventsite.asgi import application

    user = await database_sync_to_async(UserFactory)()
    headers = [(b"host", b"localhost"), (b"cookie", (await session_cookie(user)).encode())]
    connected, _ = await WebsocketCommunicator(application, PATH, headers=headers).connect()
    assert connected is False


async def test_signed_in_socket_from_own_origin_is_accepted():
    user = await database_sync_to_async(UserFactory)()
    communicator = await communicator_for(user, origin="http://localhost")
    connected, _ = await communicator.connect()
    assert connected is True
    assert (await communicator.receive_json_from())["type"] == "snapshot"
    await communicator.disconnect()
