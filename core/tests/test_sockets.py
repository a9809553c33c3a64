"""What every socket shares (core.sockets): limits, the end of its session, frames, catch-up after an outage.

Through the whole ASGI stack (origin check, session, routing), in this process.
"""

import asyncio
import shutil

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import AsyncClient

from core.sockets import BAD_FRAME, TOO_MANY, UNAUTHORIZED, local_sockets
from core.tests.factories import UserFactory
from notifications.models import Notification
from notifications.services import notify
from notifications.tests.sockets import ORIGIN, TIMEOUT, application_under_test

pytestmark = pytest.mark.django_db(transaction=True)

create_user = database_sync_to_async(UserFactory)


async def signed_in_client(user):
    client = AsyncClient()
    await client.aforce_login(user)
    return client


def communicator(client=None, path="/ws/notifications/"):
    headers = [(b"host", b"localhost"), (b"origin", ORIGIN.encode())]
    if client is not None:
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application_under_test(), path, headers=headers)


async def open_socket(client, path="/ws/notifications/"):
    socket = communicator(client, path)
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    await socket.receive_json_from(timeout=TIMEOUT)  # the snapshot
    return socket


async def test_logging_out_closes_that_sessions_sockets_only():
    user = await create_user()
    laptop, phone = await signed_in_client(user), await signed_in_client(user)
    on_laptop, on_phone = await open_socket(laptop), await open_socket(phone)

    await laptop.alogout()

    assert await on_laptop.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": UNAUTHORIZED}
    assert await on_phone.receive_nothing(timeout=0.3) is True
    await on_phone.disconnect()


async def test_a_password_change_closes_the_users_other_sessions_sockets():
    user = await create_user()
    client = await signed_in_client(user)
    socket = await open_socket(client)

    @database_sync_to_async
    def change_password():
        user.set_password("a-brand-new-passphrase-42")
        user.save()

    await change_password()

    assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": UNAUTHORIZED}
    # A socket of a session made after the change (the new password) is accepted and stays open.
    fresh = await open_socket(await signed_in_client(user))
    assert await fresh.receive_nothing(timeout=0.3) is True
    await fresh.disconnect()


async def test_sockets_per_user_are_limited(settings):
    settings.SOCKETS_PER_USER = 2
    user = await create_user()
    client = await signed_in_client(user)
    first, second = await open_socket(client), await open_socket(client)

    third = communicator(client)
    connected, _ = await third.connect(timeout=TIMEOUT)

    assert connected is True  # accepted first, so the client can read why it is closed
    assert await third.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": TOO_MANY}
    await first.disconnect()
    fourth = await open_socket(client)  # a freed place is taken again
    for socket in (second, fourth):
        await socket.disconnect()
    assert local_sockets.per_user[user.pk] == 0


async def test_sockets_per_address_are_limited(settings):
    settings.SOCKETS_PER_ADDRESS = 1
    first = await open_socket(await signed_in_client(await create_user()))
    other = communicator(await signed_in_client(await create_user()))
    await other.connect(timeout=TIMEOUT)
    assert await other.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": TOO_MANY}
    await first.disconnect()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("[" * 50_000, None),
        ("[" * 2_000 + "]" * 2_000, 'Expected {"type": "mark_read", "id": <id>} or {"type": "mark_all_read"}.'),
        ("[" * 2_040, "The message is not valid JSON."),
        ('"just a string"', 'Expected {"type": "mark_read", "id": <id>} or {"type": "mark_all_read"}.'),
        ('{"type": 7}', 'Expected {"type": "mark_read", "id": <id>} or {"type": "mark_all_read"}.'),
    ],
    ids=["too-large", "deep", "deep-and-broken", "not-an-object", "type-not-a-string"],
)
async def test_a_bad_frame_gets_an_error_or_a_clean_close(frame, error):
    socket = await open_socket(await signed_in_client(await create_user()))
    await socket.send_to(text_data=frame)
    if error is None:
        assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": BAD_FRAME}
        return
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "error", "error": error}
    await socket.disconnect()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to stop and start")
async def test_open_sockets_catch_up_when_the_layer_comes_back(settings, tmp_path):
    from core.tests.processes import RedisServer

    redis = await asyncio.to_thread(RedisServer(log_path=tmp_path / "redis.log").start)
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": redis.url, "socket_connect_timeout": 1, "socket_timeout": 1}]},
        }
    }
    user = await create_user()
    socket = await open_socket(await signed_in_client(user))
    try:
        await asyncio.to_thread(redis.stop)
        await database_sync_to_async(notify)(user, action=Notification.GENERAL, title="While the layer was down")
        assert await socket.receive_nothing(timeout=1.5) is True
        await asyncio.to_thread(redis.start)
        snapshot = await socket.receive_json_from(timeout=6)
        assert (snapshot["type"], snapshot["unread_count"]) == ("snapshot", 1)
        assert snapshot["notifications"][0]["title"] == "While the layer was down"
        await socket.disconnect()
    finally:
        await asyncio.to_thread(redis.stop)


def listening_layer():
    """The channel layer of this run if it tells consumers of waiting messages (core.layers, on Redis), else skip."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if not hasattr(layer, "listen"):
        pytest.skip("the in-memory layer runs channels' own loop (the Redis layer is tested in the Redis pass)")
    return layer


def channels_of(layer):
    return set(layer._get_layer().channels)


async def socket_and_its_channel(layer):
    """Open a signed-in socket; return it and the layer channel it listens on."""
    client = await signed_in_client(await create_user())
    before = channels_of(layer)
    socket = await open_socket(client)
    [channel] = channels_of(layer) - before
    return socket, channel


async def test_an_idle_socket_on_the_redis_layer_keeps_no_reader_waiting_on_the_layer():
    listening_layer()
    user = await create_user()
    client = await signed_in_client(user)
    first = await open_socket(client)  # the layer's own tasks (its reader of Redis, its monitor) start here
    before = asyncio.all_tasks()
    sockets = [await open_socket(client) for _ in range(3)]
    # One task per socket: the application itself (channels' loop adds two more and an asyncio.wait). The tasks
    # are compared as sets: one of an earlier test that ended meanwhile made a difference of counts 2 (seen in CI).
    assert len(asyncio.all_tasks() - before) == 3
    await database_sync_to_async(notify)(user, action=Notification.GENERAL, title="Heard by all")
    for socket in (first, *sockets):
        message = await socket.receive_json_from(timeout=TIMEOUT)
        assert (message["type"], message["notification"]["title"]) == ("notification", "Heard by all")
        await socket.disconnect()


async def test_a_closed_socket_leaves_no_subscription_behind():
    layer = listening_layer()
    socket, channel = await socket_and_its_channel(layer)
    await socket.disconnect()
    assert channel not in channels_of(layer)


async def test_a_layer_message_whose_handler_stops_the_consumer_closes_the_socket(monkeypatch):
    from channels.exceptions import StopConsumer

    from notifications.consumers import NotificationConsumer

    async def stop_here(consumer, message):
        raise StopConsumer()

    monkeypatch.setattr(NotificationConsumer, "test_stop_here", stop_here, raising=False)
    layer = listening_layer()
    socket, channel = await socket_and_its_channel(layer)
    await layer.send(channel, {"type": "test.stop_here"})
    # As channels' own loop ends the consumer, the socket closes (normally: nothing failed).
    assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close"}
    await socket.disconnect()
    assert channel not in channels_of(layer)


async def test_a_layer_message_the_socket_cannot_handle_closes_it_with_1011():
    layer = listening_layer()
    socket, channel = await socket_and_its_channel(layer)
    await layer.send(channel, {"type": "no.such.handler"})
    assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 1011}
    await socket.disconnect()


@pytest.mark.parametrize("path", ["/ws/nope/", "/ws/events/-1/", "/ws/events/abc/", "/ws/events/%ff/", "/ws/"])
async def test_a_handshake_to_a_path_no_socket_serves_is_refused(path):
    """Attacker's probe: channels' router raised for such a path, and daphne answered the handshake with a 500."""
    communicator = WebsocketCommunicator(
        application_under_test(), path, headers=[(b"host", b"localhost"), (b"origin", ORIGIN.encode())]
    )
    connected, code = await communicator.connect(timeout=TIMEOUT)
    assert (connected, code) == (False, 1000)


async def test_a_socket_sending_faster_than_anyone_clicks_is_closed_with_4429(monkeypatch):
    """Finding (an attacker's probe): 3,000 "mark_all_read" frames on one socket took 14.6 s of database work,
    with no limit but the frame's size. A burst of SOCKET_MESSAGE_BURST is taken, then SOCKET_MESSAGES_PER_SECOND."""
    from core import sockets

    clock = [1000.0]
    monkeypatch.setattr(sockets.time, "monotonic", lambda: clock[0])
    socket = await open_socket(await signed_in_client(await create_user()))
    assert (settings.SOCKET_MESSAGE_BURST, settings.SOCKET_MESSAGES_PER_SECOND) == (30, 1.0)
    for _ in range(settings.SOCKET_MESSAGE_BURST):
        await socket.send_json_to({"type": "mark_all_read"})
        assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "unread_count"
    clock[0] += 2  # two seconds later: two more
    for _ in range(2):
        await socket.send_json_to({"type": "mark_all_read"})
        assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "unread_count"

    await socket.send_json_to({"type": "mark_all_read"})

    assert await socket.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": TOO_MANY}
